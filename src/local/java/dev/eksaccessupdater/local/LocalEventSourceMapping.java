package dev.eksaccessupdater.local;

import dev.eksaccessupdater.testing.TestContext;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import com.amazonaws.services.lambda.runtime.serialization.PojoSerializer;
import com.amazonaws.services.lambda.runtime.serialization.events.LambdaEventSerializers;
import dev.eksaccessupdater.local.BatchOutcome.Result;
import dev.eksaccessupdater.local.LambdaSqsEvents.ResponseReading;
import dev.eksaccessupdater.local.LocalQueues.QueuePair;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.BatchResultErrorEntry;
import software.amazon.awssdk.services.sqs.model.DeleteMessageBatchRequestEntry;
import software.amazon.awssdk.services.sqs.model.DeleteMessageBatchResponse;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.MessageAttributeValue;
import software.amazon.awssdk.services.sqs.model.MessageSystemAttributeName;

/**
 * A local stand-in for Lambda's SQS event source mapping with {@code ReportBatchItemFailures}: it long-polls the
 * request queue, builds the SQS event as Lambda does, binds it to {@link SQSEvent} through the Java runtime's own
 * serialisation library, invokes the handler, reads its {@link SQSBatchResponse} back as Lambda does and deletes
 * what Lambda would delete (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html).
 * Whatever it does not delete becomes visible again after the visibility timeout; SQS itself counts receives,
 * moves a message to the dead-letter queue after {@code maxReceiveCount} and keeps FIFO groups in order.
 * <p>
 * Unlike Lambda it runs one batch at a time on one poller, so it never invokes the function concurrently, and it
 * cannot stop a handler at the function timeout: a late answer counts as a timeout (nothing deleted).
 * Use either {@link #start()} (a background loop, until {@link #close()}) or {@link #pollOnce} (deterministic
 * tests), not both.
 */
public final class LocalEventSourceMapping implements AutoCloseable {

    /** SQS returns at most this many messages per receive. */
    private static final int MAX_MESSAGES_PER_RECEIVE = 10;
    /** SQS deletes at most this many messages per batch call. */
    private static final int MAX_ENTRIES_PER_DELETE = 10;
    /** Lambda long-polls for 20 s, the most SQS allows. */
    private static final Duration LAMBDA_LONG_POLL = Duration.ofSeconds(20);
    /** The loop's receives are shorter than Lambda's so that {@link #close()} returns soon; messages come as fast. */
    private static final Duration LOOP_LONG_POLL = Duration.ofSeconds(1);
    private static final Duration LOOP_FAILURE_PAUSE = Duration.ofSeconds(1);
    private static final Duration CLOSE_GRACE = Duration.ofSeconds(5);
    private static final DateTimeFormatter LOG_STREAM_DATE = DateTimeFormatter.ofPattern("yyyy/MM/dd");

