package dev.eksaccessupdater.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse.BatchItemFailure;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import com.amazonaws.services.lambda.runtime.events.SQSEvent.SQSMessage;
import dev.eksaccessupdater.local.BatchOutcome.Result;
import dev.eksaccessupdater.local.LocalEventSourceMapping.Settings;
import dev.eksaccessupdater.local.LocalQueues.QueueCounts;
import dev.eksaccessupdater.local.LocalQueues.QueuePair;
import dev.eksaccessupdater.local.LocalQueues.QueueSettings;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.MessageAttributeValue;
import software.amazon.awssdk.services.sqs.model.MessageSystemAttributeName;
import software.amazon.awssdk.services.sqs.model.SendMessageBatchRequestEntry;
import software.amazon.awssdk.services.sqs.model.SendMessageBatchResultEntry;

class LocalEventSourceMappingTest {

    private static final int VISIBILITY_TIMEOUT_SECONDS = 1;
    private static final QueueSettings STANDARD = new QueueSettings(false, 2, VISIBILITY_TIMEOUT_SECONDS);
    private static final QueueSettings FIFO = new QueueSettings(true, 2, VISIBILITY_TIMEOUT_SECONDS);
    /** For checking that messages stay in flight, however slow a busy machine runs the test. */
    private static final QueueSettings STANDARD_SLOW_REDELIVERY = new QueueSettings(false, 2, 30);
    private static final Settings MAPPING = Settings.defaults().withFunctionTimeout(Duration.ofSeconds(1));
    /** Long enough for a message to come back after the visibility timeout; pollOnce returns as soon as it does. */
    private static final Duration REDELIVERY_WAIT = Duration.ofSeconds(5);
    private static final AtomicInteger QUEUE_NUMBER = new AtomicInteger();

    private static LocalQueues queues;
    private static SqsClient sqs;

    private final List<String> logs = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void startQueues() {
        queues = LocalQueues.start();
        sqs = queues.sqsClient();
    }

    @AfterAll
    static void stopQueues() {
        queues.close();
    }

    @Test
    void pollOnce_whenStandardMessageSent_deliversRecordAsLambdaDoes() {
        QueuePair pair = newQueues(STANDARD);
        String messageId = sqs.sendMessage(request -> request
                .queueUrl(pair.requests().url())
                .messageBody("{\"hello\":\"world\"}")
                .messageAttributes(Map.of(
                        "traceId", MessageAttributeValue.builder().dataType("String").stringValue("abc").build(),
                        "attempt", MessageAttributeValue.builder().dataType("Number").stringValue("3").build(),
                        "blob", MessageAttributeValue.builder().dataType("Binary")
                                .binaryValue(SdkBytes.fromUtf8String("bytes")).build())))
                .messageId();
        long sentAfter = System.currentTimeMillis() - 5_000;
        RecordingHandler handler = new RecordingHandler(RecordingHandler::failOnMarkers);

        BatchOutcome outcome = mapping(pair, handler, MAPPING).pollOnce(REDELIVERY_WAIT).orElseThrow();

        SQSMessage record = onlyRecord(handler);
        assertThat(record.getMessageId()).isEqualTo(messageId);
        assertThat(record.getReceiptHandle()).isNotBlank();
        assertThat(record.getBody()).isEqualTo("{\"hello\":\"world\"}");
        assertThat(record.getMd5OfBody()).isEqualTo(md5Hex("{\"hello\":\"world\"}"));
        assertThat(record.getMd5OfMessageAttributes()).matches("[0-9a-f]{32}");
        assertThat(record.getEventSource()).isEqualTo("aws:sqs");
        assertThat(record.getEventSourceArn()).isEqualTo(pair.requests().arn());
        assertThat(record.getAwsRegion()).isEqualTo("us-east-1");
        assertThat(record.getAttributes()).containsOnlyKeys("ApproximateReceiveCount", "SentTimestamp", "SenderId",
                "ApproximateFirstReceiveTimestamp");
        assertThat(record.getAttributes()).containsEntry("ApproximateReceiveCount", "1");
        assertThat(Long.parseLong(record.getAttributes().get("SentTimestamp"))).isGreaterThan(sentAfter);
        assertThat(Long.parseLong(record.getAttributes().get("ApproximateFirstReceiveTimestamp")))
                .isGreaterThanOrEqualTo(Long.parseLong(record.getAttributes().get("SentTimestamp")));
        assertThat(record.getMessageAttributes()).containsOnlyKeys("traceId", "attempt", "blob");
        assertThat(record.getMessageAttributes().get("traceId").getStringValue()).isEqualTo("abc");
        assertThat(record.getMessageAttributes().get("traceId").getDataType()).isEqualTo("String");
        assertThat(record.getMessageAttributes().get("attempt").getStringValue()).isEqualTo("3");
        assertThat(record.getMessageAttributes().get("attempt").getDataType()).isEqualTo("Number");
        assertThat(StandardCharsets.UTF_8.decode(record.getMessageAttributes().get("blob").getBinaryValue()).toString())
                .isEqualTo("bytes");
        assertThat(record.getMessageAttributes().get("blob").getStringListValues()).isEmpty();
        assertThat(outcome.eventJson())
                .startsWith("{\"Records\":[{\"messageId\":\"" + messageId + "\"")
                .contains("\"eventSourceARN\":\"" + pair.requests().arn() + "\"")
                .contains("\"traceId\":{\"stringValue\":\"abc\",\"stringListValues\":[],\"binaryListValues\":[],"
                        + "\"dataType\":\"String\"}")
                .contains("\"blob\":{\"binaryValue\":\"Ynl0ZXM=\",");
    }

