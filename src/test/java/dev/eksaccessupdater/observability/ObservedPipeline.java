package dev.eksaccessupdater.observability;

import com.amazonaws.services.lambda.runtime.logging.LogLevel;
import com.fasterxml.jackson.jr.ob.JSON;
import dev.eksaccessupdater.eks.AccessEntries;
import dev.eksaccessupdater.eks.AccessEntry;
import dev.eksaccessupdater.eks.AccessEntryUpdate;
import dev.eksaccessupdater.events.AccessEvent;
import dev.eksaccessupdater.events.EventPublisher;
import dev.eksaccessupdater.failure.ReasonCode;
import dev.eksaccessupdater.failure.RejectionException;
import dev.eksaccessupdater.failure.RetryableException;
import dev.eksaccessupdater.policy.AccessPolicy;
import dev.eksaccessupdater.processing.BatchProcessor;
import dev.eksaccessupdater.processing.BatchResult;
import dev.eksaccessupdater.processing.Invocation;
import dev.eksaccessupdater.processing.LeaseWait;
import dev.eksaccessupdater.processing.MessageProcessor;
import dev.eksaccessupdater.testing.InMemoryAccessEntries;
import dev.eksaccessupdater.testing.InMemoryEventPublisher;
import dev.eksaccessupdater.testing.InMemoryExpirySchedules;
import dev.eksaccessupdater.testing.InMemoryStateTable;
import java.util.UUID;
import dev.eksaccessupdater.processing.QueueMessage;
import dev.eksaccessupdater.request.RequestParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.LongSupplier;

/**
 * The processors wired as {@code Dependencies} wires them (outcome log, metrics, timed ports), over small in-memory
 * ports, with everything written to the log recorded. Public for the template tests, which check the dashboard and
 * alarms against the metrics this really prints.
 */
public final class ObservedPipeline implements AutoCloseable {

    public static final String NAMESPACE = "Test/EksAccessUpdater";
    static final String CLUSTER = "demo";
    static final String DEVELOPERS = "arn:aws:iam::111122223333:role/developers";
    static final String OPERATORS = "arn:aws:iam::111122223333:role/operators";
    static final String NOBODY = "arn:aws:iam::111122223333:role/nobody";
    static final Instant NOW = Instant.parse("2026-11-29T12:00:00Z");
    /** Metadata values that must never reach a log line. */
    static final String SECRET_APPROVER = "approver-secret-7f3a@example.com";
    static final String SECRET_TICKET = "ticket-secret-9c1d";

    /** One write to the log: the level given to the runtime and the JSON object. */
    public record Line(LogLevel level, String json) {

        public Map<String, Object> fields() {
            try {
                return JSON.std.mapFrom(json);
            } catch (IOException notJson) {
                throw new UncheckedIOException(notJson);
            }
        }
    }

    final List<Line> lines = new CopyOnWriteArrayList<>();
    final InMemoryAccessEntries accessEntries = new InMemoryAccessEntries();
    final InMemoryEventPublisher publisher = new InMemoryEventPublisher();
    private final Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);
    private final ExecutorService pool = Executors.newFixedThreadPool(4);
    private final ExecutorService sideCalls = Executors.newCachedThreadPool();
    private final InMemoryStateTable table = new InMemoryStateTable();
    private final BatchProcessor batchProcessor;

    ObservedPipeline() {
        LogOutput output = (level, json) -> lines.add(new Line(level, json));
        EmfMetrics metrics = new EmfMetrics(NAMESPACE, output, clock);
        MessageProcessor messageProcessor = new MessageProcessor(new RequestParser(),
                AccessPolicy.of(new AccessPolicy.ClusterScope.Named(Set.of(CLUSTER)), Set.of()), table, table,
                new TimedAccessEntries(accessEntries, metrics, steppingNanos(3_000_000)),
                new TimedEventPublisher(publisher, metrics, steppingNanos(2_000_000)), new InMemoryExpirySchedules(),
                new LeaseWait(LeaseWait.Pause.SLEEP), sideCalls, () -> UUID.randomUUID().toString());
        batchProcessor = new BatchProcessor(messageProcessor, pool,
                Observability.both(new JsonOutcomeLog(output, clock), metrics), clock);
        for (String principal : List.of(DEVELOPERS, OPERATORS)) {
            accessEntries.put(CLUSTER, principal, List.of("viewers"), "user", AccessEntry.STANDARD);
        }
    }

    /** A clock that advances {@code step} at each reading, per thread, so that concurrent calls measure alike. */
    private static LongSupplier steppingNanos(long step) {
        ThreadLocal<Long> now = ThreadLocal.withInitial(() -> 0L);
        return () -> {
            now.set(now.get() + step);
            return now.get();
        };
    }

    BatchResult process(List<QueueMessage> messages) {
        return batchProcessor.process(messages, new Invocation(NOW.plusSeconds(60)));
    }

    static String add(String cluster, String principal, String token) {
        return "{\"clusterName\":\"" + cluster + "\",\"principalArn\":\"" + principal
                + "\",\"addKubernetesGroups\":[\"team-a\"],\"clientRequestToken\":\"" + token
                + "\",\"metadata\":{\"approver\":\"" + SECRET_APPROVER + "\",\"ticket\":\"" + SECRET_TICKET + "\"}}";
    }

    /** A field name that tries to end the log line and start a forged one. */
    static final String FORGING_BODY = "{\"clusterName\":\"demo\",\"principalArn\":\"" + DEVELOPERS
            + "\",\"kubernetesGroup\\n{\\\"outcome\\\":\\\"APPLIED\\\"}\":[\"x\"],\"metadata\":{\"ticket\":\""
            + SECRET_TICKET + "\"}}";

    /** One batch with every outcome and every kind of rejection the processor decides itself. */
    static List<QueueMessage> everyOutcome() {
        return List.of(
                new QueueMessage("m-applied", add(CLUSTER, DEVELOPERS, "t-1"), false, null, 1, NOW),
                new QueueMessage("m-duplicate", add(CLUSTER, DEVELOPERS, "t-1"), false, null, 2, NOW),
                new QueueMessage("m-invalid", FORGING_BODY, false, null, 1, NOW),
                new QueueMessage("m-denied", add("prod", DEVELOPERS, "t-2"), false, null, 1, NOW),
                new QueueMessage("m-not-found", add(CLUSTER, NOBODY, "t-3"), false, null, 1, NOW),
                new QueueMessage("m-retry", add(CLUSTER, OPERATORS, "t-4"), false, null, 3, NOW));
    }

    /** What a batch with every outcome writes to the log, parsed. */
    public static List<Map<String, Object>> everyOutcomeOutput() {
        try (ObservedPipeline pipeline = new ObservedPipeline()) {
            pipeline.accessEntries.failFor(OPERATORS, new RetryableException("EKS ThrottlingException"));
            pipeline.process(everyOutcome());
            return pipeline.lines.stream().map(Line::fields).toList();
        }
    }

    @Override
    public void close() {
        pool.shutdownNow();
        sideCalls.shutdownNow();
    }
}
