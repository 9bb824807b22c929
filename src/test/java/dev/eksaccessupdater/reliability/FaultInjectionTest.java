package dev.eksaccessupdater.reliability;

import static dev.eksaccessupdater.reliability.FaultyProxy.Fault.crashAfter;
import static dev.eksaccessupdater.reliability.FaultyProxy.Fault.delay;
import static dev.eksaccessupdater.reliability.FaultyProxy.Fault.fail;
import static org.assertj.core.api.Assertions.assertThat;

import com.amazonaws.services.lambda.runtime.events.SQSEvent;
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
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * A fault at each step of SPEC section 1 (claim, describe, update, publish, complete, release): a transient error, a
 * permanent error, a timeout (every attempt held past the SDK's attempt timeout) and a crash (the instance dies
 * right after the step took effect; SQS redelivers the batch to a new instance once the claim has lapsed). Each
 * case checks the outcome of SPEC section 3 and the invariants of the README's "Failure modes".
 * <p>
 * The real function runs on dynalite and the EKS/EventBridge stand-ins, each instance behind its own
 * {@link FaultyProxy}s. Outcomes are read as SPEC section 3 defines them: listed in {@code batchItemFailures} =
 * RETRY, an {@code Access Change Rejected} event for the message = REJECTED, a new {@code Access Entry Updated}
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

    /** A step of SPEC section 1, the service that takes it and its operation. */
    enum Step {
        CLAIM("PutItem"), DESCRIBE("DescribeAccessEntry"), UPDATE("UpdateAccessEntry"), PUBLISH("PutEvents"),
        COMPLETE("UpdateItem"), RELEASE("DeleteItem");

        final String operation;

        Step(String operation) {
            this.operation = operation;
        }

        FaultyProxy proxy(ProxiedStack.Instance instance) {
            return switch (this) {
                case CLAIM, COMPLETE, RELEASE -> instance.dynamoDb;
                case DESCRIBE, UPDATE -> instance.eks;
                case PUBLISH -> instance.eventBridge;
            };
        }

        /** An error the service's SDK client retries (5xx). */
        FaultyProxy.Fault transientError() {
            return switch (this) {
                case CLAIM, COMPLETE, RELEASE -> fail(500, "InternalServerError");
                case DESCRIBE, UPDATE -> fail(503, "ServiceUnavailableException");
                case PUBLISH -> fail(500, "InternalException");
            };
        }

        /** An error no retry cures. */
        FaultyProxy.Fault permanentError() {
            return switch (this) {
                case CLAIM, COMPLETE, RELEASE, PUBLISH -> fail(400, "AccessDeniedException");
                case DESCRIBE -> fail(404, "ResourceNotFoundException");
                case UPDATE -> fail(400, "InvalidParameterException");
            };
        }
    }

    private final Dynalite dynalite;
    private ProxiedStack stack;
    private ProxiedStack.Instance first;
    private Instant lastDeadline;

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

    @ParameterizedTest(name = "{0}")
    @EnumSource(Step.class)
    void transientError_atStep_retriesReleasedAndAppliesOnceOnRedelivery(Step step) throws Exception {
        String body = Messages.add(PRINCIPAL, "team-a", TOKEN);
        if (step == Step.RELEASE) {
            // Release follows a failure only: EKS fails transiently, then the release fails too.
            first.eks.always(Step.UPDATE.operation, Step.UPDATE.transientError());
        }
        step.proxy(first).always(step.operation, step.transientError());

        assertThat(deliver(first, body, 1)).isEqualTo("RETRY");
        first.clearFaults();
        switch (step) {
            case CLAIM, DESCRIBE, UPDATE -> assertThat(stack.eks().changeCount()).isZero();
            case PUBLISH -> assertThat(updatedEvents()).isEmpty();
            case COMPLETE -> assertThat(updatedEvents()).hasSize(1);
            case RELEASE -> { }
        }
        if (step == Step.RELEASE) {
            assertClaimHeldUntilAtMost(lastDeadline);
            assertThat(deliver(first, body, 2)).as("claim still live").isEqualTo("RETRY");
            assertThat(deliver(stack.instance(REDELIVERED_LATER), body, 3)).isEqualTo("APPLIED");
        } else {
            assertThat(stack.item(TOKEN)).as("released after RETRY").isNull();
            assertThat(deliver(first, body, 2)).isEqualTo("APPLIED");
        }
        // A failed complete is a crash between publishing and completing as far as the outcome goes.
        assertInvariants(step == Step.COMPLETE ? 2 : 1);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Step.class)
    void permanentError_atStep_endsAsSpecSection3Says(Step step) throws Exception {
        String body = Messages.add(PRINCIPAL, "team-a", TOKEN);
        if (step == Step.RELEASE) {
            first.eks.always(Step.UPDATE.operation, Step.UPDATE.permanentError());
        }
        step.proxy(first).always(step.operation, step.permanentError());

        String outcome = deliver(first, body, 1);
        first.clearFaults();

        switch (step) {
            case CLAIM, PUBLISH, COMPLETE -> {
                // DynamoDB and EventBridge failures are never final: the message is retried, then dead-lettered.
                assertThat(outcome).isEqualTo("RETRY");
                assertThat(stack.item(TOKEN)).isNull();
                assertThat(deliver(first, body, 2)).isEqualTo("APPLIED");
                assertInvariants(step == Step.COMPLETE ? 2 : 1);
            }
            case DESCRIBE -> {
                assertThat(outcome).isEqualTo("REJECTED NOT_FOUND");
                assertThat(stack.eks().updateCount()).isZero();
                assertThat(stack.item(TOKEN)).isNull();
                assertInvariants(0);
            }
            case UPDATE -> {
                assertThat(outcome).isEqualTo("REJECTED INVALID_PARAMETER");
                assertThat(stack.eks().changeCount()).isZero();
                assertThat(stack.item(TOKEN)).isNull();
                assertInvariants(0);
            }
            case RELEASE -> {
                assertThat(outcome).isEqualTo("REJECTED INVALID_PARAMETER");
                assertClaimHeldUntilAtMost(lastDeadline);
                assertInvariants(0);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Step.class)
    void timeout_atStep_givesUpWithinTheCallTimeoutAndNothingIsAppliedTwice(Step step) throws Exception {
        String body = Messages.add(PRINCIPAL, "team-a", TOKEN);
        if (step == Step.RELEASE) {
            first.eks.always(Step.UPDATE.operation, Step.UPDATE.permanentError());
        }
        step.proxy(first).always(step.operation, delay(PAST_ATTEMPT_TIMEOUT));

        long started = System.nanoTime();
        String outcome = deliver(first, body, 1);
        Duration took = Duration.ofNanos(System.nanoTime() - started);
        // The SDK's call timeout (5 s) bounds each step; one step that hangs costs at most that, plus the release.
        assertThat(took).isLessThan(Duration.ofSeconds(12));
        stack.awaitIdle();
        first.clearFaults();

        if (step == Step.RELEASE) {
            assertThat(outcome).isEqualTo("REJECTED INVALID_PARAMETER");
            assertNoClaimOutlives(lastDeadline);
            assertInvariants(0);
            return;
        }
        assertThat(outcome).isEqualTo("RETRY");
        // Held calls land late: a claim may have been written after the function gave up (it lapses at the
        // deadline), an update may have changed the entry, an event may have been accepted, a completion written.
        assertNoClaimOutlives(lastDeadline);
        String redelivered = deliver(stack.instance(REDELIVERED_LATER), body, 2);
        if (step == Step.COMPLETE) {
            assertThat(redelivered).isIn("APPLIED", "DUPLICATE");
        } else {
            assertThat(redelivered).isEqualTo("APPLIED");
        }
        assertInvariants(step == Step.PUBLISH || step == Step.COMPLETE ? -1 : 1);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Step.class)
    void crash_afterStep_redeliveryToANewInstanceFinishesTheMessageOnce(Step step) throws Exception {
        String principal = step == Step.RELEASE ? WITHOUT_ENTRY : PRINCIPAL;
        String body = Messages.add(principal, "team-a", TOKEN);
        step.proxy(first).inject(step.operation, 1, crashAfter());

        deliver(first, body, 1);
        assertThat(first.crashed).as("the instance crashed at " + step).isTrue();
        assertNoClaimOutlives(lastDeadline);

        String redelivered = deliver(stack.instance(REDELIVERED_LATER), body, 2);
        switch (step) {
            case CLAIM, DESCRIBE, UPDATE -> {
                assertThat(redelivered).isEqualTo("APPLIED");
                assertInvariants(1);
            }
            case PUBLISH -> {
                assertThat(redelivered).isEqualTo("APPLIED");
                // The one case with two events: published, not completed. Both carry the token.
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
     * Known gap, not fixed (see the README, "Failure modes"): EventBridge fails after two changes to one entry were
     * applied; on redelivery the first request, recomputed on the entry the second changed, sends its EKS token
     * with other parameters, EKS refuses the reuse, and a change that is in effect ends REJECTED without any
     * Access Entry Updated event.
     */
    @Test
    @Disabled("known gap: a publish failure followed by another change to the entry loses the Updated event (README)")
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
    }

    /** Delivers one message (receive count as given) and reads its outcome as SPEC section 3 defines it. */
    private String deliver(ProxiedStack.Instance instance, String body, int receiveCount) throws Exception {
        String messageId = "msg-" + receiveCount;
        int updatedBefore = updatedEvents().size();
        SQSEvent event = Messages.event(Messages.record(messageId, body, null, receiveCount));
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

    private void assertClaimHeldUntilAtMost(Instant deadline) {
        Map<String, AttributeValue> item = stack.item(TOKEN);
        assertThat(item).as("claim left by the failed release").isNotNull();
        assertThat(item.get("status").s()).isEqualTo(ProxiedStack.IN_PROGRESS);
        assertNoClaimOutlives(deadline);
    }

    /** Invariant 6: a claim left behind lapses by the deadline of the invocation that took it. */
    private void assertNoClaimOutlives(Instant deadline) {
        stack.items().values().stream()
                .filter(item -> ProxiedStack.IN_PROGRESS.equals(item.get("status").s()))
                .forEach(item -> assertThat(Long.parseLong(item.get("inProgressUntil").n()))
                        .as("inProgressUntil of %s", item.get("clientRequestToken").s())
                        .isLessThanOrEqualTo(deadline.toEpochMilli() + 1_000));
    }

    /**
     * Invariants 2-4 for the one token: EKS was only called under a live claim; every update sent the one EKS
     * token derived from the request and changed the entry at most once; and {@code updatedEvents} events (any
     * number from one when negative) carry the token.
     */
    private void assertInvariants(int updatedEvents) {
        assertThat(stack.claimViolations()).as("EKS calls without a live claim").isEmpty();
        String eksToken = EksClientToken.derive(TOKEN,
                CanonicalForm.hash(new RequestParser().parse(Messages.add(PRINCIPAL, "team-a", TOKEN), "any")));
        assertThat(stack.eks().requests(EksStandIn.UPDATE))
                .allSatisfy(update -> assertThat(update.body().get("clientRequestToken")).isEqualTo(eksToken));
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