    /**
     * The mapping's and the function's settings, as a template would give them.
     *
     * @param batchSize most messages per invocation: 1-10 on FIFO queues, 1-10000 on standard ones
     * @param batchingWindow how long to gather messages for a batch (0-300 s); above 10 messages at least 1 s;
     *     not on FIFO queues
     * @param functionTimeout the function's timeout, at most the queue's visibility timeout
     * @param reportBatchItemFailures {@code FunctionResponseTypes: [ReportBatchItemFailures]}; without it a
     *     returned response is ignored and every message of a batch that did not throw is deleted
     */
    public record Settings(int batchSize, Duration batchingWindow, Duration functionTimeout,
                           boolean reportBatchItemFailures, String functionName, int memoryLimitInMb) {

        public Settings {
            Objects.requireNonNull(batchingWindow, "batchingWindow");
            Objects.requireNonNull(functionTimeout, "functionTimeout");
            Objects.requireNonNull(functionName, "functionName");
            if (batchSize < 1 || batchSize > 10_000) {
                throw new IllegalArgumentException("batchSize must be 1-10000, was " + batchSize);
            }
            if (batchingWindow.isNegative() || batchingWindow.compareTo(Duration.ofSeconds(300)) > 0) {
                throw new IllegalArgumentException("batchingWindow must be 0-300 s, was " + batchingWindow);
            }
            if (batchSize > MAX_MESSAGES_PER_RECEIVE && batchingWindow.compareTo(Duration.ofSeconds(1)) < 0) {
                throw new IllegalArgumentException("a batchSize above 10 needs a batchingWindow of at least 1 s");
            }
            if (functionTimeout.isNegative() || functionTimeout.isZero()) {
                throw new IllegalArgumentException("functionTimeout must be positive, was " + functionTimeout);
            }
        }

        /** Lambda's defaults: batches of up to 10, no batching window, a 3 s timeout, partial batch responses. */
        public static Settings defaults() {
            return new Settings(10, Duration.ZERO, Duration.ofSeconds(3), true, "access-change-function", 512);
        }

        /** Both at once, since a batch size above 10 is valid only with a batching window. */
        public Settings withBatching(int newBatchSize, Duration newBatchingWindow) {
            return new Settings(newBatchSize, newBatchingWindow, functionTimeout, reportBatchItemFailures,
                    functionName, memoryLimitInMb);
        }

        public Settings withFunctionTimeout(Duration newFunctionTimeout) {
            return new Settings(batchSize, batchingWindow, newFunctionTimeout, reportBatchItemFailures, functionName,
                    memoryLimitInMb);
        }

        public Settings withReportBatchItemFailures(boolean newReportBatchItemFailures) {
            return new Settings(batchSize, batchingWindow, functionTimeout, newReportBatchItemFailures, functionName,
                    memoryLimitInMb);
        }
    }

    private final SqsClient sqs;
    private final QueuePair source;
    private final RequestHandler<SQSEvent, SQSBatchResponse> handler;
    private final Settings settings;
    private final BatchListener listener;
    private final Consumer<String> logSink;
    private final PojoSerializer<SQSEvent> eventSerializer;
    private final PojoSerializer<SQSBatchResponse> responseSerializer;
    private final String functionArn;
    private final String logStreamName;

    private final Object lifecycle = new Object();
    private Thread poller;
    private volatile boolean running;
    private volatile RuntimeException loopFailure;

    /**
     * Checks what Lambda checks when a mapping is created.
     *
     * @param sqs a client of the queues' endpoint, not closed by this mapping
     * @param listener told about every batch, on the polling thread
     * @param logSink receives the text of every {@code context.getLogger().log} call
     */
    public LocalEventSourceMapping(SqsClient sqs, QueuePair source, RequestHandler<SQSEvent, SQSBatchResponse> handler,
                                   Settings settings, BatchListener listener, Consumer<String> logSink) {
        this.sqs = Objects.requireNonNull(sqs, "sqs");
        this.source = Objects.requireNonNull(source, "source");
        this.handler = Objects.requireNonNull(handler, "handler");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.listener = Objects.requireNonNull(listener, "listener");
        this.logSink = Objects.requireNonNull(logSink, "logSink");
        if (source.settings().fifo() && settings.batchSize() > MAX_MESSAGES_PER_RECEIVE) {
            throw new IllegalArgumentException("a FIFO queue allows a batchSize of at most 10");
        }
        if (source.settings().fifo() && !settings.batchingWindow().isZero()) {
            throw new IllegalArgumentException("a FIFO queue does not support a batchingWindow");
        }
        Duration visibilityTimeout = Duration.ofSeconds(source.settings().visibilityTimeoutSeconds());
        if (settings.functionTimeout().compareTo(visibilityTimeout) > 0) {
            throw new IllegalArgumentException("the queue's visibility timeout (" + visibilityTimeout
                    + ") is less than the function timeout (" + settings.functionTimeout() + ")");
        }
        // The runtime binds events and responses with the serialisers of the handler's class loader.
        ClassLoader handlerClassLoader = handler.getClass().getClassLoader();
        this.eventSerializer = LambdaEventSerializers.serializerFor(SQSEvent.class, handlerClassLoader);
        this.responseSerializer = LambdaEventSerializers.serializerFor(SQSBatchResponse.class, handlerClassLoader);
        primeSerializers(source.requests().arn());
        String[] arn = source.requests().arn().split(":", 6);
        this.functionArn = "arn:aws:lambda:" + arn[3] + ":" + arn[4] + ":function:" + settings.functionName();
        this.logStreamName = LocalDate.now(ZoneOffset.UTC).format(LOG_STREAM_DATE) + "/[$LATEST]"
                + UUID.randomUUID().toString().replace("-", "");
    }

