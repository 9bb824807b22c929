package dev.eksaccessupdater.testing;

import dev.eksaccessupdater.eks.AccessEntries;
import dev.eksaccessupdater.eks.AccessEntry;
import dev.eksaccessupdater.eks.AccessEntryUpdate;
import dev.eksaccessupdater.failure.AccessChangeException;
import dev.eksaccessupdater.failure.ReasonCode;
import dev.eksaccessupdater.failure.RejectionException;
import dev.eksaccessupdater.time.CallBudget;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/** In-memory access entries with replace semantics, a call log, injectable failures and a measured concurrency. */
public final class InMemoryAccessEntries implements AccessEntries {

    private final Map<String, AccessEntry> entries = new ConcurrentHashMap<>();
    private final List<String> calls = new ArrayList<>();
    private final List<AccessEntryUpdate> updates = new ArrayList<>();
    private final Map<String, AccessChangeException> failures = new ConcurrentHashMap<>();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger maxInFlight = new AtomicInteger();
    public volatile Duration latency = Duration.ZERO;

    public void put(String cluster, String principal, List<String> groups, String username, String type) {
        entries.put(key(cluster, principal), new AccessEntry(cluster, principal, groups,
                "arn:aws:eks:us-east-1:111122223333:access-entry/" + cluster + "/role/111122223333/x/1",
                Instant.parse("2026-01-01T00:00:00Z"), Instant.parse("2026-01-01T00:00:00Z"), Map.of(), username, type));
    }

    /** Every call for this principal fails with {@code failure} until cleared. */
    public void failFor(String principal, AccessChangeException failure) {
        failures.put(principal, failure);
    }

    public void clearFailures() {
        failures.clear();
    }

    @Override
    public AccessEntry describe(String clusterName, String principalArn, CallBudget budget) {
        budget.timeoutFor("EKS DescribeAccessEntry", Duration.ofSeconds(5));
        enter("describe " + principalArn, principalArn);
        try {
            AccessEntry entry = entries.get(key(clusterName, principalArn));
            if (entry == null) {
                throw new RejectionException(ReasonCode.NOT_FOUND, "no access entry");
            }
            return entry;
        } finally {
            inFlight.decrementAndGet();
        }
    }

    @Override
    public AccessEntry update(AccessEntryUpdate update, CallBudget budget) {
        budget.timeoutFor("EKS UpdateAccessEntry", Duration.ofSeconds(5));
        enter("update " + update.principalArn(), update.principalArn());
        try {
            synchronized (this) {
                updates.add(update);
            }
            AccessEntry current = entries.get(key(update.clusterName(), update.principalArn()));
            if (current == null) {
                throw new RejectionException(ReasonCode.NOT_FOUND, "no access entry");
            }
            AccessEntry updated = new AccessEntry(current.clusterName(), current.principalArn(),
                    update.kubernetesGroups(), current.accessEntryArn(), current.createdAt(),
                    Instant.parse("2026-02-01T00:00:00Z"), current.tags(), update.username(), current.type());
            entries.put(key(update.clusterName(), update.principalArn()), updated);
            return updated;
        } finally {
            inFlight.decrementAndGet();
        }
    }

    private void enter(String call, String principal) {
        synchronized (this) {
            calls.add(call);
        }
        maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
        AccessChangeException failure = failures.get(principal);
        if (failure != null) {
            inFlight.decrementAndGet();
            throw failure;
        }
        if (!latency.isZero()) {
            try {
                Thread.sleep(latency.toMillis());
            } catch (InterruptedException interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    public AccessEntry entry(String cluster, String principal) {
        return entries.get(key(cluster, principal));
    }

    public synchronized List<String> calls() {
        return List.copyOf(calls);
    }

    public synchronized List<AccessEntryUpdate> updates() {
        return List.copyOf(updates);
    }

    public int maxInFlight() {
        return maxInFlight.get();
    }

    private static String key(String cluster, String principal) {
        return cluster + " " + principal;
    }
}