    @Test
    void pollOnce_whenMessageHasNoAttributes_leavesOutMd5OfMessageAttributes() {
        QueuePair pair = newQueues(STANDARD);
        send(pair, "plain");
        RecordingHandler handler = new RecordingHandler(RecordingHandler::failOnMarkers);

        BatchOutcome outcome = mapping(pair, handler, MAPPING).pollOnce(REDELIVERY_WAIT).orElseThrow();

        assertThat(onlyRecord(handler).getMessageAttributes()).isEmpty();
        assertThat(onlyRecord(handler).getMd5OfMessageAttributes()).isNull();
        assertThat(outcome.eventJson()).contains("\"messageAttributes\":{}").doesNotContain("md5OfMessageAttributes");
    }

    @Test
    void pollOnce_whenFifoMessageSent_deliversGroupSequenceAndDeduplicationIds() {
        QueuePair pair = newQueues(FIFO);
        sqs.sendMessage(request -> request.queueUrl(pair.requests().url()).messageBody("first")
                .messageGroupId("cluster-a").messageDeduplicationId("token-1"));
        RecordingHandler handler = new RecordingHandler(RecordingHandler::failOnMarkers);

        mapping(pair, handler, MAPPING).pollOnce(REDELIVERY_WAIT).orElseThrow();

        SQSMessage record = onlyRecord(handler);
        assertThat(record.getEventSourceArn()).isEqualTo(pair.requests().arn()).endsWith(".fifo");
        assertThat(record.getAttributes())
                .containsEntry("MessageGroupId", "cluster-a")
                .containsEntry("MessageDeduplicationId", "token-1")
                .containsEntry("ApproximateReceiveCount", "1")
                .containsKeys("SequenceNumber", "SentTimestamp", "SenderId", "ApproximateFirstReceiveTimestamp");
    }

    @Test
    void pollOnce_whenHandlerReportsNoFailure_deletesEveryMessage() {
        QueuePair pair = newQueues(STANDARD);
        List<String> sent = send(pair, "one", "two", "three");

        BatchOutcome outcome = mapping(pair, new RecordingHandler(RecordingHandler::failOnMarkers), MAPPING)
                .pollOnce(REDELIVERY_WAIT).orElseThrow();

        assertThat(outcome.result()).isEqualTo(Result.SUCCEEDED);
        assertThat(outcome.responseJson()).isEqualTo("{\"batchItemFailures\":[]}");
        assertThat(outcome.deletedIds()).containsExactlyInAnyOrderElementsOf(sent);
        assertThat(outcome.retriedIds()).isEmpty();
        assertThat(queues.counts(pair.requests()).total()).isZero();
    }

