package dev.eksaccessupdater.policy;

import dev.eksaccessupdater.failure.ReasonCode;
import dev.eksaccessupdater.failure.RejectionException;
import dev.eksaccessupdater.request.AccessChangeRequest;
import dev.eksaccessupdater.request.GroupChange;
import dev.eksaccessupdater.request.PrincipalArn;
import dev.eksaccessupdater.request.Untrusted;
import java.util.List;
import java.util.Set;

/**
 * The operator's limits on what approval systems may change (docs/contract.md section 6), checked before any claim or AWS
 * call. A denial is {@code POLICY_DENIED}.
 *
 * @param allowedClusterNames cluster names this function may change; empty together with {@code anyCluster}
 * @param allowedGroupPatterns groups that may be set or added; {@code null} allows any group
 * @param protectedPrincipals principals never to change
 */
public record AccessPolicy(boolean anyCluster, Set<String> allowedClusterNames, List<GroupPattern> allowedGroupPatterns,
                           Set<PrincipalArn> protectedPrincipals) {

    public AccessPolicy {
        allowedClusterNames = Set.copyOf(allowedClusterNames);
        allowedGroupPatterns = allowedGroupPatterns == null ? null : List.copyOf(allowedGroupPatterns);
        protectedPrincipals = Set.copyOf(protectedPrincipals);
    }

    /** @throws RejectionException with {@code POLICY_DENIED}, naming the rule */
    public void check(AccessChangeRequest request) {
        if (!anyCluster && !allowedClusterNames.contains(request.clusterName())) {
            throw denied("cluster " + request.clusterName() + " is not in ALLOWED_CLUSTER_NAMES");
        }
        PrincipalArn principal = PrincipalArn.parse(request.principalArn());
        if (principal == null) {
            throw denied("principalArn is not an IAM user or role ARN");
        }
        if (protectedPrincipals.contains(principal)) {
            throw denied("principalArn is protected by PROTECTED_PRINCIPAL_ARNS");
        }
        if (allowedGroupPatterns != null) {
            for (String group : groupsGranted(request.groupChange())) {
                if (allowedGroupPatterns.stream().noneMatch(pattern -> pattern.matches(group))) {
                    // Validation lets format characters and line separators through: escaped, they forge no text.
                    throw denied("group " + Untrusted.escape(group, Untrusted.MAX_ECHOED_CHARACTERS)
                            + " matches no pattern of ALLOWED_KUBERNETES_GROUPS");
                }
            }
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
}
