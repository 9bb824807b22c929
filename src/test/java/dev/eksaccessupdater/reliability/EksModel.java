package dev.eksaccessupdater.reliability;

import dev.eksaccessupdater.eks.AccessEntry;
import dev.eksaccessupdater.eks.AccessEntryUpdate;
import dev.eksaccessupdater.failure.ReasonCode;
import dev.eksaccessupdater.failure.RejectionException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * EKS access entries of one cluster as the stand-in models them: an update replaces groups and username; a client
 * request token replays its first answer (even when the entry changed since) and is refused with other parameters.
 * Every update sent and every change made is logged, in order. Thread-safe; no faults (the harnesses add those).
 */
final class EksModel {

    private final String cluster;
    private final Map<String, Harness.EntryState> entries = new LinkedHashMap<>();
    private final Map<String, AccessEntryUpdate> tokenUses = new HashMap<>();
    private final List<Harness.Change> changes = new ArrayList<>();
    private final List<Harness.Sent> sent = new ArrayList<>();

    EksModel(String cluster) {
        this.cluster = cluster;
    }

    synchronized void put(String principal, Set<String> groups, String username) {
        entries.put(principal, new Harness.EntryState(Set.copyOf(groups), username));
    }

    synchronized Harness.EntryState entry(String principal) {
        return entries.get(principal);
    }

    synchronized AccessEntry describe(String principal) {
        Harness.EntryState state = entries.get(principal);
        if (state == null) {
            throw new RejectionException(ReasonCode.NOT_FOUND, "EKS DescribeAccessEntry: no access entry");
        }
        return toEntry(principal, state);
    }

    /** Logs an update as sent, before anything decides whether it lands. */
    synchronized void noteSent(AccessEntryUpdate update) {
        sent.add(new Harness.Sent(update.principalArn(), update.eksClientRequestToken(),
                List.copyOf(update.kubernetesGroups()), update.username()));
    }

    /** True when EKS has seen this token succeed: it replays it, never refuses it. */
    synchronized boolean accepted(String eksToken) {
        return tokenUses.containsKey(eksToken);
    }

    synchronized AccessEntry update(AccessEntryUpdate update) {
        Harness.EntryState current = entries.get(update.principalArn());
        if (current == null) {
            throw new RejectionException(ReasonCode.NOT_FOUND, "EKS UpdateAccessEntry: no access entry");
        }
        AccessEntryUpdate first = tokenUses.get(update.eksClientRequestToken());
        if (first != null) {
            if (!sameParameters(first, update)) {
                throw new RejectionException(ReasonCode.INVALID_PARAMETER,
                        "EKS UpdateAccessEntry: client request token reused with different parameters");
            }
            // A replay answers what the first call did; the entry may have changed since.
            return toEntry(update.principalArn(),
                    new Harness.EntryState(Set.copyOf(first.kubernetesGroups()), first.username()));
        }
        tokenUses.put(update.eksClientRequestToken(), update);
        Harness.EntryState after = new Harness.EntryState(Set.copyOf(update.kubernetesGroups()), update.username());
        changes.add(new Harness.Change(update.principalArn(), update.eksClientRequestToken(), current.groups(),
                current.username(), after.groups(), after.username()));
        entries.put(update.principalArn(), after);
        return toEntry(update.principalArn(), after);
    }

    synchronized List<Harness.Change> changes() {
        return List.copyOf(changes);
    }

    synchronized List<Harness.Sent> sent() {
        return List.copyOf(sent);
    }

    private static boolean sameParameters(AccessEntryUpdate first, AccessEntryUpdate update) {
        return first.principalArn().equals(update.principalArn())
                && new TreeSet<>(first.kubernetesGroups()).equals(new TreeSet<>(update.kubernetesGroups()))
                && Objects.equals(first.username(), update.username());
    }

    private AccessEntry toEntry(String principal, Harness.EntryState state) {
        return new AccessEntry(cluster, principal, List.copyOf(new TreeSet<>(state.groups())),
                "arn:aws:eks:us-east-1:111122223333:access-entry/" + cluster + "/x",
                Instant.parse("2026-01-01T00:00:00Z"), Instant.parse("2026-01-01T00:00:00Z"), Map.of(),
                state.username(), "STANDARD");
    }
}