    /**
     * Binds one full event and one response, as a function's init phase might, so that the serialisers' one-off
     * cost (about a second on a small, busy machine) does not count against the first invocation's timeout.
     */
    private void primeSerializers(String queueArn) {
        Message sample = Message.builder()
                .messageId("prime").receiptHandle("prime").body("{}").md5OfBody("99914b932bd37a50b983c5e7c90ae93b")
                .attributesWithStrings(Map.of("ApproximateReceiveCount", "1"))
                .messageAttributes(Map.of(
                        "text", MessageAttributeValue.builder().dataType("String").stringValue("prime").build(),
                        "bytes", MessageAttributeValue.builder().dataType("Binary")
                                .binaryValue(SdkBytes.fromUtf8String("prime")).build()))
                .build();
        eventSerializer.fromJson(LambdaSqsEvents.eventJson(List.of(sample), queueArn));
        responseSerializer.toJson(new SQSBatchResponse(List.of(new SQSBatchResponse.BatchItemFailure("prime"))),
                OutputStream.nullOutputStream());
    }

    /** Starts polling on a thread of its own until {@link #close()}. */
    public void start() {
        synchronized (lifecycle) {
            if (poller != null) {
                throw new IllegalStateException("already started");
            }
            running = true;
            poller = new Thread(this::pollUntilClosed, "local-esm-" + source.requests().name());
            poller.setDaemon(true);
            poller.start();
        }
    }

    /** {@link #pollOnce(Duration)} with Lambda's long-poll wait of 20 s. */
    public Optional<BatchOutcome> pollOnce() {
        return pollOnce(LAMBDA_LONG_POLL);
    }

    /**
     * Receives one batch, invokes the handler with it and deletes what Lambda would delete.
     *
     * @param maxWait how long to wait for a first message ({@link Duration#ZERO}: one short poll); a batching
     *     window starts when it arrives (Lambda's documentation says only "the maximum amount of time to gather
     *     records")
     * @return what happened, or empty when no message arrived
     * @throws SdkException when the queue cannot be reached
     */
    public Optional<BatchOutcome> pollOnce(Duration maxWait) {
        synchronized (lifecycle) {
            if (poller != null) {
                throw new IllegalStateException("this mapping was started: its own thread polls");
            }
        }
        return poll(maxWait);
    }

    private Optional<BatchOutcome> poll(Duration maxWait) {
        List<Message> batch = receiveBatch(maxWait);
        if (batch.isEmpty()) {
            return Optional.empty();
        }
        BatchOutcome outcome = invokeAndSettle(batch);
        listener.onBatch(outcome);
        return Optional.of(outcome);
    }

