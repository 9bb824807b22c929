package dev.eksaccessupdater.testing;

import dev.eksaccessupdater.dedup.AppliedRecord;
import dev.eksaccessupdater.dedup.ClaimResult;
import dev.eksaccessupdater.dedup.ClaimStatus;
import dev.eksaccessupdater.dedup.Claims;
import dev.eksaccessupdater.dedup.DynamoDbEntryLeases;
import dev.eksaccessupdater.dedup.EntryLeases;
import dev.eksaccessupdater.dedup.GrantRecord;
import dev.eksaccessupdater.dedup.Lease;
import dev.eksaccessupdater.failure.RetryableException;
import dev.eksaccessupdater.time.CallBudget;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The state table in memory, claims and entry leases with the conditions of docs/contract.md section 4 (the one
 * fake of both ports, shared by every test that needs one), a call log, and switches for failures.
 */
public final class InMemoryStateTable implements Claims, EntryLeases {

    private static final Duration CALL = Duration.ofSeconds(5);

    /** A claim item; {@code owner} is {@code null} when yielded, {@code record} when not yet applied. */
    public record ClaimItem(ClaimStatus status, String owner, String requestHash, long inProgressUntil,
                            AppliedRecord record) {
    }

    /** A lease item; {@code owner} is {@code null} when released. */
    public record LeaseItem(String owner, long inProgressUntil, Map<String, GrantRecord> grants) {
    }

    private final Map<String, ClaimItem> claims = new LinkedHashMap<>();
    private final Map<String, LeaseItem> leases = new LinkedHashMap<>();
    private final List<String> calls = new ArrayList<>();
    public volatile boolean failClaims;
    public volatile boolean failRecords;
    public volatile boolean failCompletes;
    public volatile boolean failReleases;
    public volatile boolean failLeases;
    private int leaseReleaseFailures;

    @Override
    public synchronized ClaimResult claim(String token, String requestHash, String owner, CallBudget budget) {
        call("claim " + token, budget, failClaims);
        long now = budget.clock().millis();
        ClaimItem existing = claims.get(token);
        if (existing == null || existing.status() == ClaimStatus.IN_PROGRESS && existing.inProgressUntil() < now) {
            claims.put(token, new ClaimItem(ClaimStatus.IN_PROGRESS, owner, requestHash,
                    budget.deadline().toEpochMilli(), null));
            return new ClaimResult.Held(token, requestHash, owner, budget.deadline(), null);
        }
        if (owner.equals(existing.owner()) && existing.status() == ClaimStatus.IN_PROGRESS) {
            return new ClaimResult.Held(token, existing.requestHash(), owner,
                    Instant.ofEpochMilli(existing.inProgressUntil()), null);
        }
        return switch (existing.status()) {
            case COMPLETED -> new ClaimResult.Completed(existing.requestHash());
            case APPLIED -> existing.inProgressUntil() < now
                    ? new ClaimResult.AppliedLapsed(token, existing.requestHash())
                    : new ClaimResult.HeldElsewhere(token, existing.requestHash(), existing.status(),
                            Instant.ofEpochMilli(existing.inProgressUntil()));
            case IN_PROGRESS -> new ClaimResult.HeldElsewhere(token, existing.requestHash(), existing.status(),
                    Instant.ofEpochMilli(existing.inProgressUntil()));
        };
    }

    @Override
    public synchronized ClaimResult.Held takeOver(ClaimResult.AppliedLapsed lapsed, String owner, CallBudget budget) {
        call("takeOver " + lapsed.token(), budget, failClaims);
        ClaimItem existing = claims.get(lapsed.token());
        if (existing == null || existing.status() != ClaimStatus.APPLIED
                || !existing.requestHash().equals(lapsed.requestHash())
                || existing.inProgressUntil() >= budget.clock().millis() && !owner.equals(existing.owner())) {
            throw new RetryableException("the APPLIED claim was taken over by another attempt first");
        }
        claims.put(lapsed.token(), new ClaimItem(ClaimStatus.APPLIED, owner, existing.requestHash(),
                budget.deadline().toEpochMilli(), existing.record()));
        return new ClaimResult.Held(lapsed.token(), lapsed.requestHash(), owner, budget.deadline(), existing.record());
    }

    @Override
    public synchronized ClaimResult.Held record(ClaimResult.Held claim, AppliedRecord record, CallBudget budget) {
        ClaimItem existing = owned("record", claim, budget, failRecords);
        claims.put(claim.token(), new ClaimItem(ClaimStatus.APPLIED, claim.owner(), existing.requestHash(),
                existing.inProgressUntil(), record));
        return new ClaimResult.Held(claim.token(), claim.requestHash(), claim.owner(), claim.inProgressUntil(), record);
    }

    @Override
    public synchronized void complete(ClaimResult.Held claim, CallBudget budget) {
        ClaimItem existing = owned("complete", claim, budget, failCompletes);
        claims.put(claim.token(), new ClaimItem(ClaimStatus.COMPLETED, claim.owner(), existing.requestHash(),
                existing.inProgressUntil(), null));
    }

