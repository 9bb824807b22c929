package dev.eksaccessupdater.eks;

import java.util.List;
import java.util.Objects;

/**
 * One {@code UpdateAccessEntry} call. Always carries both groups and username, because the API resets
 * whatever a call leaves out (docs/contract.md section 2.2).
 *
 * @param eksClientRequestToken 33-126 characters, derived from the request so a retry sends the same one
 */
public record AccessEntryUpdate(String clusterName, String principalArn, List<String> kubernetesGroups,
                                String username, String eksClientRequestToken) {

    public AccessEntryUpdate {
        Objects.requireNonNull(clusterName, "clusterName");
        Objects.requireNonNull(principalArn, "principalArn");
        kubernetesGroups = List.copyOf(kubernetesGroups);
        Objects.requireNonNull(eksClientRequestToken, "eksClientRequestToken");
    }
}