    /**
     * Waits up to {@code maxWait} for messages; with a batching window, goes on receiving until the batch is full or
     * the window has passed. A message received twice (its visibility timeout ran out meanwhile) is kept once, with
     * its newest receipt handle.
     */
    private List<Message> receiveBatch(Duration maxWait) {
        Map<String, Message> batch = new LinkedHashMap<>();
        long firstDeadline = System.nanoTime() + maxWait.toNanos();
        do {
            receiveInto(batch, firstDeadline);
        } while (batch.isEmpty() && System.nanoTime() < firstDeadline);
        if (batch.isEmpty() || settings.batchingWindow().isZero()) {
            return new ArrayList<>(batch.values());
        }
        long windowEnd = System.nanoTime() + settings.batchingWindow().toNanos();
        while (batch.size() < settings.batchSize() && System.nanoTime() < windowEnd) {
            receiveInto(batch, windowEnd);
        }
        return new ArrayList<>(batch.values());
    }

    private void receiveInto(Map<String, Message> batch, long deadlineNanos) {
        int wanted = Math.min(MAX_MESSAGES_PER_RECEIVE, settings.batchSize() - batch.size());
        long remainingNanos = Math.max(0, deadlineNanos - System.nanoTime());
        int waitSeconds = (int) Math.min(LAMBDA_LONG_POLL.toSeconds(),
                (remainingNanos + TimeUnit.SECONDS.toNanos(1) - 1) / TimeUnit.SECONDS.toNanos(1));
        List<Message> received = sqs.receiveMessage(request -> request
                        .queueUrl(source.requests().url())
                        .maxNumberOfMessages(wanted)
                        .waitTimeSeconds(waitSeconds)
                        .messageSystemAttributeNames(MessageSystemAttributeName.ALL)
                        .messageAttributeNames("All"))
                .messages();
        for (Message message : received) {
            batch.remove(message.messageId());
            batch.put(message.messageId(), message);
        }
    }

    private BatchOutcome invokeAndSettle(List<Message> batch) {
        String requestId = UUID.randomUUID().toString();
        List<String> messageIds = batch.stream().map(Message::messageId).toList();
        String eventJson = LambdaSqsEvents.eventJson(batch, source.requests().arn());

        long start = System.nanoTime();
        long deadline = start + settings.functionTimeout().toNanos();
        TestContext context = new TestContext(requestId, settings.functionName(), functionArn, logStreamName,
                settings.memoryLimitInMb(), deadline, logSink);
        SQSEvent event = null;
        String responseJson;
        try {
            event = eventSerializer.fromJson(eventJson);
            SQSBatchResponse response = handler.handleRequest(event, context);
            ByteArrayOutputStream serialised = new ByteArrayOutputStream();
            responseSerializer.toJson(response, serialised);
            responseJson = serialised.toString(StandardCharsets.UTF_8);
        } catch (Throwable functionError) {
            // Whatever the function throws, even an Error, is the invocation's failure, as in the runtime.
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            return new BatchOutcome(requestId, Result.FUNCTION_ERROR, "the function failed: " + functionError,
                    eventJson, event, null, functionError, messageIds, List.of(), messageIds, took);
        }
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        if (System.nanoTime() - deadline > 0) {
            return new BatchOutcome(requestId, Result.TIMED_OUT, "the function ran " + took.toMillis()
                    + " ms, longer than its timeout of " + settings.functionTimeout().toMillis() + " ms",
                    eventJson, event, responseJson, null, messageIds, List.of(), messageIds, took);
        }
        if (!settings.reportBatchItemFailures()) {
            return settle(batch, Set.of(), Result.SUCCEEDED, "the function returned; without ReportBatchItemFailures"
                    + " its response is ignored", requestId, eventJson, event, responseJson, took);
        }
        ResponseReading reading = LambdaSqsEvents.readResponse(responseJson, new LinkedHashSet<>(messageIds));
        if (!reading.valid()) {
            return new BatchOutcome(requestId, Result.INVALID_RESPONSE, "the whole batch failed: "
                    + reading.invalidReason(), eventJson, event, responseJson, null, messageIds, List.of(),
                    messageIds, took);
        }
        if (reading.failedIds().isEmpty()) {
            return settle(batch, Set.of(), Result.SUCCEEDED, "the function reported no failure", requestId,
                    eventJson, event, responseJson, took);
        }
        return settle(batch, reading.failedIds(), Result.PARTIALLY_FAILED, "the function reported "
                        + reading.failedIds().size() + " of " + batch.size() + " messages as failed", requestId,
                eventJson, event, responseJson, took);
    }

