package dev.eksaccessupdater.dedup;

import java.time.Instant;

/** What a claim on a client request token found (SPEC section 4). */
public sealed interface ClaimResult {

    /** This invocation holds the token until {@code inProgressUntil}; complete or release it. */
    record Acquired(String token, String requestHash, Instant inProgressUntil) implements ClaimResult {
    }

    /** The token was applied already, with the request whose hash is given. */
    record Completed(String token, String requestHash, String accessEntryJson) implements ClaimResult {
    }

    /** Another invocation holds the token and its claim has not lapsed. */
    record InProgress(String token, Instant inProgressUntil) implements ClaimResult {
    }
}
