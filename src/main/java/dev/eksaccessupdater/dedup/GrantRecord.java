package dev.eksaccessupdater.dedup;

import java.util.Objects;

/**
 * The request that last decided about one group of an access entry (docs/contract.md section 8).
 *
 * @param until epoch seconds when a time-bound grant ends, or {@code null} for a request that decided for good
 * @param grantedAt epoch milliseconds when the deciding request was sent (its SQS {@code SentTimestamp}): a record
 *     is only replaced by a request granted at the same time or later
 */
public record GrantRecord(String token, Long until, long grantedAt) {

    public GrantRecord {
        Objects.requireNonNull(token, "token");
    }
}
