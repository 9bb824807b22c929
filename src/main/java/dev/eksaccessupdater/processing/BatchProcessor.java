package dev.eksaccessupdater.processing;

import dev.eksaccessupdater.time.CallBudget;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Runs a batch through the {@link MessageProcessor}: messages are split into lanes that run concurrently on
 * a bounded pool ({@code MAX_CONCURRENCY}), and the messages of one lane run in order.
 * <ul>
 * <li>FIFO queue: a lane is a message group. Once a message of a group is retried, every later message of that
 *     group in the batch is retried unprocessed, so that the group's order holds (Lambda developer guide,
 *     "Handling errors for an SQS event source": https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html).
 *     Other groups go on.</li>
 * <li>Standard queue: a lane is an access entry. Its messages run one after the other, so that two changes to one
 *     entry cannot interleave their read and write and undo each other, and a second message with the same token
 *     finds the first completed: applied once, no needless retry. Different entries go concurrently.</li>
 * </ul>
 * No message is started when less than {@link #SAFETY_MARGIN} of the invocation is left; such messages are
 * retried unclaimed.
 */
public final class BatchProcessor {

    /**
     * A message started later than this before the deadline could rarely finish its four or five calls; it is
     * retried unclaimed instead. A message that does run late is cut off by {@link #RESPONSE_MARGIN}.
     */
    public static final Duration SAFETY_MARGIN = Duration.ofSeconds(3);

    /**
     * The batch stops waiting this long before the deadline: Lambda ends the invocation at the deadline, and a
     * response sent then is lost, so the whole batch, finished messages included, would come back. A message still
     * running is reported for retry; its claim lapses at the deadline.
     */
    public static final Duration RESPONSE_MARGIN = Duration.ofMillis(500);

    private final MessageProcessor messageProcessor;
    private final ExecutorService executor;
    private final OutcomeLog outcomeLog;
    private final Clock clock;

    public BatchProcessor(MessageProcessor messageProcessor, ExecutorService executor, OutcomeLog outcomeLog,
                          Clock clock) {
        this.messageProcessor = messageProcessor;
        this.executor = executor;
        this.outcomeLog = outcomeLog;
        this.clock = clock;
    }

    /** Never throws because of a message: every message gets exactly one outcome. */
    public BatchResult process(List<QueueMessage> messages, Invocation invocation) {
        Instant start = clock.instant();
        List<ParsedMessage> parsed = messages.stream().map(messageProcessor::parse).toList();
        AtomicReferenceArray<MessageResult> results = new AtomicReferenceArray<>(messages.size());
        CallBudget budget = new CallBudget(invocation.deadline(), clock);
        List<CompletableFuture<Void>> running = new ArrayList<>();
        for (List<Integer> lane : lanes(parsed)) {
            running.add(CompletableFuture.runAsync(() -> runLane(parsed, lane, invocation, budget, results), executor));
        }
        awaitUntil(invocation.deadline().minus(RESPONSE_MARGIN), running);
        // Whatever still runs makes no further call: Lambda may freeze this environment as soon as we answer, and a
        // call resumed after a thaw could undo a newer change to the entry with no claim or lease held.
        budget.cancel();

        List<MessageResult> ordered = new ArrayList<>(messages.size());
        for (int index = 0; index < messages.size(); index++) {
            // A lane may still be finishing this message: whichever result is set first is its one outcome, reported
            // and logged once.
            if (results.get(index) == null) {
                MessageResult unanswered = unprocessed(parsed.get(index), "the invocation ran out of time", start);
                if (results.compareAndSet(index, null, unanswered)) {
                    outcomeLog.message(unanswered);
                }
            }
            ordered.add(results.get(index));
        }
        BatchResult batch = new BatchResult(ordered, Duration.between(start, clock.instant()));
        outcomeLog.batch(batch);
        return batch;
    }

    private void runLane(List<ParsedMessage> batch, List<Integer> lane, Invocation invocation, CallBudget budget,
                         AtomicReferenceArray<MessageResult> results) {
        String failedGroup = null;
        for (int index : lane) {
            if (budget.isCancelled()) {
                return;
            }
            ParsedMessage parsed = batch.get(index);
            QueueMessage message = parsed.message();
            Instant start = clock.instant();
            MessageResult result;
            if (failedGroup != null) {
                result = unprocessed(parsed, "an earlier message of FIFO group " + failedGroup
                        + " failed in this batch", start);
            } else if (start.isAfter(invocation.deadline().minus(SAFETY_MARGIN))) {
                result = unprocessed(parsed, "too little of the invocation was left to start it", start);
            } else {
                result = processOne(parsed, budget, start);
            }
            if (message.isFifo() && result.outcome().isRetry()) {
                failedGroup = message.messageGroupId();
            }
            // Set already when the batch answered without it (reported for retry): this late result is dropped.
            if (results.compareAndSet(index, null, result)) {
                outcomeLog.message(result);
            }
        }
    }

    private MessageResult processOne(ParsedMessage parsed, CallBudget budget, Instant start) {
        try {
            Outcome outcome = messageProcessor.process(parsed, budget);
            return new MessageResult(parsed.message(), parsed.summary(), outcome,
                    Duration.between(start, clock.instant()));
        } catch (RuntimeException defect) {
            // A defect must not fail the whole batch: this message is retried and, if it keeps failing, ends in
            // the dead-letter queue where an operator sees it. Its stack trace is logged here and nowhere else.
            MessageResult result = unprocessed(parsed,
                    "unexpected " + defect.getClass().getName() + ": " + defect.getMessage(), start);
            outcomeLog.defect(result, defect);
            return result;
        }
    }

    private MessageResult unprocessed(ParsedMessage parsed, String reason, Instant start) {
        return new MessageResult(parsed.message(), parsed.summary(), new Outcome.Retry(reason),
                Duration.between(start, clock.instant()));
    }

    /**
     * The positions of the messages per lane, each lane in delivery order. On a FIFO queue a lane is a message
     * group; on a standard queue, messages that share an access entry or a token share a lane.
     */
    private static List<List<Integer>> lanes(List<ParsedMessage> batch) {
        int[] laneOf = new int[batch.size()];
        Map<String, Integer> firstWithKey = new HashMap<>();
        for (int index = 0; index < batch.size(); index++) {
            laneOf[index] = index;
            for (String key : laneKeys(batch.get(index))) {
                Integer earlier = firstWithKey.putIfAbsent(key, index);
                if (earlier != null) {
                    join(laneOf, earlier, index);
                }
            }
        }
        Map<Integer, List<Integer>> lanes = new LinkedHashMap<>();
        for (int index = 0; index < batch.size(); index++) {
            lanes.computeIfAbsent(root(laneOf, index), ignored -> new ArrayList<>()).add(index);
        }
        return List.copyOf(lanes.values());
    }

    private static List<String> laneKeys(ParsedMessage parsed) {
        QueueMessage message = parsed.message();
        if (message.isFifo()) {
            return List.of("group " + message.messageGroupId());
        }
        if (parsed instanceof ParsedMessage.Valid valid) {
            return List.of("entry " + valid.request().clusterName() + "\n" + valid.request().principalArn(),
                    "token " + valid.request().clientRequestToken());
        }
        return List.of();
    }

    /** Union-find over message positions: the lane of a message is its root. */
    private static void join(int[] laneOf, int first, int second) {
        int firstRoot = root(laneOf, first);
        int secondRoot = root(laneOf, second);
        laneOf[Math.max(firstRoot, secondRoot)] = Math.min(firstRoot, secondRoot);
    }

    private static int root(int[] laneOf, int index) {
        while (laneOf[index] != index) {
            index = laneOf[index];
        }
        return index;
    }

    private void awaitUntil(Instant deadline, List<CompletableFuture<Void>> running) {
        CompletableFuture<Void> all = CompletableFuture.allOf(running.toArray(CompletableFuture[]::new));
        long waitMillis = Math.max(0, Duration.between(clock.instant(), deadline).toMillis());
        try {
            all.get(waitMillis, TimeUnit.MILLISECONDS);
        } catch (TimeoutException outOfTime) {
            // Messages without a result are reported as retried by the caller.
        } catch (ExecutionException laneFailure) {
            // runLane catches per message; anything left is reported as retried by the caller.
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
