package dev.eksaccessupdater.processing;

import static dev.eksaccessupdater.processing.ProcessingFixture.CLUSTER;
import static dev.eksaccessupdater.processing.ProcessingFixture.DEVELOPERS;
import static dev.eksaccessupdater.processing.ProcessingFixture.NOW;
import static dev.eksaccessupdater.processing.ProcessingFixture.OPERATORS;
import static dev.eksaccessupdater.processing.ProcessingFixture.message;
import static org.assertj.core.api.Assertions.assertThat;

import dev.eksaccessupdater.dedup.ClaimStatus;
import dev.eksaccessupdater.eks.AccessEntries;
import dev.eksaccessupdater.eks.AccessEntry;
import dev.eksaccessupdater.eks.AccessEntryUpdate;
import dev.eksaccessupdater.events.AccessEvent;
import dev.eksaccessupdater.observability.JsonOutcomeLog;
import dev.eksaccessupdater.request.RequestParser;
import dev.eksaccessupdater.testing.SteppingClock;
import dev.eksaccessupdater.time.CallBudget;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Deadline discipline (docs/contract.md section 3, "Deadline"): no AWS call of a message starts later than 0.5 s
 * before the invocation's deadline, and work still running when the handler answers makes no further call - a
 * frozen and later thawed Lambda environment never resumes a message already reported for retry.
 */
class DeadlineTest {

    private final ProcessingFixture fixture = new ProcessingFixture(4);
    private final ExecutorService lanes = Executors.newFixedThreadPool(4);
    private final ExecutorService sideCalls = Executors.newCachedThreadPool();
    private final AtomicInteger attempts = new AtomicInteger();

    @AfterEach
    void close() {
        lanes.shutdownNow();
        sideCalls.shutdownNow();
        fixture.close();
    }

    private static String add(String principal, String group, String token) {
        return "{\"clusterName\":\"demo\",\"principalArn\":\"" + principal + "\",\"addKubernetesGroups\":[\"" + group
                + "\"],\"clientRequestToken\":\"" + token + "\"}";
    }

    @Test
    void process_whenALaneIsStillInACallWhenTheBatchAnswers_makesNoFurtherCallAfterwards() throws Exception {
        CountDownLatch readStarted = new CountDownLatch(1);
        CountDownLatch answered = new CountDownLatch(1);
        // The read of the developers' entry is still in flight when the batch has to answer; it returns only then.
        AccessEntries slowRead = new Decorated(fixture.accessEntries, principal -> {
            if (principal.equals(DEVELOPERS)) {
                readStarted.countDown();
                await(answered);
            }
        });
        List<String> logLines = new CopyOnWriteArrayList<>();
        // The clock stands still, so the 0.5 s call margin cannot be what stops the late lane: only the answer can.
        SteppingClock clock = new SteppingClock(NOW);
        BatchProcessor batchProcessor = new BatchProcessor(messageProcessor(slowRead, clock), lanes,
                new JsonOutcomeLog(logLines::add), clock);
        // Just enough for the messages to start (section 3: not with less than 3 s left); the batch waits 2.8 s
        // (real time) and answers 0.5 s before the deadline.
        Invocation invocation = new Invocation(NOW.plus(BatchProcessor.SAFETY_MARGIN).plusMillis(300));

        BatchResult result = batchProcessor.process(List.of(
                message("m1", add(DEVELOPERS, "team-a", "t1")),
                message("m2", add(DEVELOPERS, "team-b", "t2")),
                message("m3", add(OPERATORS, "team-c", "t3"))), invocation);

        assertThat(readStarted.getCount()).isZero();
        assertThat(result.results()).extracting(each -> each.outcome().name())
                .containsExactly("RETRY", "RETRY", "APPLIED");
        List<String> storeCalls = fixture.store.calls();
        List<String> eksCalls = fixture.accessEntries.calls();
        List<AccessEvent> events = fixture.events.events();

        answered.countDown();
        lanes.shutdown();
        assertThat(lanes.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        sideCalls.shutdown();
        assertThat(sideCalls.awaitTermination(10, TimeUnit.SECONDS)).isTrue();

        assertThat(fixture.store.calls()).isEqualTo(storeCalls).doesNotContain("claim t2");
        assertThat(fixture.accessEntries.calls()).isEqualTo(eksCalls).doesNotContain("update " + DEVELOPERS);
        assertThat(fixture.events.events()).isEqualTo(events);
        // Nothing was released after the answer either: the claim and the lease lapse at the deadline.
        assertThat(fixture.store.item("t1").status()).isEqualTo(ClaimStatus.IN_PROGRESS);
        assertThat(fixture.store.lease(CLUSTER, DEVELOPERS).owner()).isNotNull();
        // One outcome line per message and one for the batch: the lane that ran late logs nothing of its own.
        assertThat(logLines).hasSize(4);
        assertThat(logLines).filteredOn(line -> line.contains("\"messageId\":\"m1\"")).singleElement()
                .satisfies(line -> assertThat(line).contains("ran out of time"));
    }

    @ParameterizedTest
    @CsvSource({
            "499, false",
            "500, false",
            "501, true"})
    void process_whenTheReadEndsCloseToTheDeadline_startsTheUpdateOnlyWithMoreThanHalfASecondLeft(
            long millisLeftAfterRead, boolean updateSent) {
        SteppingClock clock = new SteppingClock(NOW);
        Instant deadline = NOW.plusSeconds(60);
        AccessEntries slowRead = new Decorated(fixture.accessEntries,
                principal -> clock.set(deadline.minusMillis(millisLeftAfterRead)));
        MessageProcessor processor = messageProcessor(slowRead, clock);

        Outcome outcome = processor.process(processor.parse(message("m1", add(DEVELOPERS, "team-a", "t1"))),
                new CallBudget(deadline, clock));

        assertThat(fixture.accessEntries.updates()).hasSize(updateSent ? 1 : 0);
        if (updateSent) {
            assertThat(outcome).isInstanceOf(Outcome.Applied.class);
        } else {
            assertThat(outcome).isInstanceOfSatisfying(Outcome.Retry.class,
                    retry -> assertThat(retry.reason()).contains("less than 500 ms of the invocation left"));
            // Not even the releases start: the claim and the lease lapse at the deadline.
            assertThat(fixture.store.calls()).containsExactlyInAnyOrder("claim t1", "acquire " + DEVELOPERS);
            assertThat(fixture.events.events()).isEmpty();
        }
    }

    private MessageProcessor messageProcessor(AccessEntries accessEntries, Clock clock) {
        LeaseWait.Pause pause = clock instanceof SteppingClock stepping ? stepping::advance : LeaseWait.Pause.SLEEP;
        return new MessageProcessor(new RequestParser(), fixture.policy, fixture.store, fixture.store, accessEntries,
                fixture.events, fixture.schedules, new LeaseWait(pause), sideCalls,
                () -> "owner-" + attempts.incrementAndGet());
    }

    private static void await(CountDownLatch latch) {
        try {
            if (!latch.await(10, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the test never let the read return");
            }
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** The in-memory entries, with {@code afterRead} run (given the principal) when a read has been made. */
    private record Decorated(AccessEntries delegate, Consumer<String> afterRead) implements AccessEntries {

        @Override
        public AccessEntry describe(String clusterName, String principalArn, CallBudget budget) {
            AccessEntry entry = delegate.describe(clusterName, principalArn, budget);
            afterRead.accept(principalArn);
            return entry;
        }

        @Override
        public AccessEntry update(AccessEntryUpdate update, CallBudget budget) {
            return delegate.update(update, budget);
        }
    }
}
