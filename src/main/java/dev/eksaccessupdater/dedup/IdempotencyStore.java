package dev.eksaccessupdater.dedup;

import java.time.Instant;

/**
 * The port to the idempotency record (SPEC section 4). Implementations throw
 * {@link dev.eksaccessupdater.failure.RetryableException} when the store is unavailable or throttled.
 */
public interface IdempotencyStore {

    /**
     * Claims {@code token} with one conditional write: succeeds when the token is absent, expired at {@code now},
     * or held by a claim whose {@code inProgressUntil} has passed.
     */
    ClaimResult claim(String token, String requestHash, Instant now, Instant inProgressUntil);

    /**
     * Marks a held claim {@code COMPLETED} with the published access entry; it is then kept for the TTL.
     *
     * @return {@code false}, without changing anything, when the claim is no longer this one (it lapsed and
     *     another invocation took the token over); the change was applied and published all the same, so the
     *     caller still treats the message as applied
     */
    boolean complete(ClaimResult.Acquired claim, String accessEntryJson, Instant now);

    /** Deletes a held claim, if it is still this one, so a later delivery can try again. */
    void release(ClaimResult.Acquired claim);
}