    @Test
    void pollOnce_whenHandlerReturnsNull_deletesEveryMessage() {
        QueuePair pair = newQueues(STANDARD);
        send(pair, "one", "two");

        BatchOutcome outcome = mapping(pair, new RecordingHandler((event, context) -> null), MAPPING)
                .pollOnce(REDELIVERY_WAIT).orElseThrow();

        assertThat(outcome.result()).isEqualTo(Result.SUCCEEDED);
        assertThat(outcome.responseJson()).isEqualTo("null");
        assertThat(queues.counts(pair.requests()).total()).isZero();
    }

    @Test
    void pollOnce_whenOneItemFails_redeliversOnlyItAfterVisibilityTimeout() {
        QueuePair pair = newQueues(STANDARD);
        List<String> ids = send(pair, "ok-1", "fail-2", "ok-3");
        RecordingHandler handler = new RecordingHandler(RecordingHandler::failOnMarkers);
        LocalEventSourceMapping mapping = mapping(pair, handler, MAPPING);

        long start = System.nanoTime();
        BatchOutcome first = mapping.pollOnce(REDELIVERY_WAIT).orElseThrow();
        BatchOutcome second = mapping.pollOnce(REDELIVERY_WAIT).orElseThrow();
        Duration untilRedelivered = Duration.ofNanos(System.nanoTime() - start);

        assertThat(first.result()).isEqualTo(Result.PARTIALLY_FAILED);
        assertThat(first.responseJson())
                .isEqualTo("{\"batchItemFailures\":[{\"itemIdentifier\":\"" + ids.get(1) + "\"}]}");
        assertThat(first.deletedIds()).containsExactlyInAnyOrder(ids.get(0), ids.get(2));
        assertThat(first.retriedIds()).containsExactly(ids.get(1));
        assertThat(untilRedelivered).isGreaterThanOrEqualTo(Duration.ofSeconds(VISIBILITY_TIMEOUT_SECONDS));
        assertThat(second.messageIds()).containsExactly(ids.get(1));
        SQSMessage redelivered = second.event().getRecords().get(0);
        assertThat(redelivered.getBody()).isEqualTo("fail-2");
        assertThat(redelivered.getAttributes()).containsEntry("ApproximateReceiveCount", "2");
    }

    @Test
    void pollOnce_whenMessageFailsMaxReceiveCountTimes_movesItToDeadLetterQueue() {
        QueuePair pair = newQueues(STANDARD);
        String failing = send(pair, "fail-always").get(0);
        RecordingHandler handler = new RecordingHandler(RecordingHandler::failOnMarkers);
        LocalEventSourceMapping mapping = mapping(pair, handler, MAPPING);

        mapping.pollOnce(REDELIVERY_WAIT).orElseThrow();
        mapping.pollOnce(REDELIVERY_WAIT).orElseThrow();
        // SQS moves the message when a receive would exceed maxReceiveCount, so this receive finds nothing.
        Optional<BatchOutcome> third = mapping.pollOnce(Duration.ofSeconds(2));

        assertThat(third).isEmpty();
        assertThat(handler.bodiesWithReceiveCount()).containsExactly("fail-always#1", "fail-always#2");
        List<Message> deadLetters = sqs.receiveMessage(request -> request.queueUrl(pair.deadLetters().url())
                .waitTimeSeconds(2).messageSystemAttributeNames(MessageSystemAttributeName.ALL)).messages();
        assertThat(deadLetters).singleElement().satisfies(message -> {
            assertThat(message.messageId()).isEqualTo(failing);
            assertThat(message.attributesAsStrings()).containsEntry("DeadLetterQueueSourceArn", pair.requests().arn());
        });
        assertThat(queues.counts(pair.requests()).total()).isZero();
    }

