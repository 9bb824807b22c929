package dev.eksaccessupdater.dedup;

import dev.eksaccessupdater.time.CallBudget;

/**
 * The port to the claims of the state table (docs/contract.md section 4.1). Every write after the claim is
 * conditioned on the claim's {@code owner}; a write whose condition fails, and every failure of the table, is a
 * {@link dev.eksaccessupdater.failure.RetryableException}: the attempt stops and nothing else is called.
 */
public interface Claims {

    /** One conditional put of a new {@code IN_PROGRESS} claim held by {@code owner} until the budget's deadline. */
    ClaimResult claim(String token, String requestHash, String owner, CallBudget budget);

    /** Takes over a lapsed {@code APPLIED} claim of the same request; the result holds what was recorded. */
    ClaimResult.Held takeOver(ClaimResult.AppliedLapsed lapsed, String owner, CallBudget budget);

    /** Step 6: the claim becomes {@code APPLIED}, holding the entry and the event to publish. */
    ClaimResult.Held record(ClaimResult.Held claim, AppliedRecord record, CallBudget budget);

    /** Step 8: the claim becomes {@code COMPLETED}, keeping the entry and dropping the event. */
    void complete(ClaimResult.Held claim, CallBudget budget);

    /** Gives an {@code APPLIED} claim up at once (publishing failed), so that the next delivery takes it over. */
    void yield(ClaimResult.Held claim, CallBudget budget);

    /**
     * Deletes an {@code IN_PROGRESS} claim whose request certainly did not change the entry, so that a redelivery
     * is processed afresh. An item already gone counts as deleted.
     */
    void release(ClaimResult.Held claim, CallBudget budget);
}
