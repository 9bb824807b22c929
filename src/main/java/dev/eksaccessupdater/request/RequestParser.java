package dev.eksaccessupdater.request;

import com.fasterxml.jackson.core.ErrorReportConfiguration;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.jr.ob.JSON;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Objects;

/** Parses and validates an SQS message body into an {@link AccessChangeRequest} (docs/contract.md section 2). */
public final class RequestParser {

    /** docs/contract.md section 2: at most 64 KiB of UTF-8, checked before any parsing. */
    static final int MAX_BODY_BYTES = 64 * 1024;
    /** A request nests two levels deep; the limit only has to stop hostile nesting early. */
    static final int MAX_NESTING_DEPTH = 32;
    /** Far above any valid name (the longest, a metadata key, has 64 characters), so those still get a field's message. */
    private static final int MAX_NAME_LENGTH = 1024;
    /** No field is a number; a long one is only ever an attack on the number parser. */
    private static final int MAX_NUMBER_LENGTH = 64;
    /** How much of the offending input a JSON syntax error may quote. */
    private static final int MAX_QUOTED_INPUT = 32;
    private static final int MAX_SYNTAX_ERROR_MESSAGE = 200;

    /** Built once: factories are thread-safe and costly to create. Duplicate keys are an error, not "last one wins". */
    private static final JsonFactory JSON_FACTORY = JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxNestingDepth(MAX_NESTING_DEPTH)
                    .maxStringLength(MAX_BODY_BYTES)
                    .maxNameLength(MAX_NAME_LENGTH)
                    .maxNumberLength(MAX_NUMBER_LENGTH)
                    .build())
            .errorReportConfiguration(ErrorReportConfiguration.builder()
                    .maxErrorTokenLength(MAX_QUOTED_INPUT)
                    .maxRawContentLength(MAX_QUOTED_INPUT)
                    .build())
            .build();
    private static final JSON JSON_READER = JSON.builder(JSON_FACTORY).build();

    private static final String SNS_TYPE = "Type";
    private static final String SNS_NOTIFICATION = "Notification";
    private static final String SNS_MESSAGE = "Message";

    /**
     * @param messageId the SQS message id, the token when the request has no {@code clientRequestToken}
     * @throws InvalidMessageException naming the field or rule at fault
     */
    public AccessChangeRequest parse(String body, String messageId) {
        Objects.requireNonNull(messageId, "messageId");
        RequestFields fields = new RequestFields(unwrapSnsNotification(readObject(body, "message body")), messageId);
        try {
            return fields.toRequest();
        } catch (RuleViolation violation) {
            throw new InvalidMessageException(violation.getMessage(), fields.readable());
        }
    }

    /**
     * Without raw message delivery, SNS wraps the request in an envelope whose {@code Message} is the request as a
     * string. A request has no {@code Type} field, so {@code "Type": "Notification"} marks an envelope. Its other
     * keys are SNS's and are not checked (SNS may add more); the queue policy, not the envelope, decides who may
     * send. The request inside is unwrapped once: an envelope inside an envelope is rejected as an unknown field.
     */
    private static Map<String, Object> unwrapSnsNotification(Map<String, Object> object) {
        if (!SNS_NOTIFICATION.equals(object.get(SNS_TYPE))) {
            return object;
        }
        if (!(object.get(SNS_MESSAGE) instanceof String message)) {
            throw invalid("SNS notification must have a Message string");
        }
        return readObject(message, "SNS Message");
    }

    private static Map<String, Object> readObject(String text, String source) {
        if (text == null || text.isBlank()) {
            throw invalid(source + " is empty");
        }
        if (text.length() > MAX_BODY_BYTES || text.getBytes(StandardCharsets.UTF_8).length > MAX_BODY_BYTES) {
            throw invalid(source + " is larger than " + MAX_BODY_BYTES + " bytes");
        }
        Object value;
        boolean contentAfterValue;
        try (JsonParser parser = JSON_FACTORY.createParser(text)) {
            value = JSON_READER.anyFrom(parser);
            contentAfterValue = parser.nextToken() != null;
        } catch (StreamConstraintsException limit) {
            throw invalid(source + " exceeds a JSON limit: " + describe(limit));
        } catch (JsonProcessingException malformed) {
            throw invalid(source + " is not valid JSON" + at(malformed.getLocation()) + ": " + describe(malformed));
        } catch (IOException | RuntimeException unreadable) {
            // Reading a String does no I/O; whatever else the parser throws still means it cannot read the text.
            throw invalid(source + " could not be read as JSON");
        }
        if (contentAfterValue) {
            throw invalid(source + " has content after the JSON object");
        }
        if (!(value instanceof Map<?, ?>)) {
            throw invalid(source + " must be a JSON object, not " + RequestFields.jsonType(value));
        }
        @SuppressWarnings("unchecked") // jackson-jr reads a JSON object as a map with string keys
        Map<String, Object> object = (Map<String, Object>) value;
        return object;
    }

    private static String describe(JsonProcessingException problem) {
        return Untrusted.escape(Objects.requireNonNullElse(problem.getOriginalMessage(), "unreadable"),
                MAX_SYNTAX_ERROR_MESSAGE);
    }

    private static String at(JsonLocation location) {
        if (location == null || location.getLineNr() < 1) {
            return "";
        }
        return " at line " + location.getLineNr() + ", column " + location.getColumnNr();
    }

    /** A message that is not a JSON object at all: nothing of it can be read. */
    private static InvalidMessageException invalid(String message) {
        return new InvalidMessageException(message, RequestSummary.empty());
    }
}
