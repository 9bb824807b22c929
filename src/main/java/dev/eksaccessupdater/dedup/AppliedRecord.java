package dev.eksaccessupdater.dedup;

import dev.eksaccessupdater.schedule.ExpirySchedule;
import java.util.Map;
import java.util.Objects;

/**
 * What the claim holds once EKS accepted its update (status {@code APPLIED}): enough to finish the request
 * without calling EKS again (docs/contract.md sections 4.1 and 8).
 *
 * @param accessEntryJson the entry EKS returned, as JSON
 * @param eventDetailJson the complete {@code Access Entry Updated} detail, published unchanged by whoever finishes
 * @param grantRecords the grant records the request writes on the entry's lease item; empty for none
 * @param expirySchedule the schedule that ends the request's grant; {@code null} when it grants nothing for a while
 */
public record AppliedRecord(String accessEntryJson, String eventDetailJson, Map<String, GrantRecord> grantRecords,
                            ExpirySchedule expirySchedule) {

    public AppliedRecord {
        Objects.requireNonNull(accessEntryJson, "accessEntryJson");
        Objects.requireNonNull(eventDetailJson, "eventDetailJson");
        grantRecords = Map.copyOf(grantRecords);
    }

    /** The record of a request that changes no grant record. */
    public AppliedRecord(String accessEntryJson, String eventDetailJson) {
        this(accessEntryJson, eventDetailJson, Map.of(), null);
    }

    /** Whether finishing the request must still write grant records, and so hold the entry's lease. */
    public boolean changesGrants() {
        return !grantRecords.isEmpty();
    }
}
