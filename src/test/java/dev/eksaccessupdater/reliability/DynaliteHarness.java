package dev.eksaccessupdater.reliability;

import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import dev.eksaccessupdater.eks.EksClientToken;
import dev.eksaccessupdater.standin.EksStandIn;
import dev.eksaccessupdater.standin.EventBridgeStandIn.PublishedEvent;
import dev.eksaccessupdater.testing.Dynalite;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * {@link Harness} on the real composition root over dynalite and the stand-ins, faults injected by the instances'
 * {@link FaultyProxy}s (so the SDK's own retries see them too). It cannot tell APPLIED from DUPLICATE for a
 * message that was neither retried nor rejected: those are "DONE".
 */
final class DynaliteHarness implements Harness {

    private final ProxiedStack stack;
    private final ShiftableClock clock = new ShiftableClock();
    private final Map<String, EntryState> initial = new LinkedHashMap<>();
    private ProxiedStack.Instance instance;
    private volatile FaultDecider faults = step -> null;
    /** Requests (token and hash) EKS refused for good. */
    private final Set<String> refusedRequests = new HashSet<>();

    DynaliteHarness(Dynalite dynalite, Map<String, String> settings) {
        stack = ProxiedStack.start(dynalite, settings);
        instance = newInstance();
    }

    void putEntry(String principal, Set<String> groups, String username) {
        stack.eks().putEntry(Messages.CLUSTER, principal, List.copyOf(groups), username);
        initial.put(principal, new EntryState(Set.copyOf(groups), username));
    }

    private ProxiedStack.Instance newInstance() {
        ProxiedStack.Instance created = stack.instance(clock);
        created.dynamoDb.decideWith(this::proxyFault);
        created.eks.decideWith(this::proxyFault);
        created.eventBridge.decideWith(this::proxyFault);
        return created;
    }

    private FaultyProxy.Fault proxyFault(FaultyProxy.Call call) {
        Step step = switch (call.action()) {
            case FaultyProxy.CLAIM -> Step.CLAIM;
            case FaultyProxy.ACQUIRE_LEASE -> Step.LEASE;
            case "DescribeAccessEntry" -> Step.DESCRIBE;
            case "UpdateAccessEntry" -> Step.UPDATE;
            case FaultyProxy.RECORD -> Step.RECORD;
            case FaultyProxy.RELEASE_LEASE -> Step.RELEASE_LEASE;
            case "PutEvents" -> Step.PUBLISH;
            case FaultyProxy.COMPLETE -> Step.COMPLETE;
            case FaultyProxy.RELEASE_CLAIM -> Step.RELEASE;
            case FaultyProxy.YIELD -> Step.YIELD;
            case FaultyProxy.TAKE_OVER -> Step.TAKE_OVER;
            default -> null;
        };
        Fault fault = step == null ? null : faults.decide(step);
        if (step == Step.DESCRIBE && fault == Fault.PERMANENT) {
            // A real NOT_FOUND would meet every attempt; FaultInjectionTest covers it.
            fault = Fault.TRANSIENT;
        }
        if (step == Step.UPDATE) {
            fault = stickyRefusal(call.body(), fault);
        }
        if (fault == null) {
            return null;
        }
        return switch (fault) {
            case TRANSIENT -> step == Step.DESCRIBE || step == Step.UPDATE
                    ? FaultyProxy.Fault.fail(503, "ServiceUnavailableException")
                    : FaultyProxy.Fault.fail(500, "InternalServerError");
            case PERMANENT -> switch (step) {
                case DESCRIBE -> FaultyProxy.Fault.fail(404, "ResourceNotFoundException");
                case UPDATE -> FaultyProxy.Fault.fail(400, "InvalidParameterException");
                default -> FaultyProxy.Fault.fail(400, "AccessDeniedException");
            };
            case LOST_ANSWER -> FaultyProxy.Fault.loseAnswer();
            case CRASH_BEFORE -> FaultyProxy.Fault.crashBefore();
            case CRASH_AFTER -> FaultyProxy.Fault.crashAfter();
        };
    }

    /**
     * EKS refuses a request for good or not at all (see {@code MemoryHarness}): the request of an update is the claim
     * whose token and hash derive its EKS token with the parameters sent.
     */
    private synchronized Fault stickyRefusal(String body, Fault fault) {
        if (fault != Fault.PERMANENT && refusedRequests.isEmpty()) {
            return fault;
        }
        Map<String, Object> update = json(body);
        String request = requestOf(update);
        if (request == null) {
            return fault;
        }
        if (refusedRequests.contains(request)) {
            return Fault.PERMANENT;
        }
        if (fault == Fault.PERMANENT) {
            boolean acceptedBefore = stack.eks().requests(EksStandIn.UPDATE).stream()
                    .anyMatch(sent -> sent.status() == 200 && sent.body() != null
                            && request.equals(requestOf(sent.body())));
            if (acceptedBefore) {
                return null;
            }
            refusedRequests.add(request);
        }
        return fault;
    }

    /** The token and hash of the claim that derives this UpdateAccessEntry body's EKS token, or {@code null}. */
    @SuppressWarnings("unchecked")
    private String requestOf(Map<String, Object> update) {
        List<String> groups = update.get("kubernetesGroups") == null ? List.of()
                : (List<String>) update.get("kubernetesGroups");
        for (Map.Entry<String, Map<String, AttributeValue>> item : stack.items().entrySet()) {
            AttributeValue hash = item.getValue().get("requestHash");
            if (!ProxiedStack.isLease(item.getKey()) && hash != null && EksClientToken.derive(item.getKey(),
                    hash.s(), groups, (String) update.get("username")).equals(update.get("clientRequestToken"))) {
                return item.getKey() + " " + hash.s();
            }
        }
        return null;
    }

    private static Map<String, Object> json(String body) {
        try {
            return com.fasterxml.jackson.jr.ob.JSON.std.mapFrom(body);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Override
    public Result invoke(List<SQSEvent.SQSMessage> batch, FaultDecider decider) {
        faults = decider;
        int rejectedBefore = stack.eventBridge().events("Access Change Rejected").size();
        ProxiedStack.Invocation invocation = instance.invoke(Messages.event(batch), PropertyRun.REMAINING);
        faults = step -> null;
        try {
            stack.awaitIdle();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        boolean crashed = instance.crashed.get();
        Map<String, String> rejected = new LinkedHashMap<>();
        List<PublishedEvent> rejections = stack.eventBridge().events("Access Change Rejected");
        for (PublishedEvent event : rejections.subList(rejectedBefore, rejections.size())) {
            @SuppressWarnings("unchecked")
            Map<String, Object> reason = (Map<String, Object>) event.detail().get("reason");
            rejected.put((String) event.detail().get("messageId"), "REJECTED " + reason.get("code"));
        }
        Map<String, String> outcomes = new LinkedHashMap<>();
        for (SQSEvent.SQSMessage message : batch) {
            String id = message.getMessageId();
            outcomes.put(id, invocation.failedIds().contains(id) ? "RETRY" : rejected.getOrDefault(id, "DONE"));
        }
        if (crashed) {
            instance = newInstance();
        }
        return new Result(outcomes, crashed);
    }

    @Override
    public void advance(Duration duration) {
        clock.advance(duration);
    }

    @Override
    public EntryState entry(String principal) {
        var entry = stack.eks().entry(Messages.CLUSTER, principal);
        return new EntryState(Set.copyOf(entry.kubernetesGroups()), entry.username());
    }

    @Override
    @SuppressWarnings("unchecked")
    public List<Change> changes() {
        Map<String, EntryState> state = new LinkedHashMap<>(initial);
        Set<String> seen = new HashSet<>();
        List<Change> changes = new ArrayList<>();
        for (EksStandIn.RecordedRequest update : stack.eks().requests(EksStandIn.UPDATE)) {
            if (update.status() != 200 || update.body() == null) {
                continue;
            }
            String token = (String) update.body().get("clientRequestToken");
            if (!seen.add(token)) {
                continue;
            }
            EntryState before = state.get(update.principalArn());
            List<String> groups = (List<String>) update.body().get("kubernetesGroups");
            EntryState after = new EntryState(new TreeSet<>(groups == null ? List.of() : groups),
                    (String) update.body().get("username"));
            changes.add(new Change(update.principalArn(), token, before.groups(), before.username(), after.groups(),
                    after.username()));
            state.put(update.principalArn(), after);
        }
        return changes;
    }

    @Override
    @SuppressWarnings("unchecked")
    public List<Sent> updatesSent() {
        return stack.eks().requests(EksStandIn.UPDATE).stream()
                .filter(update -> update.body() != null)
                .map(update -> {
                    List<String> groups = (List<String>) update.body().get("kubernetesGroups");
                    return new Sent(update.principalArn(), (String) update.body().get("clientRequestToken"),
                            groups == null ? List.of() : List.copyOf(groups), (String) update.body().get("username"));
                }).toList();
    }

    @Override
    public List<Map<String, Object>> events(String detailType) {
        return stack.eventBridge().events(detailType).stream().map(PublishedEvent::detail).toList();
    }

    @Override
    public List<String> claimViolations() {
        return stack.claimViolations();
    }

    @Override
    public List<String> recomputations() {
        return stack.recomputations();
    }

    @Override
    public Map<String, Long> inProgressClaims() {
        Map<String, Long> claims = new LinkedHashMap<>();
        stack.items().forEach((token, item) -> {
            if (ProxiedStack.IN_PROGRESS.equals(ProxiedStack.status(item))) {
                claims.put(token, Long.parseLong(item.get("inProgressUntil").n()));
            }
        });
        return claims;
    }

    @Override
    public Map<String, String> claimStatuses() {
        Map<String, String> statuses = new LinkedHashMap<>();
        stack.items().forEach((token, item) -> {
            if (!ProxiedStack.isLease(token)) {
                statuses.put(token, ProxiedStack.status(item));
            }
        });
        return statuses;
    }

    @Override
    public Map<String, Long> heldLeases() {
        Map<String, Long> held = new LinkedHashMap<>();
        stack.items().forEach((key, item) -> {
            if (ProxiedStack.isLease(key) && item.get("owner") != null) {
                held.put(key, Long.parseLong(item.get("inProgressUntil").n()));
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
        stack.close();
    }
}
