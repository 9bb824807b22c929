package dev.eksaccessupdater.processing;

import dev.eksaccessupdater.events.EventPublisher;
import dev.eksaccessupdater.policy.AccessPolicy;
import dev.eksaccessupdater.request.PrincipalArn;
import dev.eksaccessupdater.request.RequestParser;
import dev.eksaccessupdater.testing.InMemoryAccessEntries;
import dev.eksaccessupdater.testing.InMemoryEventPublisher;
import dev.eksaccessupdater.testing.InMemoryExpirySchedules;
import dev.eksaccessupdater.testing.InMemoryStateTable;
import dev.eksaccessupdater.testing.SteppingClock;
import dev.eksaccessupdater.time.CallBudget;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/** The processors wired to the in-memory fakes of the ports, as the tests of this package need them. */
final class ProcessingFixture implements AutoCloseable {

    static final String CLUSTER = "demo";
    static final String DEVELOPERS = "arn:aws:iam::111122223333:role/developers";
    static final String OPERATORS = "arn:aws:iam::111122223333:role/operators";
    static final String ADMIN = "arn:aws:iam::111122223333:role/Admin";
    static final Instant NOW = Instant.parse("2026-11-29T12:00:00Z");

    final InMemoryStateTable store = new InMemoryStateTable();
    final InMemoryAccessEntries accessEntries = new InMemoryAccessEntries();
    final InMemoryEventPublisher events = new InMemoryEventPublisher();
    final InMemoryExpirySchedules schedules = new InMemoryExpirySchedules();
    /** The clock of {@link #process}: a lease wait advances it instead of sleeping. */
    final SteppingClock clock = new SteppingClock(NOW);
    final AccessPolicy policy = AccessPolicy.of(new AccessPolicy.ClusterScope.Named(Set.of(CLUSTER)),
            Set.of(PrincipalArn.parse(ADMIN)));
    private final AtomicInteger attempts = new AtomicInteger();
    final MessageProcessor messageProcessor;
    final List<String> logLines = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final ExecutorService pool;
    private final ExecutorService sideCalls = Executors.newCachedThreadPool();
    private final Clock batchClock;
    final BatchProcessor batchProcessor;

    ProcessingFixture(int maxConcurrency) {
        this(maxConcurrency, Clock.systemUTC());
    }

    ProcessingFixture(int maxConcurrency, Clock batchClock) {
        this.batchClock = batchClock;
        messageProcessor = messageProcessor(policy);
        pool = Executors.newFixedThreadPool(maxConcurrency);
        batchProcessor = new BatchProcessor(messageProcessor, pool,
                new dev.eksaccessupdater.observability.JsonOutcomeLog(logLines::add), batchClock);
        accessEntries.put(CLUSTER, DEVELOPERS, List.of("viewers"), "developer:{{SessionName}}", "STANDARD");
        accessEntries.put(CLUSTER, OPERATORS, List.of("operators"), "operator", "STANDARD");
    }

    /** A processor on this fixture's fakes with another policy. */
    MessageProcessor messageProcessor(AccessPolicy policy) {
        return messageProcessor(policy, events);
    }

    /** A processor on this fixture's fakes with another policy and another event publisher. */
    MessageProcessor messageProcessor(AccessPolicy policy, EventPublisher publisher) {
        LeaseWait.Pause pause = batchClock instanceof SteppingClock stepping ? stepping::advance
                : duration -> {
                    clock.advance(duration);
                    Thread.sleep(duration.toMillis());
                };
        return new MessageProcessor(new RequestParser(), policy, store, store, accessEntries, publisher, schedules,
                new LeaseWait(pause), sideCalls, () -> "owner-" + attempts.incrementAndGet());
    }

    /** An invocation with a minute left by the batch clock. */
    Invocation invocation() {
        return new Invocation(batchClock.instant().plusSeconds(60));
    }

    /** A budget with a minute left by {@link #clock}. */
    CallBudget budget() {
        return new CallBudget(clock.instant().plusSeconds(60), clock);
    }

    static QueueMessage message(String id, String body) {
        return QueueMessage.standard(id, body, NOW);
    }

    static QueueMessage fifo(String id, String group, String body) {
        return QueueMessage.fifo(id, body, group, NOW);
    }

    Outcome process(QueueMessage message) {
        return messageProcessor.process(messageProcessor.parse(message), budget());
    }

    @Override
    public void close() {
        pool.shutdownNow();
        sideCalls.shutdownNow();
    }
}
