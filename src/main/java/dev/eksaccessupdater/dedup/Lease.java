package dev.eksaccessupdater.dedup;

import java.time.Instant;
import java.util.Map;

/**
 * An entry lease this attempt holds (docs/contract.md section 4.2), with the entry's time-bound grants as the
 * lease item held them when it was taken.
 *
 * @param grants group name to the request that last decided about it
 */
public record Lease(String key, String owner, Instant inProgressUntil, Map<String, GrantRecord> grants) {

    public Lease {
        grants = Map.copyOf(grants);
    }
}
