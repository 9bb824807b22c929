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

    /**
     * The calls of contract section 1 (and 4) at which faults are injected: the claim and the lease beside it, the
     * read and the update, the record, the lease's release beside the publish, the complete; the claim's release (a
     * change that certainly did not happen), its yield (a publish that failed) and the take-over of a recorded change.
     */
    enum Step { CLAIM, LEASE, DESCRIBE, UPDATE, RECORD, RELEASE_LEASE, PUBLISH, COMPLETE, RELEASE, YIELD, TAKE_OVER }

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

    /** One UpdateAccessEntry as sent: the EKS token and the parameters it is bound to. */
    record Sent(String principal, String eksToken, List<String> groups, String username) {
    }

    /** Every UpdateAccessEntry sent, replays and failures included, in order. */
    List<Sent> updatesSent();

    /** The {@code detail} of every accepted event of this type, in order. */
    List<Map<String, Object>> events(String detailType);

    /**
     * EKS calls made without a live {@code IN_PROGRESS} claim and a live lease of the entry held by the same owner,
     * the update's EKS token derived from that claim's token, hash and the parameters sent (invariant 2).
     */
    List<String> claimViolations();

    /** UpdateAccessEntry calls for a request whose claim was already recorded {@code APPLIED} (invariant 3). */
    List<String> recomputations();

    /** Claims in the table that are IN_PROGRESS, with their inProgressUntil in epoch millis. */
    Map<String, Long> inProgressClaims();

    /** The status of every claim in the table, by token. */
    Map<String, String> claimStatuses();

    /** Entry leases held (an owner set), by lease key, with their inProgressUntil in epoch millis. */
    Map<String, Long> heldLeases();

    /** The instance clock's now, epoch millis. */
    long nowMillis();

    @Override
    void close();
}
