package dev.eksaccessupdater.processing;

import dev.eksaccessupdater.dedup.ClaimResult;
import dev.eksaccessupdater.dedup.IdempotencyStore;
import dev.eksaccessupdater.failure.RetryableException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** An in-memory idempotency store with the conditional semantics of SPEC section 4, and switches for faults. */
final class FakeIdempotencyStore implements IdempotencyStore {

    record Item(String status, String requestHash, Instant inProgressUntil, String accessEntryJson) {
    }

    private final Map<String, Item> items = new ConcurrentHashMap<>();
    private final List<String> calls = new ArrayList<>();
    volatile boolean failClaims;
    volatile boolean failCompletes;
    volatile boolean failReleases;

    @Override
    public synchronized ClaimResult claim(String token, String requestHash, Instant now, Instant inProgressUntil) {
        calls.add("claim " + token);
        if (failClaims) {
            throw new RetryableException("DynamoDB PutItem throttled");
        }
        Item existing = items.get(token);
        if (existing == null || ("IN_PROGRESS".equals(existing.status()) && existing.inProgressUntil().isBefore(now))) {
            items.put(token, new Item("IN_PROGRESS", requestHash, inProgressUntil, null));
            return new ClaimResult.Acquired(token, requestHash, inProgressUntil);
        }
        if ("COMPLETED".equals(existing.status())) {
            return new ClaimResult.Completed(token, existing.requestHash(), existing.accessEntryJson());
        }
        return new ClaimResult.InProgress(token, existing.inProgressUntil());
    }

    @Override
    public synchronized boolean complete(ClaimResult.Acquired claim, String accessEntryJson, Instant now) {
        calls.add("complete " + claim.token());
        if (failCompletes) {
            throw new RetryableException("DynamoDB UpdateItem unavailable");
        }
        if (!holds(claim)) {
            return false;
        }
        items.put(claim.token(), new Item("COMPLETED", claim.requestHash(), null, accessEntryJson));
        return true;
    }

    @Override
    public synchronized void release(ClaimResult.Acquired claim) {
        calls.add("release " + claim.token());
        if (failReleases) {
            throw new RetryableException("DynamoDB DeleteItem unavailable");
        }
        if (holds(claim)) {
            items.remove(claim.token());
        }
    }

    private boolean holds(ClaimResult.Acquired claim) {
        Item item = items.get(claim.token());
        return item != null && "IN_PROGRESS".equals(item.status())
                && item.inProgressUntil().equals(claim.inProgressUntil());
    }

    synchronized void putCompleted(String token, String requestHash) {
        items.put(token, new Item("COMPLETED", requestHash, null, "{}"));
    }

    synchronized void putInProgress(String token, String requestHash, Instant until) {
        items.put(token, new Item("IN_PROGRESS", requestHash, until, null));
    }

    Item item(String token) {
        return items.get(token);
    }

    Map<String, Item> items() {
        return Map.copyOf(items);
    }

    synchronized List<String> calls() {
        return List.copyOf(calls);
    }
}
