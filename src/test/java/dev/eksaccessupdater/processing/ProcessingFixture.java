package dev.eksaccessupdater.processing;

import dev.eksaccessupdater.policy.AccessPolicy;
import dev.eksaccessupdater.policy.PrincipalArn;
import dev.eksaccessupdater.request.RequestParser;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/** The processors wired to in-memory fakes of the three ports, as the tests of this package need them. */
final class ProcessingFixture implements AutoCloseable {

    static final String CLUSTER = "demo";
    static final String DEVELOPERS = "arn:aws:iam::111122223333:role/developers";
    static final String OPERATORS = "arn:aws:iam::111122223333:role/operators";
    static final String ADMIN = "arn:aws:iam::111122223333:role/Admin";
    static final Instant NOW = Instant.parse("2026-11-29T12:00:00Z");

    final FakeIdempotencyStore store = new FakeIdempotencyStore();
    final FakeAccessEntries accessEntries = new FakeAccessEntries();
    final FakeEventPublisher events = new FakeEventPublisher();
    final Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);
    final AccessPolicy policy = new AccessPolicy(false, Set.of(CLUSTER), null, Set.of(PrincipalArn.parse(ADMIN)));
    final MessageProcessor messageProcessor =
            new MessageProcessor(new RequestParser(), policy, store, accessEntries, events, clock);
    final List<String> logLines = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final ExecutorService pool;
    private final Clock batchClock;
    final BatchProcessor batchProcessor;

    ProcessingFixture(int maxConcurrency) {
        this(maxConcurrency, Clock.systemUTC());
    }

    ProcessingFixture(int maxConcurrency, Clock batchClock) {
        this.batchClock = batchClock;
        pool = Executors.newFixedThreadPool(maxConcurrency);
        batchProcessor = new BatchProcessor(messageProcessor, pool,
                new dev.eksaccessupdater.observability.JsonOutcomeLog(logLines::add), batchClock);
        accessEntries.put(CLUSTER, DEVELOPERS, List.of("viewers"), "developer:{{SessionName}}", "STANDARD");
        accessEntries.put(CLUSTER, OPERATORS, List.of("operators"), "operator", "STANDARD");
    }

    /** An invocation with a minute left by the batch clock. */
    Invocation invocation() {
        return new Invocation(batchClock.instant().plusSeconds(60));
    }

    static QueueMessage message(String id, String body) {
        return new QueueMessage(id, body, null, 1);
    }

    static QueueMessage fifo(String id, String group, String body) {
        return new QueueMessage(id, body, group, 1);
    }

    Outcome process(QueueMessage message) {
        return messageProcessor.process(messageProcessor.parse(message), invocation());
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }
}