    @Test
    void pollOnce_whenHandlerThrows_deletesNothing() {
        QueuePair pair = newQueues(STANDARD);
        List<String> ids = send(pair, "ok-1", "throw-2");
        LocalEventSourceMapping mapping = mapping(pair, new RecordingHandler(RecordingHandler::failOnMarkers), MAPPING);

        BatchOutcome outcome = mapping.pollOnce(REDELIVERY_WAIT).orElseThrow();
        BatchOutcome retry = mapping.pollOnce(REDELIVERY_WAIT).orElseThrow();

        assertThat(outcome.result()).isEqualTo(Result.FUNCTION_ERROR);
        assertThat(outcome.error()).isInstanceOf(IllegalStateException.class).hasMessage("throw-2");
        assertThat(outcome.responseJson()).isNull();
        assertThat(outcome.deletedIds()).isEmpty();
        assertThat(outcome.retriedIds()).containsExactlyInAnyOrderElementsOf(ids);
        assertThat(retry.messageIds()).containsExactlyInAnyOrderElementsOf(ids);
        assertThat(retry.event().getRecords())
                .allSatisfy(record -> assertThat(record.getAttributes()).containsEntry("ApproximateReceiveCount", "2"));
    }

    @Test
    void pollOnce_whenResponseNamesIdNotInBatch_deletesNothing() {
        QueuePair pair = newQueues(STANDARD_SLOW_REDELIVERY);
        send(pair, "one", "two");
        RecordingHandler handler = new RecordingHandler((event, context) ->
                new SQSBatchResponse(List.of(new BatchItemFailure("not-a-message-of-this-batch"))));

        BatchOutcome outcome = mapping(pair, handler, MAPPING).pollOnce(REDELIVERY_WAIT).orElseThrow();

        assertThat(outcome.result()).isEqualTo(Result.INVALID_RESPONSE);
        assertThat(outcome.reason()).contains("not-a-message-of-this-batch");
        assertThat(outcome.deletedIds()).isEmpty();
        assertThat(queues.counts(pair.requests())).isEqualTo(new QueueCounts(0, 2, 0));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "null"})
    void pollOnce_whenItemIdentifierIsEmptyOrNull_deletesNothing(String identifier) {
        QueuePair pair = newQueues(STANDARD_SLOW_REDELIVERY);
        send(pair, "one", "two");
        String itemIdentifier = identifier.equals("null") ? null : identifier;
        RecordingHandler handler = new RecordingHandler((event, context) ->
                new SQSBatchResponse(List.of(new BatchItemFailure(itemIdentifier))));

        BatchOutcome outcome = mapping(pair, handler, MAPPING).pollOnce(REDELIVERY_WAIT).orElseThrow();

        assertThat(outcome.result()).isEqualTo(Result.INVALID_RESPONSE);
        assertThat(outcome.deletedIds()).isEmpty();
        assertThat(queues.counts(pair.requests())).isEqualTo(new QueueCounts(0, 2, 0));
    }

    @Test
    void pollOnce_whenReportBatchItemFailuresIsOff_ignoresTheResponse() {
        QueuePair pair = newQueues(STANDARD);
        send(pair, "ok-1", "fail-2");

        BatchOutcome outcome = mapping(pair, new RecordingHandler(RecordingHandler::failOnMarkers),
                MAPPING.withReportBatchItemFailures(false)).pollOnce(REDELIVERY_WAIT).orElseThrow();

        assertThat(outcome.result()).isEqualTo(Result.SUCCEEDED);
        assertThat(queues.counts(pair.requests()).total()).isZero();
    }

    @Test
    void pollOnce_whenHandlerOutlivesFunctionTimeout_deletesNothing() {
        QueuePair pair = newQueues(STANDARD_SLOW_REDELIVERY);
        send(pair, "slow");
        RecordingHandler handler = new RecordingHandler((event, context) -> {
            sleep(Duration.ofMillis(context.getRemainingTimeInMillis() + 100L));
            return new SQSBatchResponse(List.of());
        });

        BatchOutcome outcome = mapping(pair, handler, MAPPING.withFunctionTimeout(Duration.ofMillis(300)))
                .pollOnce(REDELIVERY_WAIT).orElseThrow();

        assertThat(outcome.result()).isEqualTo(Result.TIMED_OUT);
        assertThat(outcome.deletedIds()).isEmpty();
        assertThat(queues.counts(pair.requests())).isEqualTo(new QueueCounts(0, 1, 0));
    }

    @Test
    void pollOnce_whenFifoMessageFails_keepsItsGroupInOrder() {
        QueuePair pair = newQueues(FIFO);
        sendFifo(pair, "A", "a1", "a2-fail-once", "a3");
        sendFifo(pair, "B", "b1");
        RecordingHandler handler = new RecordingHandler(RecordingHandler::fifoFailingOnFirstReceive);
        LocalEventSourceMapping mapping = mapping(pair, handler, MAPPING);

        List<BatchOutcome> outcomes = new ArrayList<>();
        Optional<BatchOutcome> outcome;
        while ((outcome = mapping.pollOnce(Duration.ofSeconds(2))).isPresent()) {
            outcomes.add(outcome.get());
        }

        assertThat(handler.succeeded).filteredOn(body -> body.startsWith("a"))
                .containsExactly("a1", "a2-fail-once", "a3");
        assertThat(handler.succeeded).filteredOn(body -> body.startsWith("b")).containsExactly("b1");
        assertThat(handler.bodiesWithReceiveCount()).contains("a2-fail-once#1", "a2-fail-once#2");
        assertThat(outcomes.get(0).result()).isEqualTo(Result.PARTIALLY_FAILED);
        assertThat(outcomes).last().extracting(BatchOutcome::result).isEqualTo(Result.SUCCEEDED);
        assertThat(queues.counts(pair.requests()).total()).isZero();
    }

    @Test
    void pollOnce_whenBatchSizeAboveTen_gathersUntilBatchingWindowEnds() {
        QueuePair pair = newQueues(STANDARD);
        List<String> ids = new ArrayList<>(send(pair, bodies("first-", 10)));
        ids.addAll(send(pair, bodies("second-", 5)));
        Settings settings = MAPPING.withBatching(25, Duration.ofSeconds(1));

        long start = System.nanoTime();
        BatchOutcome outcome = mapping(pair, new RecordingHandler(RecordingHandler::failOnMarkers), settings)
                .pollOnce(REDELIVERY_WAIT).orElseThrow();
        Duration took = Duration.ofNanos(System.nanoTime() - start);

        assertThat(outcome.messageIds()).containsExactlyInAnyOrderElementsOf(ids);
        assertThat(took).isGreaterThanOrEqualTo(Duration.ofMillis(900));
        assertThat(queues.counts(pair.requests()).total()).isZero();
    }

    @Test
    void pollOnce_whenInvoking_passesContextWithCountdownAndLogger() {
        QueuePair pair = newQueues(STANDARD);
        send(pair, "hello");
        List<Context> contexts = new CopyOnWriteArrayList<>();
        List<Integer> remaining = new CopyOnWriteArrayList<>();
        RecordingHandler handler = new RecordingHandler((event, context) -> {
            contexts.add(context);
            remaining.add(context.getRemainingTimeInMillis());
            context.getLogger().log("processing " + event.getRecords().size());
            return null;
        });

        BatchOutcome outcome = mapping(pair, handler, MAPPING).pollOnce(REDELIVERY_WAIT).orElseThrow();

        Context context = contexts.get(0);
        assertThat(context.getAwsRequestId()).isEqualTo(outcome.requestId());
        assertThat(context.getFunctionName()).isEqualTo("access-change-function");
        assertThat(context.getInvokedFunctionArn())
                .isEqualTo("arn:aws:lambda:us-east-1:123456789012:function:access-change-function");
        assertThat(remaining.get(0)).isBetween(1, 1_000);
        assertThat(logs).containsExactly("processing 1");
    }

    @Test
    void start_whenMessagesArrive_invokesHandlerUntilClosed() throws InterruptedException {
        QueuePair pair = newQueues(STANDARD);
        BlockingQueue<BatchOutcome> outcomes = new LinkedBlockingQueue<>();
        LocalEventSourceMapping mapping = new LocalEventSourceMapping(sqs, pair,
                new RecordingHandler(RecordingHandler::failOnMarkers), MAPPING, outcomes::add, logs::add);

        mapping.start();
        List<String> ids = send(pair, "one", "two");
        Set<String> seen = new HashSet<>();
        while (seen.size() < ids.size()) {
            BatchOutcome outcome = outcomes.poll(5, TimeUnit.SECONDS);
            assertThat(outcome).as("a batch within 5 s").isNotNull();
            seen.addAll(outcome.deletedIds());
        }
        long closing = System.nanoTime();
        mapping.close();
        Duration closeTook = Duration.ofNanos(System.nanoTime() - closing);
        send(pair, "after-close");

        assertThat(seen).containsExactlyInAnyOrderElementsOf(ids);
        assertThat(closeTook).isLessThan(Duration.ofSeconds(5));
        assertThat(outcomes.poll(1500, TimeUnit.MILLISECONDS)).isNull();
        assertThat(queues.counts(pair.requests()).visible()).isEqualTo(1);
    }

    @Test
    void close_whenListenerFailed_reportsTheFailure() {
        QueuePair pair = newQueues(STANDARD);
        RecordingHandler handler = new RecordingHandler(RecordingHandler::failOnMarkers);
        LocalEventSourceMapping mapping = new LocalEventSourceMapping(sqs, pair, handler, MAPPING,
                outcome -> {
                    throw new IllegalArgumentException("listener bug");
                }, logs::add);
        mapping.start();
        send(pair, "one");
        // close() lets the batch under way finish, listener call included.
        for (int attempt = 0; attempt < 50 && handler.events.isEmpty(); attempt++) {
            sleep(Duration.ofMillis(100));
        }

        assertThatThrownBy(mapping::close).isInstanceOf(IllegalStateException.class)
                .hasRootCauseMessage("listener bug");
    }

    @Test
    void constructor_whenSettingsBreakLambdaLimits_refuses() {
        QueuePair standard = newQueues(STANDARD);
        QueuePair fifo = newQueues(FIFO);
        RecordingHandler handler = new RecordingHandler(RecordingHandler::failOnMarkers);

        assertThatThrownBy(() -> mapping(fifo, handler, MAPPING.withBatching(11, Duration.ofSeconds(1))))
                .hasMessageContaining("FIFO");
        assertThatThrownBy(() -> mapping(fifo, handler, MAPPING.withBatching(10, Duration.ofSeconds(1))))
                .hasMessageContaining("batchingWindow");
        assertThatThrownBy(() -> mapping(standard, handler, MAPPING.withFunctionTimeout(Duration.ofSeconds(2))))
                .hasMessageContaining("visibility timeout");
        assertThatThrownBy(() -> MAPPING.withBatching(11, Duration.ZERO)).hasMessageContaining("batchingWindow");
    }

    private LocalEventSourceMapping mapping(QueuePair pair, RecordingHandler handler, Settings settings) {
        return new LocalEventSourceMapping(sqs, pair, handler, settings, BatchListener.none(), logs::add);
    }

    private static QueuePair newQueues(QueueSettings settings) {
        return queues.createQueues("esm-test-" + QUEUE_NUMBER.incrementAndGet(), settings);
    }

    private static List<String> send(QueuePair pair, String... bodies) {
        List<SendMessageBatchRequestEntry> entries = IntStream.range(0, bodies.length)
                .mapToObj(index -> SendMessageBatchRequestEntry.builder()
                        .id("m" + index)
                        .messageBody(bodies[index])
                        .build())
                .toList();
        return sqs.sendMessageBatch(request -> request.queueUrl(pair.requests().url()).entries(entries))
                .successful().stream()
                .sorted(Comparator.comparing(SendMessageBatchResultEntry::id))
                .map(SendMessageBatchResultEntry::messageId)
                .toList();
    }

    private static void sendFifo(QueuePair pair, String groupId, String... bodies) {
        for (String body : bodies) {
            sqs.sendMessage(request -> request.queueUrl(pair.requests().url()).messageBody(body)
                    .messageGroupId(groupId));
        }
    }

    private static String[] bodies(String prefix, int count) {
        return IntStream.range(0, count).mapToObj(index -> prefix + index).toArray(String[]::new);
    }

    private static SQSMessage onlyRecord(RecordingHandler handler) {
        assertThat(handler.events).hasSize(1);
        assertThat(handler.events.get(0).getRecords()).hasSize(1);
        return handler.events.get(0).getRecords().get(0);
    }

    private static String md5Hex(String text) {
        try {
            byte[] digest = MessageDigest.getInstance("MD5").digest(text.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest);
        } catch (NoSuchAlgorithmException notOnThisJvm) {
            throw new IllegalStateException(notOnThisJvm);
        }
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(interrupted);
        }
    }

    /** Records every event it gets and answers as its behaviour says. */
    private static final class RecordingHandler implements RequestHandler<SQSEvent, SQSBatchResponse> {

        final List<SQSEvent> events = new CopyOnWriteArrayList<>();
        /** The bodies of messages not reported as failed, in order. */
        final List<String> succeeded = new CopyOnWriteArrayList<>();
        private final BiFunction<SQSEvent, Context, SQSBatchResponse> behaviour;

        RecordingHandler(BiFunction<SQSEvent, Context, SQSBatchResponse> behaviour) {
            this.behaviour = behaviour;
        }

        @Override
        public SQSBatchResponse handleRequest(SQSEvent event, Context context) {
            events.add(event);
            SQSBatchResponse response = behaviour.apply(event, context);
            Set<String> failedIds = new HashSet<>();
            if (response != null && response.getBatchItemFailures() != null) {
                response.getBatchItemFailures().forEach(failure -> failedIds.add(failure.getItemIdentifier()));
            }
            event.getRecords().stream().filter(record -> !failedIds.contains(record.getMessageId()))
                    .forEach(record -> succeeded.add(record.getBody()));
            return response;
        }

        /** Every body the handler saw, in order, with the receive count: {@code body#count}. */
        List<String> bodiesWithReceiveCount() {
            return events.stream().flatMap(event -> event.getRecords().stream())
                    .map(record -> record.getBody() + "#" + record.getAttributes().get("ApproximateReceiveCount"))
                    .toList();
        }

        /** Throws when a body contains "throw"; reports each body containing "fail" as failed. */
        static SQSBatchResponse failOnMarkers(SQSEvent event, Context context) {
            List<BatchItemFailure> failures = new ArrayList<>();
            for (SQSMessage record : event.getRecords()) {
                if (record.getBody().contains("throw")) {
                    throw new IllegalStateException(record.getBody());
                }
                if (record.getBody().contains("fail")) {
                    failures.add(new BatchItemFailure(record.getMessageId()));
                }
            }
            return new SQSBatchResponse(failures);
        }

        /**
         * Fails a body containing "fail-once" on its first receive and, as Lambda asks of FIFO handlers, every later
         * message of the same group in the batch, unprocessed.
         */
        static SQSBatchResponse fifoFailingOnFirstReceive(SQSEvent event, Context context) {
            List<BatchItemFailure> failures = new ArrayList<>();
            Set<String> failedGroups = new HashSet<>();
            for (SQSMessage record : event.getRecords()) {
                String group = record.getAttributes().get("MessageGroupId");
                boolean fails = record.getBody().contains("fail-once")
                        && record.getAttributes().get("ApproximateReceiveCount").equals("1");
                if (failedGroups.contains(group) || fails) {
                    failedGroups.add(group);
                    failures.add(new BatchItemFailure(record.getMessageId()));
                }
            }
            return new SQSBatchResponse(failures);
        }
    }
}
