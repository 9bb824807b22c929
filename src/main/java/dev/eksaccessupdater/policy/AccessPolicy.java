package dev.eksaccessupdater.policy;

import dev.eksaccessupdater.failure.ReasonCode;
import dev.eksaccessupdater.failure.RejectionException;
import dev.eksaccessupdater.request.AccessChangeRequest;
import dev.eksaccessupdater.request.GroupChange;
import dev.eksaccessupdater.request.PrincipalArn;
import dev.eksaccessupdater.request.Untrusted;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The operator's limits on what approval systems may change (docs/contract.md sections 6 and 8), checked before
 * any claim or AWS call. A denial is {@code POLICY_DENIED}; an {@code expiresAt} outside its window, or sent while
 * time-bound grants are off, is {@code INVALID_MESSAGE}.
 *
 * @param allowedClusters the clusters this function may change
 * @param grantableGroups the groups that may be set or added
 * @param protectedPrincipals principals never to change
 * @param timeBoundGroups groups that may only be added for a while ({@code TIME_BOUND_GROUPS}); empty for none
 * @param maxGrant the latest {@code expiresAt}, after the message was sent; empty when time-bound grants are off
 *     ({@code SCHEDULE_GROUP_NAME} unset)
 */
public record AccessPolicy(ClusterScope allowedClusters, List<GroupPattern> grantableGroups,
                           Set<PrincipalArn> protectedPrincipals, List<GroupPattern> timeBoundGroups,
                           Optional<Duration> maxGrant) {

    /** The earliest {@code expiresAt}: a grant shorter than this is a mistake, not a shift (section 8). */
    public static final Duration MIN_GRANT = Duration.ofSeconds(300);

    /** Which clusters: every one ({@code ALLOWED_CLUSTER_NAMES=*}) or those named. */
    public sealed interface ClusterScope {

        boolean allows(String clusterName);

        record Any() implements ClusterScope {
            @Override
            public boolean allows(String clusterName) {
                return true;
            }
        }

        record Named(Set<String> names) implements ClusterScope {
            public Named {
                names = Set.copyOf(names);
            }

            @Override
            public boolean allows(String clusterName) {
                return names.contains(clusterName);
            }
        }
    }

    public AccessPolicy {
        Objects.requireNonNull(allowedClusters, "allowedClusters");
        grantableGroups = List.copyOf(grantableGroups);
        protectedPrincipals = Set.copyOf(protectedPrincipals);
        timeBoundGroups = List.copyOf(timeBoundGroups);
        Objects.requireNonNull(maxGrant, "maxGrant");
    }

    /** Any cluster and group except the protected principals; no time-bound groups, time-bound grants off. */
    public static AccessPolicy of(ClusterScope clusters, Set<PrincipalArn> protectedPrincipals) {
        return new AccessPolicy(clusters, List.of(GroupPattern.ANY), protectedPrincipals, List.of(), Optional.empty());
    }

    /**
     * @param sentAt when the message was sent (SQS {@code SentTimestamp}), from which {@code expiresAt} is counted
     * @throws RejectionException naming the rule
     */
    public void check(AccessChangeRequest request, Instant sentAt) {
        if (request.isTimeBound()) {
            checkExpiry(request.expiryInstant(), sentAt);
        }
        if (!allowedClusters.allows(request.clusterName())) {
            throw denied("cluster " + request.clusterName() + " is not in ALLOWED_CLUSTER_NAMES");
        }
        PrincipalArn principal = PrincipalArn.parse(request.principalArn());
        if (principal == null) {
            throw denied("principalArn is not an IAM user or role ARN");
        }
        if (protectedPrincipals.contains(principal)) {
            throw denied("principalArn is protected by PROTECTED_PRINCIPAL_ARNS");
        }
        for (String group : groupsGranted(request.groupChange())) {
            if (grantableGroups.stream().noneMatch(pattern -> pattern.matches(group))) {
                // Validation lets format characters and line separators through: escaped, they forge no text.
                throw denied("group " + Untrusted.escape(group, Untrusted.MAX_ECHOED_CHARACTERS)
                        + " matches no pattern of ALLOWED_KUBERNETES_GROUPS");
            }
            if (!request.isTimeBound() && timeBoundGroups.stream().anyMatch(pattern -> pattern.matches(group))) {
                throw denied("group " + Untrusted.escape(group, Untrusted.MAX_ECHOED_CHARACTERS)
                        + " matches TIME_BOUND_GROUPS: it may only be added with addKubernetesGroups and expiresAt");
            }
        }
    }

    /** At least {@link #MIN_GRANT} and at most {@link #maxGrant} after the message was sent (section 8). */
    private void checkExpiry(Instant expiresAt, Instant sentAt) {
        if (maxGrant.isEmpty()) {
            throw invalid("time-bound grants are not enabled");
        }
        if (expiresAt.isBefore(sentAt.plus(MIN_GRANT))) {
            throw invalid("expiresAt must be at least " + MIN_GRANT.toSeconds() + " s after the message was sent ("
                    + sentAt + ")");
        }
        if (expiresAt.isAfter(sentAt.plus(maxGrant.get()))) {
            throw invalid("expiresAt must be at most MAX_GRANT_SECONDS (" + maxGrant.get().toSeconds()
                    + " s) after the message was sent (" + sentAt + ")");
        }
    }

    /** Removing a group is always allowed; setting or adding one is checked. */
    private static Set<String> groupsGranted(GroupChange change) {
        if (change instanceof GroupChange.Replace replace) {
            return replace.groups();
        }
        if (change instanceof GroupChange.Modify modify) {
            return modify.add();
        }
        return Set.of();
    }

    private static RejectionException denied(String rule) {
        return new RejectionException(ReasonCode.POLICY_DENIED, rule);
    }

    private static RejectionException invalid(String rule) {
        return new RejectionException(ReasonCode.INVALID_MESSAGE, rule);
    }
}
