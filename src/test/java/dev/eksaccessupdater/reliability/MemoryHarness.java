package dev.eksaccessupdater.reliability;

import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import com.fasterxml.jackson.jr.ob.JSON;
import dev.eksaccessupdater.AccessChangeFunction;
import dev.eksaccessupdater.Configuration;
import dev.eksaccessupdater.TestHandlers;
import dev.eksaccessupdater.dedup.AppliedRecord;
import dev.eksaccessupdater.dedup.ClaimResult;
import dev.eksaccessupdater.dedup.ClaimStatus;
import dev.eksaccessupdater.dedup.Claims;
import dev.eksaccessupdater.dedup.EntryLeases;
import dev.eksaccessupdater.dedup.GrantRecord;
import dev.eksaccessupdater.dedup.Lease;
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
import dev.eksaccessupdater.processing.LeaseWait;
import dev.eksaccessupdater.processing.MessageProcessor;
import dev.eksaccessupdater.request.RequestParser;
import dev.eksaccessupdater.testing.InMemoryExpirySchedules;
import dev.eksaccessupdater.testing.InMemoryStateTable;
import dev.eksaccessupdater.testing.SteppingClock;
import dev.eksaccessupdater.testing.TestContext;
import dev.eksaccessupdater.time.CallBudget;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.UnaryOperator;

/**
 * The real handler, batch and message processors on in-memory ports: one shared {@link InMemoryStateTable} (claims
 * and entry leases with the conditions of contract section 4) and an {@link EksModel} (an update replaces; a client
 * request token replays its first answer and refuses other parameters). Each function instance wraps them with its
 * own fault injection: before a call's effect (a transient or permanent error, a crash) or after it (a lost answer,
 * a crash). A crash is an {@link Error} thrown from the port and from every later call of that instance, so
 * nothing the dead instance "does" has an effect.
 * <p>
 * Side calls (the lease beside the claim, its release beside the publish) run on the calling thread, and a lease
 * wait moves the clock a fixed {@link #LEASE_PAUSE} per pause whatever jitter it chose: with one message at a time
 * a seed replays exactly.
 */
final class MemoryHarness implements Harness {

    static final String CLUSTER = "demo";
    /** How far one pause of a lease wait moves the clock (and a millisecond of real time, for other lanes). */
    static final Duration LEASE_PAUSE = Duration.ofMillis(250);

