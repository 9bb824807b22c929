package dev.eksaccessupdater.reliability;

import dev.eksaccessupdater.dedup.ClaimStatus;
import dev.eksaccessupdater.eks.AccessEntryUpdate;
import dev.eksaccessupdater.eks.EksClientToken;
import dev.eksaccessupdater.testing.InMemoryStateTable;
import java.util.Map;

/**
 * Invariants 2 and 3, checked against the in-memory state table at the moment an EKS call is made: no call to EKS
 * without a live {@code IN_PROGRESS} claim and a live lease of the entry held by the same owner (for an update, the
 * claim whose token and hash derive the EKS token sent with the groups and username sent); and no update for a
 * request whose claim is already {@code APPLIED} or {@code COMPLETED} (a change EKS accepted is never recomputed).
 */
final class StateChecks {

    /** What an EKS call met: a missing claim or lease ({@code violation}), or a recorded change recomputed. */
    record Verdict(String violation, String recomputation) {

        static final Verdict FINE = new Verdict(null, null);
    }

    private StateChecks() {
    }

    /** A DescribeAccessEntry of the entry: a live lease, and a live claim of the lease's owner. */
    static Verdict describe(InMemoryStateTable table, long nowMillis, String cluster, String principal) {
        InMemoryStateTable.LeaseItem lease = table.lease(cluster, principal);
        if (lease == null || lease.owner() == null || lease.inProgressUntil() <= nowMillis) {
            return new Verdict("DescribeAccessEntry " + principal + " without a live lease of the entry", null);
        }
        boolean claimed = table.items().values().stream().anyMatch(item -> live(item, nowMillis)
                && lease.owner().equals(item.owner()));
        return claimed ? Verdict.FINE : new Verdict("DescribeAccessEntry " + principal
                + " without a live claim held by the lease's owner " + lease.owner(), null);
    }

    /** An UpdateAccessEntry: the live claim that derives its token, and that claim owner's live lease of the entry. */
    static Verdict update(InMemoryStateTable table, long nowMillis, String cluster, AccessEntryUpdate update) {
        Map<String, InMemoryStateTable.ClaimItem> items = table.items();
        String holder = null;
        for (Map.Entry<String, InMemoryStateTable.ClaimItem> item : items.entrySet()) {
            if (live(item.getValue(), nowMillis) && derives(item.getKey(), item.getValue(), update)) {
                holder = item.getValue().owner();
                break;
            }
        }
        if (holder == null) {
            for (Map.Entry<String, InMemoryStateTable.ClaimItem> item : items.entrySet()) {
                ClaimStatus status = item.getValue().status();
                if (status != ClaimStatus.IN_PROGRESS && derives(item.getKey(), item.getValue(), update)) {
                    return new Verdict(null, "UpdateAccessEntry for request " + item.getKey()
                            + " whose claim is already " + status + ": a change EKS accepted was recomputed");
                }
            }
            return new Verdict("UpdateAccessEntry " + update.principalArn() + " with EKS token "
                    + update.eksClientRequestToken() + " while no live IN_PROGRESS claim derives it", null);
        }
        InMemoryStateTable.LeaseItem lease = table.lease(cluster, update.principalArn());
        if (lease == null || !holder.equals(lease.owner()) || lease.inProgressUntil() <= nowMillis) {
            return new Verdict("UpdateAccessEntry " + update.principalArn() + " by claim owner " + holder
                    + " while the entry's lease is " + (lease == null ? "absent" : "held by " + lease.owner()
                            + " until " + lease.inProgressUntil()) + " (now " + nowMillis + ")", null);
        }
        return Verdict.FINE;
    }

    private static boolean live(InMemoryStateTable.ClaimItem item, long nowMillis) {
        return item.status() == ClaimStatus.IN_PROGRESS && item.owner() != null && item.inProgressUntil() > nowMillis;
    }

    private static boolean derives(String token, InMemoryStateTable.ClaimItem item, AccessEntryUpdate update) {
        return EksClientToken.derive(token, item.requestHash(), update.kubernetesGroups(), update.username())
                .equals(update.eksClientRequestToken());
    }
}
