package dev.eksaccessupdater.reliability;

import dev.eksaccessupdater.testing.TestContext;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import com.fasterxml.jackson.jr.ob.JSON;
import dev.eksaccessupdater.Configuration;
import dev.eksaccessupdater.TestHandlers;
import dev.eksaccessupdater.AccessChangeFunction;
import dev.eksaccessupdater.dedup.ClaimResult;
import dev.eksaccessupdater.dedup.IdempotencyStore;
import dev.eksaccessupdater.eks.AccessEntries;
import dev.eksaccessupdater.eks.AccessEntry;
import dev.eksaccessupdater.eks.AccessEntryUpdate;
import dev.eksaccessupdater.eks.EksClientToken;
import dev.eksaccessupdater.events.AccessEvent;
import dev.eksaccessupdater.events.EventPublisher;
import dev.eksaccessupdater.failure.ReasonCode;
import dev.eksaccessupdater.failure.RejectionException;
import dev.eksaccessupdater.failure.RetryableException;
import dev.eksaccessupdater.observability.JsonOutcomeLog;
import dev.eksaccessupdater.processing.BatchProcessor;
import dev.eksaccessupdater.processing.MessageProcessor;
import dev.eksaccessupdater.request.RequestParser;
import dev.eksaccessupdater.standin.SteppingClock;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The real handler, batch and message processors on in-memory ports with the semantics of SPEC section 4 (the
 * store) and of EKS as the stand-in models it (an update replaces; a client request token replays its first
 * answer and refuses other parameters). Faults are injected at the ports; a crash is an {@link Error} thrown
 * from the port and every later call of that instance, so nothing the dead instance "does" has an effect.
 */
final class MemoryHarness implements Harness {

    static final String CLUSTER = "demo";

    final SteppingClock clock = new SteppingClock(Instant.parse("2026-11-29T12:00:00Z"));
    final List<String> logLines = new CopyOnWriteArrayList<>();
    private final Map<String, String> settings;
    private final int maxConcurrency;
    private final Object lock = new Object();
    private final Map<String, Item> items = new LinkedHashMap<>();
    private final Map<String, EntryState> entries = new LinkedHashMap<>();
    private final Map<String, AccessEntryUpdate> tokenUses = new LinkedHashMap<>();
    /** EKS tokens EKS refused for good: it refuses them again, as a real InvalidParameterException would. */
    private final Set<String> refusedTokens = new java.util.HashSet<>();
    private final List<Change> changes = new ArrayList<>();
    private final List<String> eksTokens = new ArrayList<>();
    private final List<AccessEvent> events = new ArrayList<>();
    private final List<String> claimViolations = new CopyOnWriteArrayList<>();
    private final List<ExecutorService> pools = new ArrayList<>();
    private Instance instance;

    private record Item(String status, String requestHash, long inProgressUntil) {
    }

    /** Thrown by the ports of a dead instance: not an exception anyone in the function catches. */
    static final class Crash extends Error {
        Crash() {
            super("simulated crash", null, false, false);
        }
    }

    MemoryHarness(Map<String, String> settings, int maxConcurrency) {
        Map<String, String> environment = new LinkedHashMap<>(Map.of(
                "IDEMPOTENCY_TABLE_NAME", "idempotency", "EVENT_BUS_NAME", "access-events",
                "ALLOWED_CLUSTER_NAMES", CLUSTER));
        environment.putAll(settings);
        this.settings = environment;
        this.maxConcurrency = maxConcurrency;
        instance = new Instance();
    }

    void putEntry(String principal, Set<String> groups, String username) {
        synchronized (lock) {
            entries.put(principal, new EntryState(Set.copyOf(groups), username));
        }
    }

    AccessChangeFunction handler() {
        return instance.handler;
    }

    @Override
    public Result invoke(List<SQSEvent.SQSMessage> batch, FaultDecider faults) {
        instance.faults = faults;
        int from = logLines.size();
        instance.handler.handleRequest(Messages.event(batch), TestContext.remaining(Duration.ofSeconds(60)));
        boolean crashed = instance.dead;
        Map<String, String> outcomes = new LinkedHashMap<>();
        for (String line : logLines.subList(from, logLines.size())) {
            Map<String, Object> fields = parse(line);
            if ("message".equals(fields.get("event"))) {
                String outcome = (String) fields.get("outcome");
                if ("REJECTED".equals(outcome)) {
                    outcome = "REJECTED " + fields.get("reasonCode");
                }
                outcomes.put((String) fields.get("messageId"), outcome);
            }
        }
        if (crashed) {
            instance = new Instance();
        }
        instance.faults = step -> null;
        return new Result(outcomes, crashed);
    }

    static Map<String, Object> parse(String line) {
        try {
            return JSON.std.mapFrom(line);
        } catch (IOException e) {
            throw new UncheckedIOException("not a JSON log line: " + line, e);
        }
    }

    @Override
    public void advance(Duration duration) {
        clock.advance(duration);
    }

    @Override
    public EntryState entry(String principal) {
        synchronized (lock) {
            return entries.get(principal);
        }
    }

