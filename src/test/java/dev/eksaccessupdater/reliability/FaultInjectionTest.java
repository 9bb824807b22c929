package dev.eksaccessupdater.reliability;

import static dev.eksaccessupdater.reliability.FaultyProxy.Fault.crashAfter;
import static dev.eksaccessupdater.reliability.FaultyProxy.Fault.delay;
import static dev.eksaccessupdater.reliability.FaultyProxy.Fault.fail;
import static org.assertj.core.api.Assertions.assertThat;

import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import dev.eksaccessupdater.dedup.DynamoDbEntryLeases;
import dev.eksaccessupdater.eks.EksClientToken;
import dev.eksaccessupdater.request.CanonicalForm;
import dev.eksaccessupdater.request.RequestParser;
import dev.eksaccessupdater.standin.EksStandIn;
import dev.eksaccessupdater.standin.EventBridgeStandIn.PublishedEvent;
import dev.eksaccessupdater.testing.Dynalite;
import dev.eksaccessupdater.testing.WithDynalite;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * A fault at each call of contract sections 1 and 4 (claim, lease, describe, update, record, the lease's release,
 * publish, complete; and on the paths that take them the claim's release, its yield and the take-over of a recorded
 * change): a transient error, a permanent error, a timeout (every attempt held past the SDK's attempt timeout) and
 * a crash (the instance dies right after the call took effect; SQS redelivers the batch to a new instance once the
 * claim has lapsed). Each case checks the outcome of contract section 3, what is left in the state table, and the
 * invariants of the README's "Failure modes" - among them that a change EKS accepted is never recomputed: once the
 * claim is {@code APPLIED}, no later delivery calls {@code UpdateAccessEntry} again.
 * <p>
 * The real function runs on dynalite and the EKS/EventBridge stand-ins, each instance behind its own
 * {@link FaultyProxy}s. Outcomes are read as contract section 3 defines them: listed in {@code batchItemFailures}
 * = RETRY, an {@code Access Change Rejected} event for the message = REJECTED, a new {@code Access Entry Updated}
 * event = APPLIED, none of these = DUPLICATE.
 */
@WithDynalite
class FaultInjectionTest {

    private static final String PRINCIPAL = Messages.PRINCIPALS.get(0);
    private static final String WITHOUT_ENTRY = "arn:aws:iam::111122223333:role/no-entry-yet";
    private static final String TOKEN = "CHG-4711";
    private static final Duration REMAINING = Duration.ofSeconds(30);
    /** SQS redelivers after the visibility timeout, at least six times the function timeout: claims have lapsed. */
    private static final Duration REDELIVERED_LATER = Duration.ofMinutes(30);
    private static final Duration PAST_ATTEMPT_TIMEOUT = Duration.ofMillis(2_300);

    /** A call of contract sections 1 and 4, the service that takes it and its operation or state-table action. */
    enum Step {
        CLAIM(FaultyProxy.CLAIM), LEASE(FaultyProxy.ACQUIRE_LEASE), DESCRIBE("DescribeAccessEntry"),
        UPDATE("UpdateAccessEntry"), RECORD(FaultyProxy.RECORD), RELEASE_LEASE(FaultyProxy.RELEASE_LEASE),
        PUBLISH("PutEvents"), COMPLETE(FaultyProxy.COMPLETE), RELEASE(FaultyProxy.RELEASE_CLAIM),
        YIELD(FaultyProxy.YIELD), TAKE_OVER(FaultyProxy.TAKE_OVER);

        final String operation;

        Step(String operation) {
            this.operation = operation;
        }

        FaultyProxy proxy(ProxiedStack.Instance instance) {
            return switch (this) {
                case DESCRIBE, UPDATE -> instance.eks;
                case PUBLISH -> instance.eventBridge;
                default -> instance.dynamoDb;
            };
        }

        /** An error the service's SDK client retries (5xx). */
        FaultyProxy.Fault transientError() {
            return switch (this) {
                case DESCRIBE, UPDATE -> fail(503, "ServiceUnavailableException");
                case PUBLISH -> fail(500, "InternalException");
                default -> fail(500, "InternalServerError");
            };
        }

        /** An error no retry cures. */
        FaultyProxy.Fault permanentError() {
            return switch (this) {
                case DESCRIBE -> fail(404, "ResourceNotFoundException");
                case UPDATE -> fail(400, "InvalidParameterException");
                default -> fail(400, "AccessDeniedException");
            };
        }

        /** The change is recorded ({@code APPLIED}) before this call: from then on EKS is never called again. */
        boolean afterRecord() {
            return this == RELEASE_LEASE || this == PUBLISH || this == COMPLETE || this == YIELD || this == TAKE_OVER;
        }
    }

    private final Dynalite dynalite;
    private ProxiedStack stack;
    private ProxiedStack.Instance first;
    private Instant lastDeadline;
    private int deliveries;

    FaultInjectionTest(Dynalite dynalite) {
        this.dynalite = dynalite;
    }

    @BeforeEach
    void start() {
        // One message per batch: two workers are plenty, and each instance keeps its pool for the run.
        stack = ProxiedStack.start(dynalite, Map.of("MAX_CONCURRENCY", "2"));
        stack.eks().putEntry("demo", PRINCIPAL, List.of("viewers"), "developer");
        first = stack.instance(Duration.ZERO);
    }

    @AfterEach
    void stop() {
        stack.close();
    }

    /**
     * Brings the message to the step: the claim's release follows a read that failed (nothing was sent to EKS), the
     * yield a publish that failed, and the take-over a delivery whose publish failed and yielded the claim.
     */
    private void reach(Step step, String body) throws Exception {
        switch (step) {
            case RELEASE -> first.eks.always(Step.DESCRIBE.operation, Step.DESCRIBE.transientError());
            case YIELD -> first.eventBridge.always(Step.PUBLISH.operation, Step.PUBLISH.transientError());
            case TAKE_OVER -> {
                first.eventBridge.always(Step.PUBLISH.operation, Step.PUBLISH.transientError());
                assertThat(deliver(first, body)).isEqualTo("RETRY");
                first.clearFaults();
                assertClaim("APPLIED", false);
            }
            default -> { }
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Step.class)
    void transientError_atStep_retriesAndAppliesOnceOnRedelivery(Step step) throws Exception {
        failAtStep(step, step.transientError());
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = Step.class, names = {"CLAIM", "LEASE", "RECORD", "RELEASE_LEASE", "PUBLISH", "COMPLETE",
            "YIELD", "TAKE_OVER"})
    void permanentError_ofTheStateTableOrEventBridge_isRetriedLikeATransientOne(Step step) throws Exception {
        // DynamoDB and EventBridge failures are never final: the message is retried, then dead-lettered.
        failAtStep(step, step.permanentError());
    }

    /**
     * What a failure at the step leaves behind, and how the redeliveries end. A change recorded before the failure
     * is finished without calling EKS again (checked in {@link #assertInvariants}).
     */
    private void failAtStep(Step step, FaultyProxy.Fault fault) throws Exception {
        String body = Messages.add(PRINCIPAL, "team-a", TOKEN);
        reach(step, body);
        step.proxy(first).always(step.operation, fault);

        String outcome = deliver(first, body);
        first.clearFaults();
        if (step.afterRecord()) {
            stack.awaitIdle();
            assertThat(stack.eks().updateCount()).as("UpdateAccessEntry calls before the fault").isEqualTo(1);
        }

        switch (step) {
            case CLAIM, LEASE, DESCRIBE -> {
                // Nothing was sent to EKS: claim and lease are released, a redelivery applies at once.
                assertThat(outcome).isEqualTo("RETRY");
                assertThat(stack.eks().updateCount()).isZero();
                assertThat(stack.item(TOKEN)).as("claim released").isNull();
                assertNoLease();
                assertThat(deliver(first, body)).isEqualTo("APPLIED");
                assertInvariants(1);
            }
            case UPDATE -> {
                // A 5xx: the update's outcome is unknown, so claim and lease lapse at the deadline.
                assertThat(outcome).isEqualTo("RETRY");
                assertClaim(ProxiedStack.IN_PROGRESS, true);
                assertLeaseHeldUntilAtMost(lastDeadline);
                assertThat(deliver(first, body)).as("claim still live").isEqualTo("RETRY");
                assertThat(deliver(stack.instance(REDELIVERED_LATER), body)).isEqualTo("APPLIED");
                assertInvariants(1);
            }
            case RECORD -> {
                // EKS changed the entry but the claim does not say so: both lapse; the redelivery reads the entry
                // it changed, sends the same parameters and so the same EKS token, which EKS replays.
                assertThat(outcome).isEqualTo("RETRY");
                assertThat(stack.eks().changeCount()).isEqualTo(1);
                assertClaim(ProxiedStack.IN_PROGRESS, true);
                assertLeaseHeldUntilAtMost(lastDeadline);
                assertThat(deliver(stack.instance(REDELIVERED_LATER), body)).isEqualTo("APPLIED");
                assertInvariants(1);
            }
            case RELEASE_LEASE -> {
                // A release that fails does not fail the message: the lease lapses at the deadline.
                assertThat(outcome).isEqualTo("APPLIED");
                assertClaim("COMPLETED", false);
                assertLeaseHeldUntilAtMost(lastDeadline);
                assertThat(deliver(stack.instance(REDELIVERED_LATER), body)).isEqualTo("DUPLICATE");
                assertInvariants(1);
            }
            case PUBLISH -> {
                // The claim stays APPLIED with its event and is yielded: the next delivery publishes that event
                // without calling EKS.
                assertThat(outcome).isEqualTo("RETRY");
                assertThat(updatedEvents()).isEmpty();
                assertClaim("APPLIED", false);
                assertNoLease();
                assertThat(deliver(first, body)).isEqualTo("APPLIED");
                assertInvariants(1);
            }
            case COMPLETE -> {
                // Published, not completed: the claim stays APPLIED and held until it lapses, then the
                // redelivery takes it over and publishes the recorded event a second time.
                assertThat(outcome).isEqualTo("RETRY");
                assertThat(updatedEvents()).hasSize(1);
                assertClaim("APPLIED", true);
                assertThat(deliver(first, body)).as("claim still held").isEqualTo("RETRY");
                assertThat(deliver(stack.instance(REDELIVERED_LATER), body)).isEqualTo("APPLIED");
                assertInvariants(2);
            }
            case RELEASE -> {
                assertThat(outcome).isEqualTo("RETRY");
                assertClaim(ProxiedStack.IN_PROGRESS, true);
                assertNoLease();
                assertThat(deliver(first, body)).as("claim still live").isEqualTo("RETRY");
                assertThat(deliver(stack.instance(REDELIVERED_LATER), body)).isEqualTo("APPLIED");
                assertInvariants(1);
            }
            case YIELD -> {
                // Not yielded: the APPLIED claim is held until it lapses, then taken over.
                assertThat(outcome).isEqualTo("RETRY");
                assertClaim("APPLIED", true);
                assertThat(deliver(first, body)).as("claim still held").isEqualTo("RETRY");
                assertThat(deliver(stack.instance(REDELIVERED_LATER), body)).isEqualTo("APPLIED");
                assertInvariants(1);
            }
            case TAKE_OVER -> {
                assertThat(outcome).isEqualTo("RETRY");
                assertClaim("APPLIED", false);
                assertThat(deliver(first, body)).isEqualTo("APPLIED");
                assertInvariants(1);
            }
        }
        if (step.afterRecord()) {
            assertThat(stack.eks().updateCount()).as("UpdateAccessEntry calls: the recorded change is not recomputed")
                    .isEqualTo(1);
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = Step.class, names = {"DESCRIBE", "UPDATE", "RELEASE"})
    void permanentError_ofEks_rejectsAndLeavesNothingBehind(Step step) throws Exception {
        String body = Messages.add(PRINCIPAL, "team-a", TOKEN);
        if (step == Step.RELEASE) {
            first.eks.always(Step.UPDATE.operation, Step.UPDATE.permanentError());
        }
        step.proxy(first).always(step.operation, step.permanentError());

        String outcome = deliver(first, body);
        first.clearFaults();

        assertNoLease();
        switch (step) {
            case DESCRIBE -> {
                assertThat(outcome).isEqualTo("REJECTED NOT_FOUND");
                assertThat(stack.eks().updateCount()).isZero();
                assertThat(stack.item(TOKEN)).isNull();
            }
            case UPDATE -> {
                // EKS refused the first attempt with a 4xx: nothing changed, the claim is released.
                assertThat(outcome).isEqualTo("REJECTED INVALID_PARAMETER");
                assertThat(stack.eks().changeCount()).isZero();
                assertThat(stack.item(TOKEN)).isNull();
            }
            default -> {
                assertThat(outcome).isEqualTo("REJECTED INVALID_PARAMETER");
                assertClaim(ProxiedStack.IN_PROGRESS, true);
            }
        }
        assertInvariants(0);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = Step.class, names = {"CLAIM", "LEASE", "DESCRIBE", "UPDATE", "RECORD", "RELEASE_LEASE",
            "PUBLISH", "COMPLETE", "RELEASE"})
    void timeout_atStep_givesUpWithinTheCallTimeoutAndNothingIsAppliedTwice(Step step) throws Exception {
        String body = Messages.add(PRINCIPAL, "team-a", TOKEN);
        if (step == Step.RELEASE) {
            first.eks.always(Step.UPDATE.operation, Step.UPDATE.permanentError());
        }
        step.proxy(first).always(step.operation, delay(PAST_ATTEMPT_TIMEOUT));

        long started = System.nanoTime();
        String outcome = deliver(first, body);
        Duration took = Duration.ofNanos(System.nanoTime() - started);
        // The SDK's call timeout (5 s) bounds each call; one call that hangs costs at most that, plus the release.
        assertThat(took).isLessThan(Duration.ofSeconds(12));
        stack.awaitIdle();
        first.clearFaults();

        // Held calls land late: a claim or lease may have been written after the function gave up (it lapses at the
        // deadline), an update may have changed the entry, an event may have been accepted, a completion written.
        assertNothingOutlives(lastDeadline);
        switch (step) {
            case RELEASE -> {
                assertThat(outcome).isEqualTo("REJECTED INVALID_PARAMETER");
                assertInvariants(0);
            }
            case RELEASE_LEASE -> {
                assertThat(outcome).isEqualTo("APPLIED");
                assertInvariants(1);
            }
            default -> {
                assertThat(outcome).isEqualTo("RETRY");
                String redelivered = deliver(stack.instance(REDELIVERED_LATER), body);
                if (step == Step.COMPLETE) {
                    assertThat(redelivered).isIn("APPLIED", "DUPLICATE");
                } else {
                    assertThat(redelivered).isEqualTo("APPLIED");
                }
                assertInvariants(step == Step.PUBLISH || step == Step.COMPLETE ? -1 : 1);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Step.class)
    void crash_afterStep_redeliveryToANewInstanceFinishesTheMessageOnce(Step step) throws Exception {
        // The claim's release here follows a rejection: the entry does not exist.
        String principal = step == Step.RELEASE ? WITHOUT_ENTRY : PRINCIPAL;
        String body = Messages.add(principal, "team-a", TOKEN);
        if (step != Step.RELEASE) {
            reach(step, body);
        }
        step.proxy(first).inject(step.operation, 1, crashAfter());

        deliver(first, body);
        assertThat(first.crashed).as("the instance crashed at " + step).isTrue();
        assertNothingOutlives(lastDeadline);

        String redelivered = deliver(stack.instance(REDELIVERED_LATER), body);
        if (step == Step.RECORD || step.afterRecord()) {
            assertThat(stack.eks().updateCount()).as("UpdateAccessEntry calls: the recorded change is not recomputed")
                    .isEqualTo(1);
        }
        switch (step) {
            case CLAIM, LEASE, DESCRIBE, UPDATE, RECORD, YIELD, TAKE_OVER -> {
                assertThat(redelivered).isEqualTo("APPLIED");
                assertInvariants(1);
            }
            case RELEASE_LEASE -> {
                // The publish beside the release may have gone out before the instance died.
                assertThat(redelivered).isEqualTo("APPLIED");
                assertInvariants(-1);
            }
            case PUBLISH -> {
                assertThat(redelivered).isEqualTo("APPLIED");
                // Published, not completed: the take-over publishes the recorded event again. Both carry the token.
                assertInvariants(2);
            }
            case COMPLETE -> {
                assertThat(redelivered).isEqualTo("DUPLICATE");
                assertInvariants(1);
            }
            case RELEASE -> {
                assertThat(redelivered).isEqualTo("REJECTED NOT_FOUND");
                assertThat(stack.eventBridge().events("Access Change Rejected")).hasSize(2);
                assertThat(stack.item(TOKEN)).isNull();
                assertInvariants(0);
            }
        }
    }

    /**
     * EventBridge fails after two changes to one entry were applied (one batch, one lane, one after the other).
     * Each claim stays {@code APPLIED} with its event; the redelivery publishes both recorded events without
     * recomputing either change (in contract version 1 the first was recomputed on the entry the second had changed,
     * EKS refused its token with other parameters, and a change in effect ended without its event).
     */
    @Test
    void publishFails_forTwoChangesToOneEntry_bothEndAppliedWithTheirEvents() throws Exception {
        String firstBody = Messages.add(PRINCIPAL, "team-a", "CHG-1");
        String secondBody = Messages.add(PRINCIPAL, "team-b", "CHG-2");
        first.eventBridge.always(Step.PUBLISH.operation, Step.PUBLISH.transientError());
        SQSEvent batch = Messages.event(Messages.record("m1", firstBody, null, 1),
                Messages.record("m2", secondBody, null, 1));

        assertThat(first.invoke(batch, REMAINING).failedIds()).containsExactly("m1", "m2");
        first.clearFaults();
        assertThat(first.invoke(batch, REMAINING).failedIds()).isEmpty();

        assertThat(stack.eventBridge().events("Access Change Rejected")).isEmpty();
        assertThat(updatedEvents()).extracting(event -> event.detail().get("clientRequestToken"))
                .containsExactlyInAnyOrder("CHG-1", "CHG-2");
        assertThat(stack.eks().updateCount()).as("UpdateAccessEntry calls: one per change, none recomputed")
                .isEqualTo(2);
        assertThat(stack.eks().entry("demo", PRINCIPAL).kubernetesGroups())
                .containsExactlyInAnyOrder("viewers", "team-a", "team-b");
        assertThat(stack.claimViolations()).isEmpty();
        assertThat(stack.recomputations()).isEmpty();
    }

    /** Delivers one message (a new message id and receive count each time) and reads its outcome (section 3). */
    private String deliver(ProxiedStack.Instance instance, String body) throws Exception {
        deliveries++;
        String messageId = "msg-" + deliveries;
        int updatedBefore = updatedEvents().size();
        SQSEvent event = Messages.event(Messages.record(messageId, body, null, deliveries));
        ProxiedStack.Invocation invocation = instance.invoke(event, REMAINING);
        lastDeadline = invocation.deadline();
        if (invocation.failedIds().contains(messageId)) {
            return "RETRY";
        }
        stack.awaitIdle();
        List<PublishedEvent> rejected = stack.eventBridge().events("Access Change Rejected").stream()
                .filter(rejection -> messageId.equals(rejection.detail().get("messageId"))).toList();
        if (!rejected.isEmpty()) {
            @SuppressWarnings("unchecked")
            Map<String, Object> reason = (Map<String, Object>) rejected.get(0).detail().get("reason");
            assertThat((String) reason.get("message")).isNotBlank();
            return "REJECTED " + reason.get("code");
        }
        return updatedEvents().size() > updatedBefore ? "APPLIED" : "DUPLICATE";
    }

    private List<PublishedEvent> updatedEvents() {
        return stack.eventBridge().events("Access Entry Updated");
    }

    /** The claim of {@link #TOKEN} has this status and is held until the last deadline ({@code held}) or yielded. */
    private void assertClaim(String status, boolean held) {
        Map<String, AttributeValue> item = stack.item(TOKEN);
        assertThat(item).as("claim of %s", TOKEN).isNotNull();
        assertThat(item.get("status").s()).as("status of the claim").isEqualTo(status);
        long until = Long.parseLong(item.get("inProgressUntil").n());
        if (held) {
            assertThat(item.get("owner")).as("owner of the held claim").isNotNull();
            assertThat(until).as("inProgressUntil of the held claim")
                    .isGreaterThan(Instant.now().toEpochMilli())
                    .isLessThanOrEqualTo(lastDeadline.toEpochMilli() + 1_000);
        } else if ("APPLIED".equals(status)) {
            assertThat(item.get("owner")).as("owner of the yielded claim").isNull();
            assertThat(until).as("inProgressUntil of the yielded claim").isZero();
        }
    }

    private Map<String, AttributeValue> lease() {
        return stack.item(DynamoDbEntryLeases.key("demo", PRINCIPAL));
    }

    private void assertNoLease() {
        Map<String, AttributeValue> lease = lease();
        assertThat(lease == null || lease.get("owner") == null).as("lease released: %s", lease).isTrue();
    }

    private void assertLeaseHeldUntilAtMost(Instant deadline) {
        Map<String, AttributeValue> lease = lease();
        assertThat(lease).as("lease left to lapse").isNotNull();
        assertThat(lease.get("owner")).as("owner of the lease left to lapse").isNotNull();
        assertThat(Long.parseLong(lease.get("inProgressUntil").n())).isLessThanOrEqualTo(deadline.toEpochMilli());
    }

    /** Invariant 6: a claim or lease left behind lapses by the deadline of the invocation that took it. */
    private void assertNothingOutlives(Instant deadline) {
        stack.items().forEach((key, item) -> {
            boolean held = ProxiedStack.isLease(key) ? item.get("owner") != null
                    : !"COMPLETED".equals(ProxiedStack.status(item));
            if (held) {
                assertThat(Long.parseLong(item.get("inProgressUntil").n())).as("inProgressUntil of %s", key)
                        .isLessThanOrEqualTo(deadline.toEpochMilli() + 1_000);
            }
        });
    }

    /**
     * Invariants 2-4 for the one token: EKS was only called under a live claim and lease of one owner; every update
     * sent the one EKS token derived from the request and the parameters it computes, and none came after the change
     * was recorded; the entry changed at most once; and {@code updatedEvents} events (any number from one when
     * negative) carry the token.
     */
    private void assertInvariants(int updatedEvents) {
        assertThat(stack.claimViolations()).as("EKS calls without a live claim and lease").isEmpty();
        assertThat(stack.recomputations()).as("EKS updates after the change was recorded").isEmpty();
        String eksToken = EksClientToken.derive(TOKEN,
                CanonicalForm.hash(new RequestParser().parse(Messages.add(PRINCIPAL, "team-a", TOKEN), "any")),
                List.of("team-a", "viewers"), "developer");
        List<EksStandIn.RecordedRequest> updates = stack.eks().requests(EksStandIn.UPDATE);
        assertThat(updates).allSatisfy(update -> assertThat(update.body().get("clientRequestToken"))
                .isEqualTo(eksToken));
        assertThat(stack.eks().changeCount()).isLessThanOrEqualTo(1);
        List<PublishedEvent> updated = updatedEvents();
        if (updatedEvents < 0) {
            assertThat(updated).isNotEmpty();
        } else {
            assertThat(updated).hasSize(updatedEvents);
        }
        assertThat(updated).allSatisfy(event -> assertThat(event.detail().get("clientRequestToken")).isEqualTo(TOKEN));
        if (!updated.isEmpty()) {
            assertThat(stack.eks().changeCount()).isEqualTo(1);
            assertThat(stack.eks().entry("demo", PRINCIPAL).kubernetesGroups())
                    .containsExactlyInAnyOrder("viewers", "team-a");
            assertThat(stack.eks().entry("demo", PRINCIPAL).username()).isEqualTo("developer");
        }
    }
}
