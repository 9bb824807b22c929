package dev.eksaccessupdater.dedup;

/** The {@code status} of a claim in the state table (docs/contract.md section 4.1). */
public enum ClaimStatus {
    /** Held by the attempt named in {@code owner}; EKS may not have been called yet. */
    IN_PROGRESS,
    /** EKS accepted the update; the recorded event is not yet known to be published. */
    APPLIED,
    /** The event was published: later deliveries of the token are duplicates. */
    COMPLETED
}
