package dev.eksaccessupdater.dedup;

import dev.eksaccessupdater.time.CallBudget;
import java.util.Map;
import java.util.Optional;

/**
 * The port to the entry leases of the state table (docs/contract.md section 4.2): while an attempt holds an
 * entry's lease, no other attempt reads or writes that entry. Failures are
 * {@link dev.eksaccessupdater.failure.RetryableException}.
 */
public interface EntryLeases {

    /**
     * One conditional upsert: takes the lease for {@code owner} until the budget's deadline when it is free, lapsed
     * or already this owner's.
     *
     * @return empty when another attempt holds it
     */
    Optional<Lease> acquire(String clusterName, String principalArn, String owner, CallBudget budget);

    /** Gives the lease up, on condition that it is still this owner's, writing the entry's new {@code grants}. */
    void release(Lease lease, Map<String, GrantRecord> grants, CallBudget budget);
}
