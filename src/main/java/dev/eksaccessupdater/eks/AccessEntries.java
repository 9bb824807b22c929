package dev.eksaccessupdater.eks;

/**
 * The port to EKS access entries. Implementations throw {@link dev.eksaccessupdater.failure.RejectionException}
 * with {@code NOT_FOUND}, {@code INVALID_PARAMETER} or {@code INVALID_REQUEST} for the permanent errors of
 * SPEC section 3, and {@link dev.eksaccessupdater.failure.RetryableException} for everything else.
 */
public interface AccessEntries {

    AccessEntry describe(String clusterName, String principalArn);

    AccessEntry update(AccessEntryUpdate update);
}
