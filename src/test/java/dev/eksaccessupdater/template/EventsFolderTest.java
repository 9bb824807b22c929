package dev.eksaccessupdater.template;

import static dev.eksaccessupdater.template.CloudFormationTemplate.asMap;
import static org.assertj.core.api.Assertions.assertThat;

import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import com.amazonaws.services.lambda.runtime.events.SQSEvent.SQSMessage;
import com.amazonaws.services.lambda.runtime.tests.EventLoader;
import com.fasterxml.jackson.jr.ob.JSON;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** events/: SQS events exactly as Lambda delivers them, for {@code sam local invoke -e}, and env.json for --env-vars. */
class EventsFolderTest {

    static final Path EVENTS = Path.of("events");
    static final String SQS_ARN_PREFIX = "arn:aws:sqs:us-east-1:111122223333:";
    /** The keys of a record as Lambda delivers it; md5OfMessageAttributes only comes with message attributes. */
    static final Set<String> RECORD_KEYS = Set.of("messageId", "receiptHandle", "body", "attributes",
            "messageAttributes", "md5OfBody", "eventSource", "eventSourceARN", "awsRegion");
    static final Set<String> FIFO_ATTRIBUTES = Set.of("SequenceNumber", "MessageGroupId", "MessageDeduplicationId");
    static final Set<String> REQUEST_FIELDS = Set.of("clusterName", "principalArn", "kubernetesGroups",
            "addKubernetesGroups", "removeKubernetesGroups", "username", "clientRequestToken", "metadata");

    static Stream<Path> eventFiles() throws IOException {
        try (Stream<Path> files = Files.list(EVENTS)) {
            List<Path> events = files.filter(file -> file.toString().endsWith(".json"))
                    .filter(file -> !file.getFileName().toString().equals("env.json")).sorted().toList();
            assertThat(events).hasSizeGreaterThanOrEqualTo(4);
            return events.stream();
        }
    }

    @ParameterizedTest
    @MethodSource("eventFiles")
    void event_whenLoadedTheWayLambdaBindsIt_isAnSqsEventWithCorrectDigests(Path file) {
        SQSEvent event = EventLoader.loadSQSEvent(file.toString());

        assertThat(event.getRecords()).isNotEmpty();
        for (SQSMessage message : event.getRecords()) {
            assertThat(UUID.fromString(message.getMessageId()).toString()).isEqualTo(message.getMessageId());
            assertThat(message.getReceiptHandle()).isNotBlank();
            assertThat(message.getBody()).isNotNull();
            assertThat(message.getMd5OfBody()).as(message.getMessageId()).isEqualTo(md5Hex(message.getBody()));
            assertThat(message.getEventSource()).isEqualTo("aws:sqs");
            assertThat(message.getEventSourceArn()).startsWith(SQS_ARN_PREFIX);
            assertThat(message.getAwsRegion()).isEqualTo("us-east-1");
            assertThat(message.getMessageAttributes()).isNotNull();
            assertThat(message.getAttributes()).containsKeys("ApproximateReceiveCount", "SentTimestamp", "SenderId",
                    "ApproximateFirstReceiveTimestamp");
            assertThat(Long.parseLong(message.getAttributes().get("ApproximateFirstReceiveTimestamp")))
                    .isGreaterThanOrEqualTo(Long.parseLong(message.getAttributes().get("SentTimestamp")));
        }
        assertThat(event.getRecords().stream().map(SQSMessage::getMessageId).distinct())
                .hasSameSizeAs(event.getRecords());
    }

    @ParameterizedTest
    @MethodSource("eventFiles")
    void event_whenReadAsJson_hasExactlyTheKeysLambdaSends(Path file) {
        for (Map<String, Object> record : records(file)) {
            assertThat(record.keySet()).isEqualTo(RECORD_KEYS);
            asMap(record.get("attributes")).values().forEach(value -> assertThat(value).isInstanceOf(String.class));
        }
    }

    @ParameterizedTest
    @MethodSource("eventFiles")
    void event_whenFromAFifoQueue_carriesGroupSequenceAndDeduplicationIds(Path file) {
        SQSEvent event = EventLoader.loadSQSEvent(file.toString());
        Map<String, List<BigInteger>> sequencesByGroup = new LinkedHashMap<>();

        for (SQSMessage message : event.getRecords()) {
            Map<String, String> attributes = message.getAttributes();
            if (message.getEventSourceArn().endsWith(".fifo")) {
                assertThat(attributes).containsKeys(FIFO_ATTRIBUTES.toArray(String[]::new));
                sequencesByGroup.computeIfAbsent(attributes.get("MessageGroupId"), group -> new ArrayList<>())
                        .add(new BigInteger(attributes.get("SequenceNumber")));
            } else {
                assertThat(attributes).doesNotContainKeys(FIFO_ATTRIBUTES.toArray(String[]::new));
            }
        }
        sequencesByGroup.values().forEach(sequence -> assertThat(sequence).isSorted());
    }

    @Test
    void fifoBatch_holdsSeveralMessagesOfTwoGroupsWithContentBasedDeduplicationIds() {
        SQSEvent event = EventLoader.loadSQSEvent(EVENTS.resolve("sqs-fifo-batch.json").toString());

        assertThat(event.getRecords()).allMatch(message -> message.getEventSourceArn().endsWith(".fifo"));
        assertThat(event.getRecords().stream().map(message -> message.getAttributes().get("MessageGroupId"))
                .distinct()).hasSize(2);
        assertThat(event.getRecords()).hasSizeGreaterThanOrEqualTo(4).allSatisfy(message -> assertThat(
                message.getAttributes().get("MessageDeduplicationId")).isEqualTo(sha256Hex(message.getBody())));
    }