    final SteppingClock clock = new SteppingClock(Instant.parse("2026-11-29T12:00:00Z"));
    final List<String> logLines = new CopyOnWriteArrayList<>();
    final InMemoryStateTable table = new InMemoryStateTable();
    final EksModel eks = new EksModel(CLUSTER);
    private final Map<String, String> settings;
    private final int maxConcurrency;
    /** Requests (token and hash) EKS refused for good: it refuses them again, as a real refusal would. */
    private final Set<String> refusedRequests = new HashSet<>();
    private final List<AccessEvent> events = new ArrayList<>();
    private final List<String> claimViolations = new CopyOnWriteArrayList<>();
    private final List<String> recomputations = new CopyOnWriteArrayList<>();
    private final List<ExecutorService> pools = new ArrayList<>();
    private final AtomicLong owners = new AtomicLong();
    private Instance instance;

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
        eks.put(principal, groups, username);
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
        return eks.entry(principal);
    }

    @Override
    public List<Change> changes() {
        return eks.changes();
    }

    @Override
    public List<Sent> updatesSent() {
        return eks.sent();
    }

    @Override
    public List<Map<String, Object>> events(String detailType) {
        synchronized (events) {
            return events.stream().filter(event -> event.detailType().equals(detailType))
                    .map(AccessEvent::detail).toList();
        }
    }

    @Override
    public List<String> claimViolations() {
        return List.copyOf(claimViolations);
    }

    @Override
    public List<String> recomputations() {
        return List.copyOf(recomputations);
    }

    @Override
    public Map<String, Long> inProgressClaims() {
        Map<String, Long> claims = new LinkedHashMap<>();
        table.items().forEach((token, item) -> {
            if (item.status() == ClaimStatus.IN_PROGRESS) {
                claims.put(token, item.inProgressUntil());
            }
        });
        return claims;
    }

    @Override
    public Map<String, String> claimStatuses() {
        Map<String, String> statuses = new LinkedHashMap<>();
        table.items().forEach((token, item) -> statuses.put(token, item.status().name()));
        return statuses;
    }

    @Override
    public Map<String, Long> heldLeases() {
        Map<String, Long> held = new LinkedHashMap<>();
        table.leases().forEach((key, lease) -> {
            if (lease.owner() != null) {
                held.put(key, lease.inProgressUntil());
            }
        });
        return held;
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

    private void note(StateChecks.Verdict verdict) {
        if (verdict.violation() != null) {
            claimViolations.add(verdict.violation());
        }
        if (verdict.recomputation() != null) {
            recomputations.add(verdict.recomputation());
        }
    }

    /** One function instance: its own ports (sharing the world's state), pool, handler and life. */
    private final class Instance implements Claims, EntryLeases, AccessEntries, EventPublisher {

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
            LeaseWait leaseWait = new LeaseWait(ignoredJitter -> {
                clock.advance(LEASE_PAUSE);
                Thread.sleep(1);
            });
            MessageProcessor messageProcessor = new MessageProcessor(new RequestParser(),
                    configuration.accessPolicy(), this, this, this, this, new InMemoryExpirySchedules(), leaseWait,
                    Runnable::run,
                    () -> "owner-" + owners.incrementAndGet());
            handler = TestHandlers.handler(new BatchProcessor(messageProcessor, pool,
                    new JsonOutcomeLog(logLines::add), clock), clock);
        }

        private Fault enter(Step step) {
            return enter(step, fault -> fault);
        }

        /** Applies the fault decided for this call before the effect; returns it for the after-effect part. */
        private Fault enter(Step step, UnaryOperator<Fault> adjust) {
            if (dead) {
                throw new Crash();
            }
            Fault fault = adjust.apply(faults.decide(step));
            if (fault == null) {
                return null;
            }
            switch (fault) {
                // At UPDATE: a throttling answer to the first attempt, which EKS gives before changing anything.
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
                // The effect happened; the caller cannot tell. For an update that is an unknown outcome.
                String message = "injected lost answer at " + step;
                throw step == Step.UPDATE ? RetryableException.outcomeUnknown(message, null)
                        : new RetryableException(message);
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
        private UnaryOperator<Fault> permanentAsTransient() {
            return fault -> fault == Fault.PERMANENT ? Fault.TRANSIENT : fault;
        }

        /**
         * EKS refuses a request for good or not at all: a request once refused is refused again, a request once
         * accepted is never refused, whatever parameters a later attempt computes from the entry (a refusal here
         * stands for one that the request itself causes, such as a group name EKS does not take). The request of an
         * update is the claim whose token and hash derive its EKS token with the parameters sent.
         */
        private UnaryOperator<Fault> stickyRefusal(AccessEntryUpdate update) {
            return fault -> {
                synchronized (refusedRequests) {
                    if (fault != Fault.PERMANENT && refusedRequests.isEmpty()) {
                        return fault;
                    }
                    String request = requestOf(update);
                    if (request == null) {
                        return fault;
                    }
                    if (refusedRequests.contains(request)) {
                        return Fault.PERMANENT;
                    }
                    if (fault == Fault.PERMANENT) {
                        if (acceptedBefore(request, update.principalArn())) {
                            return null;
                        }
                        refusedRequests.add(request);
                    }
                    return fault;
                }
            };
        }

        /** The token and hash of the claim that derives the update's EKS token, or {@code null}. */
        private String requestOf(AccessEntryUpdate update) {
            for (Map.Entry<String, InMemoryStateTable.ClaimItem> item : table.items().entrySet()) {
                if (EksClientToken.derive(item.getKey(), item.getValue().requestHash(), update.kubernetesGroups(),
                        update.username()).equals(update.eksClientRequestToken())) {
                    return item.getKey() + " " + item.getValue().requestHash();
                }
            }
            return null;
        }

        private boolean acceptedBefore(String request, String principal) {
            String token = request.substring(0, request.lastIndexOf(' '));
            String hash = request.substring(request.lastIndexOf(' ') + 1);
            return eks.changes().stream().anyMatch(change -> change.principal().equals(principal)
                    && EksClientToken.derive(token, hash, List.copyOf(change.groupsAfter()), change.usernameAfter())
                            .equals(change.eksToken()));
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
        public ClaimResult claim(String token, String requestHash, String owner, CallBudget budget) {
            Fault fault = enter(Step.CLAIM);
            ClaimResult result = table.claim(token, requestHash, owner, budget);
            leave(Step.CLAIM, fault);
            return result;
        }

        @Override
        public ClaimResult.Held takeOver(ClaimResult.AppliedLapsed lapsed, String owner, CallBudget budget) {
            Fault fault = enter(Step.TAKE_OVER);
            ClaimResult.Held held = table.takeOver(lapsed, owner, budget);
            leave(Step.TAKE_OVER, fault);
            return held;
        }

        @Override
        public ClaimResult.Held record(ClaimResult.Held claim, AppliedRecord record, CallBudget budget) {
            Fault fault = enter(Step.RECORD);
            ClaimResult.Held recorded = table.record(claim, record, budget);
            leave(Step.RECORD, fault);
            return recorded;
        }

        @Override
        public void complete(ClaimResult.Held claim, CallBudget budget) {
            Fault fault = enter(Step.COMPLETE);
            table.complete(claim, budget);
            leave(Step.COMPLETE, fault);
        }

        @Override
        public void yield(ClaimResult.Held claim, CallBudget budget) {
            Fault fault = enter(Step.YIELD);
            table.yield(claim, budget);
            leave(Step.YIELD, fault);
        }

        @Override
        public void release(ClaimResult.Held claim, CallBudget budget) {
            Fault fault = enter(Step.RELEASE);
            table.release(claim, budget);
            leave(Step.RELEASE, fault);
        }

        @Override
        public Optional<Lease> acquire(String clusterName, String principalArn, String owner, CallBudget budget) {
            Fault fault = enter(Step.LEASE);
            Optional<Lease> lease = table.acquire(clusterName, principalArn, owner, budget);
            leave(Step.LEASE, fault);
            return lease;
        }

        @Override
        public void release(Lease lease, Map<String, GrantRecord> grants, CallBudget budget) {
            Fault fault = enter(Step.RELEASE_LEASE);
            table.release(lease, grants, budget);
            leave(Step.RELEASE_LEASE, fault);
        }

        @Override
        public AccessEntry describe(String clusterName, String principalArn, CallBudget budget) {
            if (dead) {
                throw new Crash();
            }
            budget.timeoutFor("EKS DescribeAccessEntry", Duration.ofSeconds(5));
            note(StateChecks.describe(table, clock.millis(), clusterName, principalArn));
            Fault fault = enter(Step.DESCRIBE, permanentAsTransient());
            AccessEntry entry = eks.describe(principalArn);
            leave(Step.DESCRIBE, fault);
            return entry;
        }

        @Override
        public AccessEntry update(AccessEntryUpdate update, CallBudget budget) {
            if (dead) {
                throw new Crash();
            }
            budget.timeoutFor("EKS UpdateAccessEntry", Duration.ofSeconds(5));
            eks.noteSent(update);
            note(StateChecks.update(table, clock.millis(), update.clusterName(), update));
            Fault fault = enter(Step.UPDATE, stickyRefusal(update));
            AccessEntry entry = eks.update(update);
            leave(Step.UPDATE, fault);
            return entry;
        }

        @Override
        public void publish(AccessEvent event, CallBudget budget) {
            Fault fault = enter(Step.PUBLISH);
            budget.timeoutFor("EventBridge PutEvents", Duration.ofSeconds(5));
            synchronized (events) {
                events.add(event);
            }
            leave(Step.PUBLISH, fault);
        }
    }
}