    /** Deletes every message of {@code batch} but {@code keptIds}; one that cannot be deleted stays too. */
    private BatchOutcome settle(List<Message> batch, Set<String> keptIds, Result result, String reason,
                                String requestId, String eventJson, SQSEvent event, String responseJson,
                                Duration took) {
        List<Message> toDelete = batch.stream().filter(message -> !keptIds.contains(message.messageId())).toList();
        Set<String> deleted = new LinkedHashSet<>();
        List<String> deleteErrors = new ArrayList<>();
        for (int from = 0; from < toDelete.size(); from += MAX_ENTRIES_PER_DELETE) {
            List<Message> chunk = toDelete.subList(from, Math.min(toDelete.size(), from + MAX_ENTRIES_PER_DELETE));
            List<DeleteMessageBatchRequestEntry> entries = new ArrayList<>(chunk.size());
            for (int index = 0; index < chunk.size(); index++) {
                entries.add(DeleteMessageBatchRequestEntry.builder()
                        .id(Integer.toString(index))
                        .receiptHandle(chunk.get(index).receiptHandle())
                        .build());
            }
            try {
                DeleteMessageBatchResponse response = sqs.deleteMessageBatch(request -> request
                        .queueUrl(source.requests().url())
                        .entries(entries));
                response.successful()
                        .forEach(entry -> deleted.add(chunk.get(Integer.parseInt(entry.id())).messageId()));
                for (BatchResultErrorEntry failure : response.failed()) {
                    deleteErrors.add(chunk.get(Integer.parseInt(failure.id())).messageId() + ": " + failure.code());
                }
            } catch (SdkException deleteFailure) {
                chunk.forEach(message -> deleteErrors.add(message.messageId() + ": " + deleteFailure.getMessage()));
            }
        }
        List<String> retried = batch.stream().map(Message::messageId).filter(id -> !deleted.contains(id)).toList();
        String fullReason = deleteErrors.isEmpty() ? reason : reason + "; could not delete " + deleteErrors;
        return new BatchOutcome(requestId, result, fullReason, eventJson, event, responseJson, null,
                batch.stream().map(Message::messageId).toList(), List.copyOf(deleted), retried, took);
    }

    private void pollUntilClosed() {
        while (running) {
            try {
                poll(LOOP_LONG_POLL);
            } catch (SdkException unreachable) {
                if (!running) {
                    return;
                }
                listener.onPollFailure(unreachable);
                if (!pause(LOOP_FAILURE_PAUSE)) {
                    return;
                }
            } catch (RuntimeException unexpected) {
                // A failing listener or a bug here: stop, and let close() report it rather than loop on it.
                loopFailure = unexpected;
                running = false;
            }
        }
    }

    private static boolean pause(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
            return true;
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * Stops the polling loop after its current batch, waiting for it to settle. Leaves the queues and the client
     * open.
     *
     * @throws IllegalStateException when the loop had stopped on an unexpected failure (e.g. of the listener)
     */
    @Override
    public void close() {
        Thread stopping;
        synchronized (lifecycle) {
            running = false;
            stopping = poller;
        }
        if (stopping != null) {
            Duration longest = LOOP_LONG_POLL.plus(settings.batchingWindow()).plus(settings.functionTimeout())
                    .plus(CLOSE_GRACE);
            try {
                stopping.join(longest.toMillis());
                if (stopping.isAlive()) {
                    stopping.interrupt();
                    stopping.join(CLOSE_GRACE.toMillis());
                }
            } catch (InterruptedException interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        RuntimeException failure = loopFailure;
        if (failure != null) {
            throw new IllegalStateException("the polling loop stopped on an unexpected failure", failure);
        }
    }
}
