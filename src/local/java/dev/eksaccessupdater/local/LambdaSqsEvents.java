package dev.eksaccessupdater.local;

import com.fasterxml.jackson.jr.ob.JSON;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.MessageAttributeValue;

/**
 * The two JSON documents Lambda's SQS event source mapping exchanges with a function: the event it builds from
 * received messages, and its reading of the function's partial batch response.
 */
final class LambdaSqsEvents {

    /**
     * The system attributes in the order Lambda's documented events show them; any other attribute SQS returns
     * follows in its own order.
     */
    private static final List<String> ATTRIBUTE_ORDER = List.of("ApproximateReceiveCount", "SentTimestamp",
            "SequenceNumber", "MessageGroupId", "SenderId", "MessageDeduplicationId",
            "ApproximateFirstReceiveTimestamp", "AWSTraceHeader", "DeadLetterQueueSourceArn");

    private LambdaSqsEvents() {
    }

    /**
     * The event for {@code messages} received from the queue {@code queueArn}, key for key as Lambda delivers it
     * (https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html): every attribute value is a string, a binary
     * value is base64, list values are always present (empty), absent values are left out.
     */
    static String eventJson(List<Message> messages, String queueArn) {
        String region = queueArn.split(":", 6)[3];
        List<Map<String, Object>> records = new ArrayList<>(messages.size());
        for (Message message : messages) {
            Map<String, Object> record = new LinkedHashMap<>();
            record.put("messageId", message.messageId());
            record.put("receiptHandle", message.receiptHandle());
            record.put("body", message.body());
            record.put("attributes", attributes(message.attributesAsStrings()));
            record.put("messageAttributes", messageAttributes(message.messageAttributes()));
            record.put("md5OfBody", message.md5OfBody());
            if (message.md5OfMessageAttributes() != null) {
                record.put("md5OfMessageAttributes", message.md5OfMessageAttributes());
            }
            record.put("eventSource", "aws:sqs");
            record.put("eventSourceARN", queueArn);
            record.put("awsRegion", region);
            records.add(record);
        }
        try {
            return JSON.std.asString(Map.of("Records", records));
        } catch (IOException notExpected) {
            throw new UncheckedIOException(notExpected);
        }
    }

    private static Map<String, String> attributes(Map<String, String> received) {
        Map<String, String> ordered = new LinkedHashMap<>();
        for (String name : ATTRIBUTE_ORDER) {
            if (received.containsKey(name)) {
                ordered.put(name, received.get(name));
            }
        }
        received.forEach(ordered::putIfAbsent);
        return ordered;
    }

    private static Map<String, Object> messageAttributes(Map<String, MessageAttributeValue> received) {
        Map<String, Object> attributes = new LinkedHashMap<>();
        received.forEach((name, value) -> {
            Map<String, Object> attribute = new LinkedHashMap<>();
            if (value.stringValue() != null) {
                attribute.put("stringValue", value.stringValue());
            }
            if (value.binaryValue() != null) {
                attribute.put("binaryValue", base64(value.binaryValue()));
            }
            attribute.put("stringListValues", List.copyOf(value.stringListValues()));
            attribute.put("binaryListValues", value.binaryListValues().stream().map(LambdaSqsEvents::base64).toList());
            attribute.put("dataType", value.dataType());
            attributes.put(name, attribute);
        });
        return attributes;
    }

    private static String base64(SdkBytes bytes) {
        return Base64.getEncoder().encodeToString(bytes.asByteArray());
    }

    /**
     * Reads a function's response to a batch of {@code batchIds} as Lambda does with {@code ReportBatchItemFailures}
     * (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html): a null or empty response or
     * {@code batchItemFailures} is complete success; an item without a non-empty {@code itemIdentifier} of this
     * batch, or JSON that cannot be read, is complete failure.
     */
    static ResponseReading readResponse(String responseJson, Set<String> batchIds) {
        Object response;
        try {
            response = JSON.std.anyFrom(responseJson);
        } catch (IOException | RuntimeException invalid) {
            return ResponseReading.invalid("the response is not JSON: " + invalid.getMessage());
        }
        if (response == null) {
            return ResponseReading.allSucceeded();
        }
        if (!(response instanceof Map<?, ?> object)) {
            return ResponseReading.invalid("the response is not a JSON object");
        }
        Object failures = object.get("batchItemFailures");
        if (failures == null) {
            return ResponseReading.allSucceeded();
        }
        if (!(failures instanceof List<?> items)) {
            return ResponseReading.invalid("batchItemFailures is not a list");
        }
        Set<String> failedIds = new LinkedHashSet<>();
        for (Object item : items) {
            Object identifier = item instanceof Map<?, ?> fields ? fields.get("itemIdentifier") : null;
            if (!(identifier instanceof String id) || id.isEmpty()) {
                return ResponseReading.invalid("a batch item failure has no itemIdentifier: " + item);
            }
            if (!batchIds.contains(id)) {
                return ResponseReading.invalid("itemIdentifier " + id + " is not a message of this batch");
            }
            failedIds.add(id);
        }
        return failedIds.isEmpty() ? ResponseReading.allSucceeded() : ResponseReading.someFailed(failedIds);
    }

    /**
     * Lambda's reading of a response.
     *
     * @param failedIds the messages to keep, when valid
     * @param invalidReason why the whole batch counts as failed, {@code null} when the response is valid
     */
    record ResponseReading(Set<String> failedIds, String invalidReason) {

        static ResponseReading allSucceeded() {
            return new ResponseReading(Set.of(), null);
        }

        static ResponseReading someFailed(Set<String> failedIds) {
            return new ResponseReading(Collections.unmodifiableSet(new LinkedHashSet<>(failedIds)), null);
        }

        static ResponseReading invalid(String reason) {
            return new ResponseReading(Set.of(), reason);
        }

        boolean valid() {
            return invalidReason == null;
        }
    }
}
