package dev.eksaccessupdater.reliability;

import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The function under test with everything the invariant checks need to see: one implementation on in-memory
 * ports (fast, deterministic), one on dynalite and the stand-ins through the real SDK clients.
 */
interface Harness extends AutoCloseable {

    /** The steps of SPEC section 1 at which faults are injected. */
    enum Step { CLAIM, DESCRIBE, UPDATE, PUBLISH, COMPLETE, RELEASE }

    /** Injected faults: before the step's effect, after it (the answer is lost), or the instance dies. */
    enum Fault { TRANSIENT, PERMANENT, LOST_ANSWER, CRASH_BEFORE, CRASH_AFTER }

    /** Decides, call by call, whether a step meets a fault ({@code null}: none). */
    @FunctionalInterface
    interface FaultDecider {
        Fault decide(Step step);
    }

    /** One UpdateAccessEntry that changed an entry (a replayed EKS token does not). */
    record Change(String principal, String eksToken, Set<String> groupsBefore, String usernameBefore,
                  Set<String> groupsAfter, String usernameAfter) {
    }

    /** An entry's groups and username. */
    record EntryState(Set<String> groups, String username) {
    }

    /**
     * One invocation as SQS saw it.
     *
     * @param outcomes by message id: APPLIED, DUPLICATE, "REJECTED code", RETRY; only "DONE" for a message that
     *     was neither retried nor rejected when the harness cannot tell APPLIED from DUPLICATE
     * @param crashed the instance died: SQS deletes nothing of the batch and the instance is replaced
     */
    record Result(Map<String, String> outcomes, boolean crashed) {
    }

    Result invoke(List<SQSEvent.SQSMessage> batch, FaultDecider faults);

    /** Moves every instance's clock on (SQS's visibility timeout passing between deliveries). */
    void advance(java.time.Duration duration);

    EntryState entry(String principal);

    /** EKS changes, in the order EKS made them. */
    List<Change> changes();

    /** The EKS token of every UpdateAccessEntry sent, replays and failures included, in order. */
    List<String> eksTokensSent();

    /** The {@code detail} of every accepted event of this type, in order. */
    List<Map<String, Object>> events(String detailType);

    /** EKS calls made without a live claim (invariant 2). */
    List<String> claimViolations();

    /** Claims in the table that are IN_PROGRESS, with their inProgressUntil in epoch millis. */
    Map<String, Long> inProgressClaims();

    /** The instance clock's now, epoch millis. */
    long nowMillis();

    @Override
    void close();
}
