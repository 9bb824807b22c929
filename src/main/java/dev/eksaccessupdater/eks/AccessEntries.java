package dev.eksaccessupdater.eks;

import dev.eksaccessupdater.time.CallBudget;

/**
 * The port to EKS access entries. Implementations throw {@link dev.eksaccessupdater.failure.RejectionException}
 * with {@code NOT_FOUND}, {@code INVALID_PARAMETER} or {@code INVALID_REQUEST} for the permanent errors of
 * docs/contract.md section 3, and {@link dev.eksaccessupdater.failure.RetryableException} for everything else.
 */
public interface AccessEntries {

    AccessEntry describe(String clusterName, String principalArn, CallBudget budget);

    /**
     * A refusal EKS gave before changing anything is a {@code RejectionException} or a plain
     * {@code RetryableException}; a failure after which the entry may have changed all the same is a
     * {@code RetryableException} whose {@code outcomeUnknown()} is true.
     */
    AccessEntry update(AccessEntryUpdate update, CallBudget budget);
}