    @Test
    void standardBatch_coversEachKindOfValidRequest() {
        List<Map<String, Object>> requests = bodies("sqs-standard-batch.json").stream().map(EventsFolderTest::json)
                .toList();

        assertThat(requests).allSatisfy(EventsFolderTest::assertDemoRequest);
        assertThat(requests).anyMatch(request -> request.containsKey("kubernetesGroups"))
                .anyMatch(request -> request.containsKey("addKubernetesGroups")
                        && request.containsKey("removeKubernetesGroups"))
                .anyMatch(request -> request.keySet().equals(Set.of("clusterName", "principalArn", "username")))
                .anyMatch(request -> request.containsKey("clientRequestToken")
                        && asMap(request.get("metadata")).keySet().equals(Set.of("approver", "ticket", "reason")));
    }

    @Test
    void snsWrappedEvent_carriesTheRequestInsideANotificationEnvelope() {
        List<String> bodies = bodies("sqs-sns-wrapped.json");
        Map<String, Object> envelope = json(bodies.get(0));

        assertThat(bodies).hasSize(1);
        assertThat(envelope).containsEntry("Type", "Notification").containsKeys("MessageId", "TopicArn", "Message",
                "Timestamp", "SignatureVersion", "Signature", "SigningCertURL", "UnsubscribeURL");
        assertThat((String) envelope.get("TopicArn")).startsWith("arn:aws:sns:us-east-1:111122223333:");
        assertDemoRequest(json((String) envelope.get("Message")));
    }

    @Test
    void invalidBatch_holdsEachKindOfInvalidMessageAndOneValid() {
        List<String> bodies = bodies("sqs-invalid-batch.json");

        assertThat(bodies).anyMatch(body -> !isJson(body));
        List<Map<String, Object>> parsed = bodies.stream().filter(EventsFolderTest::isJson).map(EventsFolderTest::json)
                .toList();
        assertThat(parsed).anyMatch(request -> request.containsKey("kubernetesGroup"))
                .anyMatch(request -> String.valueOf(request.get("kubernetesGroups")).contains("system:"))
                .anyMatch(request -> String.valueOf(request.get("principalArn")).contains(":sts::"))
                .anyMatch(request -> REQUEST_FIELDS.containsAll(request.keySet())
                        && !String.valueOf(request).contains("system:")
                        && String.valueOf(request.get("principalArn")).contains(":iam::"));
    }

    @Test
    void envJson_whenReadBySamLocal_namesTheTemplatesFunctionAndSetsOnlyItsVariables() throws IOException {
        Map<String, Object> env = JSON.std.mapFrom(Files.readString(EVENTS.resolve("env.json")));
        List<String> functions = TemplateTest.TEMPLATE.resourcesOfType("AWS::Serverless::Function");

        assertThat(env.keySet()).containsExactlyElementsOf(functions);
        Map<String, Object> variables = asMap(env.get(functions.get(0)));
        // sam local only overrides variables the template declares; others would be ignored silently.
        assertThat(variables).containsOnlyKeys(TemplateTest.ENVIRONMENT_VARIABLES);
        assertThat(variables).containsEntry("ALLOWED_CLUSTER_NAMES", "demo");
        for (String required : List.of("IDEMPOTENCY_TABLE_NAME", "EVENT_BUS_NAME", "ALLOWED_CLUSTER_NAMES")) {
            assertThat(variables.get(required)).as(required).asString().isNotBlank();
        }
        variables.values().forEach(value -> assertThat(value).isInstanceOf(String.class));
    }

    // --- helpers ------------------------------------------------------------------------------------

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> records(Path file) {
        try {
            Map<String, Object> event = JSON.std.mapFrom(Files.readString(file));
            assertThat(event).containsOnlyKeys("Records");
            return (List<Map<String, Object>>) event.get("Records");
        } catch (IOException unreadable) {
            throw new IllegalStateException(file.toString(), unreadable);
        }
    }

    static List<String> bodies(String fileName) {
        return EventLoader.loadSQSEvent(EVENTS.resolve(fileName).toString()).getRecords().stream()
                .map(SQSMessage::getBody).toList();
    }

    static void assertDemoRequest(Map<String, Object> request) {
        assertThat(REQUEST_FIELDS).containsAll(request.keySet());
        assertThat(request.get("clusterName")).isEqualTo("demo");
        assertThat((String) request.get("principalArn")).matches("arn:aws:iam::111122223333:(role|user)/.+");
    }

    static boolean isJson(String text) {
        try {
            JSON.std.mapFrom(text);
            return true;
        } catch (IOException notJson) {
            return false;
        }
    }

    static Map<String, Object> json(String text) {
        try {
            return JSON.std.mapFrom(text);
        } catch (IOException notJson) {
            throw new IllegalArgumentException(text, notJson);
        }
    }

    static String md5Hex(String text) {
        return digest("MD5", text);
    }

    static String sha256Hex(String text) {
        return digest("SHA-256", text);
    }

    private static String digest(String algorithm, String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance(algorithm)
                    .digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException unavailable) {
            throw new IllegalStateException(unavailable);
        }
    }
}
