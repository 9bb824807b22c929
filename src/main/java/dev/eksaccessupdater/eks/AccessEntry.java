package dev.eksaccessupdater.eks;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/** An EKS access entry as the API returns it; any component may be {@code null} when EKS left it out. */
public record AccessEntry(String clusterName, String principalArn, List<String> kubernetesGroups,
                          String accessEntryArn, Instant createdAt, Instant modifiedAt,
                          Map<String, String> tags, String username, String type) {

    public static final String STANDARD = "STANDARD";

    public AccessEntry {
        kubernetesGroups = kubernetesGroups == null ? List.of() : List.copyOf(kubernetesGroups);
        tags = tags == null ? Map.of() : Map.copyOf(tags);
    }
}
