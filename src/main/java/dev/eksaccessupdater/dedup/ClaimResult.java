package dev.eksaccessupdater.dedup;

import java.time.Instant;

/** What an attempt to claim a client request token found (docs/contract.md section 4.1). */
public sealed interface ClaimResult {

    /** The hash of the request that holds or completed the token. */
    String requestHash();

    /**
     * This attempt holds the token until {@code inProgressUntil}: a new {@code IN_PROGRESS} claim, or an
     * {@code APPLIED} one it took over (then {@code recorded} is what the first attempt recorded, else {@code null}).
     */
    record Held(String token, String requestHash, String owner, Instant inProgressUntil, AppliedRecord recorded)
            implements ClaimResult {

        public boolean isTakeOver() {
            return recorded != null;
        }
    }

    /** The token was completed, by the request whose hash is given. */
    record Completed(String requestHash) implements ClaimResult {
    }

    /** Another attempt holds the token ({@code IN_PROGRESS} or {@code APPLIED}) and its claim has not lapsed. */
    record HeldElsewhere(String token, String requestHash, ClaimStatus status, Instant inProgressUntil)
            implements ClaimResult {
    }

    /** An {@code APPLIED} claim whose holder let it lapse: the same request may take it over. */
    record AppliedLapsed(String token, String requestHash) implements ClaimResult {
    }
}