    @Override
    public synchronized void yield(ClaimResult.Held claim, CallBudget budget) {
        ClaimItem existing = owned("yield", claim, budget, failReleases);
        if (existing.status() != ClaimStatus.APPLIED) {
            throw new RetryableException("only an APPLIED claim is yielded");
        }
        claims.put(claim.token(), new ClaimItem(ClaimStatus.APPLIED, null, existing.requestHash(), 0,
                existing.record()));
    }

    @Override
    public synchronized void release(ClaimResult.Held claim, CallBudget budget) {
        call("release " + claim.token(), budget, failReleases);
        ClaimItem existing = claims.get(claim.token());
        if (existing == null) {
            return;
        }
        if (!claim.owner().equals(existing.owner()) || existing.status() != ClaimStatus.IN_PROGRESS) {
            throw new RetryableException("the claim is no longer this attempt's");
        }
        claims.remove(claim.token());
    }

    private ClaimItem owned(String operation, ClaimResult.Held claim, CallBudget budget, boolean fail) {
        call(operation + " " + claim.token(), budget, fail);
        ClaimItem existing = claims.get(claim.token());
        if (existing == null || !claim.owner().equals(existing.owner())) {
            throw new RetryableException(operation + ": the claim is no longer this attempt's");
        }
        return existing;
    }

    @Override
    public synchronized Optional<Lease> acquire(String clusterName, String principalArn, String owner,
                                                CallBudget budget) {
        String key = DynamoDbEntryLeases.key(clusterName, principalArn);
        call("acquire " + principalArn, budget, failLeases);
        LeaseItem existing = leases.get(key);
        if (existing != null && existing.owner() != null && !existing.owner().equals(owner)
                && existing.inProgressUntil() >= budget.clock().millis()) {
            return Optional.empty();
        }
        Map<String, GrantRecord> grants = existing == null ? Map.of() : existing.grants();
        leases.put(key, new LeaseItem(owner, budget.deadline().toEpochMilli(), grants));
        return Optional.of(new Lease(key, owner, budget.deadline(), grants));
    }

    @Override
    public synchronized void release(Lease lease, Map<String, GrantRecord> grants, CallBudget budget) {
        boolean fail = failLeases || leaseReleaseFailures > 0;
        leaseReleaseFailures = Math.max(0, leaseReleaseFailures - 1);
        call("releaseLease " + lease.key(), budget, fail);
        LeaseItem existing = leases.get(lease.key());
        if (existing == null || !lease.owner().equals(existing.owner())) {
            throw new RetryableException("the lease is no longer this attempt's");
        }
        if (grants.isEmpty()) {
            leases.remove(lease.key());
        } else {
            leases.put(lease.key(), new LeaseItem(null, 0, Map.copyOf(grants)));
        }
    }

    private void call(String call, CallBudget budget, boolean fail) {
        budget.timeoutFor("DynamoDB " + call, CALL);
        calls.add(call);
        if (fail) {
            throw new RetryableException("DynamoDB " + call + ": injected failure");
        }
    }

    /** The next {@code count} lease releases fail; acquiring still works. */
    public synchronized void failLeaseReleases(int count) {
        leaseReleaseFailures = count;
    }

    public synchronized void putCompleted(String token, String requestHash) {
        claims.put(token, new ClaimItem(ClaimStatus.COMPLETED, "someone", requestHash, 0, null));
    }

    public synchronized void putInProgress(String token, String requestHash, Instant until) {
        claims.put(token, new ClaimItem(ClaimStatus.IN_PROGRESS, "someone", requestHash, until.toEpochMilli(), null));
    }

    public synchronized void putApplied(String token, String requestHash, Instant until, AppliedRecord record) {
        claims.put(token, new ClaimItem(ClaimStatus.APPLIED, "someone", requestHash, until.toEpochMilli(), record));
    }

    /** Another attempt holds the entry's lease until {@code until}. */
    public synchronized void holdLease(String clusterName, String principalArn, Instant until) {
        leases.put(DynamoDbEntryLeases.key(clusterName, principalArn),
                new LeaseItem("someone", until.toEpochMilli(), Map.of()));
    }

    public synchronized ClaimItem item(String token) {
        return claims.get(token);
    }

    public synchronized Map<String, ClaimItem> items() {
        return Map.copyOf(claims);
    }

    public synchronized LeaseItem lease(String clusterName, String principalArn) {
        return leases.get(DynamoDbEntryLeases.key(clusterName, principalArn));
    }

    public synchronized Map<String, LeaseItem> leases() {
        return Map.copyOf(leases);
    }

    public synchronized List<String> calls() {
        return List.copyOf(calls);
    }

    /** The calls of one kind ("claim", "record", "acquire", ...), in order. */
    public synchronized List<String> calls(String kind) {
        return calls.stream().filter(call -> call.startsWith(kind + " ")).toList();
    }
}