    @Override
    public List<Change> changes() {
        synchronized (lock) {
            return List.copyOf(changes);
        }
    }

    @Override
    public List<String> eksTokensSent() {
        synchronized (lock) {
            return List.copyOf(eksTokens);
        }
    }

    @Override
    public List<Map<String, Object>> events(String detailType) {
        synchronized (lock) {
            return events.stream().filter(event -> event.detailType().equals(detailType))
                    .map(AccessEvent::detail).toList();
        }
    }

    @Override
    public List<String> claimViolations() {
        return List.copyOf(claimViolations);
    }

    @Override
    public Map<String, Long> inProgressClaims() {
        synchronized (lock) {
            Map<String, Long> claims = new LinkedHashMap<>();
            items.forEach((token, item) -> {
                if ("IN_PROGRESS".equals(item.status())) {
                    claims.put(token, item.inProgressUntil());
                }
            });
            return claims;
        }
    }

    @Override
    public long nowMillis() {
        return clock.millis();
    }

    @Override
    public void close() {
        pools.forEach(ExecutorService::shutdownNow);
        for (ExecutorService pool : pools) {
            try {
                pool.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private boolean liveClaimDerives(String eksToken, long now) {
        return items.entrySet().stream().anyMatch(item -> "IN_PROGRESS".equals(item.getValue().status())
                && item.getValue().inProgressUntil() > now
                && (eksToken == null || EksClientToken.derive(item.getKey(), item.getValue().requestHash())
                        .equals(eksToken)));
    }

    /** One function instance: its own ports (sharing the world's state), pool, handler and life. */
    private final class Instance implements IdempotencyStore, AccessEntries, EventPublisher {

        volatile boolean dead;
        volatile FaultDecider faults = step -> null;
        final AccessChangeFunction handler;

        Instance() {
            Configuration configuration = Configuration.fromEnvironment(settings);
            ExecutorService pool = Executors.newFixedThreadPool(maxConcurrency, task -> {
                Thread thread = new Thread(task, "memory-worker");
                thread.setDaemon(true);
                return thread;
            });
            pools.add(pool);
            MessageProcessor messageProcessor = new MessageProcessor(new RequestParser(),
                    configuration.accessPolicy(), this, this, this, clock);
            handler = TestHandlers.handler(new BatchProcessor(messageProcessor, pool,
                    new JsonOutcomeLog(logLines::add), clock), clock);
        }

        private Fault enter(Step step) {
            return enter(step, fault -> fault);
        }

        /** Applies the fault decided for this call before the effect; returns it for the after-effect part. */
        private Fault enter(Step step, java.util.function.UnaryOperator<Fault> adjust) {
            if (dead) {
                throw new Crash();
            }
            Fault fault = adjust.apply(faults.decide(step));
            if (fault == null) {
                return null;
            }
            switch (fault) {
                case TRANSIENT -> throw new RetryableException("injected transient fault at " + step);
                case PERMANENT -> throw permanent(step);
                case CRASH_BEFORE -> {
                    dead = true;
                    throw new Crash();
                }
                default -> {
                    return fault;
                }
            }
        }

        private void leave(Step step, Fault fault) {
            if (fault == Fault.LOST_ANSWER) {
                throw new RetryableException("injected lost answer at " + step);
            }
            if (fault == Fault.CRASH_AFTER) {
                dead = true;
                throw new Crash();
            }
        }

        /**
         * A describe is not refused at random: a real NOT_FOUND is a fact about the entry that a later attempt would
         * meet too ({@code FaultInjectionTest} covers it).
         */
        private java.util.function.UnaryOperator<Fault> permanentAsTransient() {
            return fault -> fault == Fault.PERMANENT ? Fault.TRANSIENT : fault;
        }

        /**
         * EKS refuses a request for good or not at all: a token once refused is refused again, a token once
         * accepted is replayed, never refused.
         */
        private java.util.function.UnaryOperator<Fault> stickyRefusal(String eksToken) {
            return fault -> {
                synchronized (lock) {
                    if (refusedTokens.contains(eksToken)) {
                        return Fault.PERMANENT;
                    }
                    if (fault == Fault.PERMANENT) {
                        if (tokenUses.containsKey(eksToken)) {
                            return null;
                        }
                        refusedTokens.add(eksToken);
                    }
                    return fault;
                }
            };
        }

        private RuntimeException permanent(Step step) {
            return switch (step) {
                case DESCRIBE -> new RejectionException(ReasonCode.NOT_FOUND, "injected ResourceNotFoundException");
                case UPDATE -> new RejectionException(ReasonCode.INVALID_PARAMETER,
                        "injected InvalidParameterException");
                // The DynamoDB and EventBridge adapters classify every failure as retryable.
                default -> new RetryableException("injected permanent fault at " + step);
            };
        }

        @Override
        public ClaimResult claim(String token, String requestHash, Instant now, Instant inProgressUntil) {
            Fault fault = enter(Step.CLAIM);
            ClaimResult result;
            synchronized (lock) {
                Item existing = items.get(token);
                if (existing == null || "IN_PROGRESS".equals(existing.status())
                        && existing.inProgressUntil() < now.toEpochMilli()) {
                    items.put(token, new Item("IN_PROGRESS", requestHash, inProgressUntil.toEpochMilli()));
                    result = new ClaimResult.Acquired(token, requestHash, inProgressUntil);
                } else if ("COMPLETED".equals(existing.status())) {
                    result = new ClaimResult.Completed(token, existing.requestHash(), "{}");
                } else {
                    result = new ClaimResult.InProgress(token, Instant.ofEpochMilli(existing.inProgressUntil()));
                }
            }
            leave(Step.CLAIM, fault);
            return result;
        }

        @Override
        public boolean complete(ClaimResult.Acquired claim, String accessEntryJson, Instant now) {
            Fault fault = enter(Step.COMPLETE);
            boolean held;
            synchronized (lock) {
                held = holds(claim);
                if (held) {
                    items.put(claim.token(), new Item("COMPLETED", claim.requestHash(), 0));
                }
            }
            leave(Step.COMPLETE, fault);
            return held;
        }

        @Override
        public void release(ClaimResult.Acquired claim) {
            Fault fault = enter(Step.RELEASE);
            synchronized (lock) {
                if (holds(claim)) {
                    items.remove(claim.token());
                }
            }
            leave(Step.RELEASE, fault);
        }

        private boolean holds(ClaimResult.Acquired claim) {
            Item item = items.get(claim.token());
            return item != null && "IN_PROGRESS".equals(item.status())
                    && item.requestHash().equals(claim.requestHash())
                    && item.inProgressUntil() == claim.inProgressUntil().toEpochMilli();
        }

        @Override
        public AccessEntry describe(String clusterName, String principalArn) {
            if (dead) {
                throw new Crash();
            }
            synchronized (lock) {
                if (!liveClaimDerives(null, clock.millis())) {
                    claimViolations.add("DescribeAccessEntry " + principalArn + " without a live claim");
                }
            }
            Fault fault = enter(Step.DESCRIBE, permanentAsTransient());
            AccessEntry entry;
            synchronized (lock) {
                EntryState state = entries.get(principalArn);
                if (state == null) {
                    throw new RejectionException(ReasonCode.NOT_FOUND, "EKS DescribeAccessEntry: no access entry");
                }
                entry = toEntry(principalArn, state);
            }
            leave(Step.DESCRIBE, fault);
            return entry;
        }

        @Override
        public AccessEntry update(AccessEntryUpdate update) {
            if (dead) {
                throw new Crash();
            }
            synchronized (lock) {
                eksTokens.add(update.eksClientRequestToken());
                if (!liveClaimDerives(update.eksClientRequestToken(), clock.millis())) {
                    claimViolations.add("UpdateAccessEntry " + update.principalArn() + " with EKS token "
                            + update.eksClientRequestToken() + " without a live claim deriving it");
                }
            }
            Fault fault = enter(Step.UPDATE, stickyRefusal(update.eksClientRequestToken()));
            AccessEntry entry;
            synchronized (lock) {
                EntryState current = entries.get(update.principalArn());
                if (current == null) {
                    throw new RejectionException(ReasonCode.NOT_FOUND, "EKS UpdateAccessEntry: no access entry");
                }
                AccessEntryUpdate first = tokenUses.get(update.eksClientRequestToken());
                if (first != null && !sameParameters(first, update)) {
                    throw new RejectionException(ReasonCode.INVALID_PARAMETER,
                            "EKS UpdateAccessEntry: client request token reused with different parameters");
                }
                if (first == null) {
                    tokenUses.put(update.eksClientRequestToken(), update);
                    EntryState after = new EntryState(Set.copyOf(update.kubernetesGroups()), update.username());
                    changes.add(new Change(update.principalArn(), update.eksClientRequestToken(),
                            current.groups(), current.username(), after.groups(), after.username()));
                    entries.put(update.principalArn(), after);
                    entry = toEntry(update.principalArn(), after);
                } else {
                    // A replay answers what the first call did; the entry may have changed since.
                    entry = toEntry(update.principalArn(),
                            new EntryState(Set.copyOf(first.kubernetesGroups()), first.username()));
                }
            }
            leave(Step.UPDATE, fault);
            return entry;
        }

        private static boolean sameParameters(AccessEntryUpdate first, AccessEntryUpdate update) {
            return first.principalArn().equals(update.principalArn())
                    && new TreeSet<>(first.kubernetesGroups()).equals(new TreeSet<>(update.kubernetesGroups()))
                    && Objects.equals(first.username(), update.username());
        }

        @Override
        public void publish(AccessEvent event) {
            Fault fault = enter(Step.PUBLISH);
            synchronized (lock) {
                events.add(event);
            }
            leave(Step.PUBLISH, fault);
        }
    }

    private static AccessEntry toEntry(String principal, EntryState state) {
        return new AccessEntry(CLUSTER, principal, List.copyOf(new TreeSet<>(state.groups())),
                "arn:aws:eks:us-east-1:111122223333:access-entry/demo/x", Instant.parse("2026-01-01T00:00:00Z"),
                Instant.parse("2026-01-01T00:00:00Z"), Map.of(), state.username(), "STANDARD");
    }
}
