package dev.eksaccessupdater.dedup;

import java.util.Objects;

/**
 * What the claim holds once EKS accepted its update (status {@code APPLIED}): enough to finish the request
 * without calling EKS again.
 *
 * @param accessEntryJson the entry EKS returned, as JSON
 * @param eventDetailJson the complete {@code Access Entry Updated} detail, published unchanged by whoever finishes
 */
public record AppliedRecord(String accessEntryJson, String eventDetailJson) {

    public AppliedRecord {
        Objects.requireNonNull(accessEntryJson, "accessEntryJson");
        Objects.requireNonNull(eventDetailJson, "eventDetailJson");
    }
}
