package dev.eksaccessupdater.grant;

import dev.eksaccessupdater.dedup.GrantRecord;
import dev.eksaccessupdater.digest.Sha256;
import dev.eksaccessupdater.eks.AccessEntry;
import dev.eksaccessupdater.events.AccessEvents;
import dev.eksaccessupdater.request.AccessChangeRequest;
import dev.eksaccessupdater.request.GroupChange;
import dev.eksaccessupdater.schedule.ExpirySchedule;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Time-bound grants (docs/contract.md section 8), without I/O: what one request does to an entry's grant records,
 * which groups an expiry removes, and the schedule that ends a grant. The latest request decides about a group;
 * when in doubt, access ends.
 */
public final class TimeBoundGrants {

    /** A schedule is never set to fire sooner than this, so that a late retry still leaves its grant an expiry. */
    static final Duration MIN_LEAD = Duration.ofSeconds(60);
    static final String SCHEDULE_PREFIX = "eau-";
    static final String EXPIRY_TOKEN_PREFIX = "exp-";

    private TimeBoundGrants() {
    }

    /**
     * What one request does, computed on the entry as read under its lease.
     *
     * @param groups the complete set of groups to send to EKS
     * @param records the grant records this request writes (group to record); empty when it decides about no
     *     recorded group and grants none
     * @param grantedGroups for a grant: the groups it covers (section 8), else empty
     * @param expiredGroups for an expiry: the listed groups it removes, else empty
     * @param schedule for a grant that covers a group: the schedule that ends it; else {@code null}
     */
    public record Plan(SortedSet<String> groups, Map<String, GrantRecord> records, SortedSet<String> grantedGroups,
                       SortedSet<String> expiredGroups, ExpirySchedule schedule) {

        public Plan {
            groups = new TreeSet<>(groups);
            records = Map.copyOf(records);
            grantedGroups = new TreeSet<>(grantedGroups);
            expiredGroups = new TreeSet<>(expiredGroups);
        }
    }

    /**
     * @param grants the entry's records as its lease held them
     * @param sentAt when the request was sent: its records' {@code grantedAt}
     * @param messageGroupId the message's FIFO group id, or {@code null} on a standard queue
     * @param now when the plan is made: a schedule fires at least {@link #MIN_LEAD} after it
     */
    public static Plan plan(AccessChangeRequest request, AccessEntry current, Map<String, GrantRecord> grants,
                            Instant sentAt, String messageGroupId, Instant now) {
        SortedSet<String> held = new TreeSet<>(current.kubernetesGroups());
        GroupChange change = request.isExpiry() ? expiring(request, grants) : request.groupChange();
        SortedSet<String> groups = change.applyTo(held);
        long grantedAt = sentAt.toEpochMilli();
        Map<String, GrantRecord> records = new TreeMap<>();
        for (String decided : decidedAbout(change, held, groups)) {
            if (grants.containsKey(decided)) {
                records.put(decided, new GrantRecord(request.clientRequestToken(), null, grantedAt));
            }
        }
        SortedSet<String> covered = new TreeSet<>();
        ExpirySchedule schedule = null;
        if (request.isTimeBound()) {
            long until = request.expiryInstant().getEpochSecond();
            for (String added : ((GroupChange.Modify) request.groupChange()).add()) {
                // A group held without a record is a permanent membership: not this grant's to end.
                if (!held.contains(added) || grants.containsKey(added)) {
                    covered.add(added);
                    records.put(added, new GrantRecord(request.clientRequestToken(), until, grantedAt));
                }
            }
            if (!covered.isEmpty()) {
                schedule = schedule(request, covered, messageGroupId, now);
            }
        }
        SortedSet<String> expired = new TreeSet<>();
        if (request.isExpiry()) {
            expired.addAll(((GroupChange.Modify) change).remove());
            expired.retainAll(held);
        }
        return new Plan(groups, records, covered, expired, schedule);
    }

    /**
     * The records after {@code changes} were written over {@code grants}: a record is only replaced by one granted
     * at the same time or later, so a takeover writing an older grant's records leaves a newer decision alone.
     */
    public static Map<String, GrantRecord> merge(Map<String, GrantRecord> grants, Map<String, GrantRecord> changes) {
        Map<String, GrantRecord> merged = new TreeMap<>(grants);
        changes.forEach((group, change) -> merged.merge(group, change,
                (existing, candidate) -> candidate.grantedAt() >= existing.grantedAt() ? candidate : existing));
        return merged;
    }

    /**
     * The schedule of a grant, as section 8 names and times it; {@code now} decides only its expression, so an
     * attempt that creates it late gets the same name and input.
     */
    public static ExpirySchedule schedule(AccessChangeRequest grant, SortedSet<String> covered,
                                          String messageGroupId, Instant now) {
        String token = grant.clientRequestToken();
        String expiresAt = grant.expiresAt();
        return new ExpirySchedule(SCHEDULE_PREFIX + digest(token, expiresAt, 40),
                expression(grant.expiryInstant(), now), expiryMessage(grant, covered), messageGroupId);
    }

    /** The same schedule, to be created at {@code now}: only its expression may differ. */
    public static ExpirySchedule retimed(ExpirySchedule schedule, Instant expiresAt, Instant now) {
        return new ExpirySchedule(schedule.name(), expression(expiresAt, now), schedule.input(),
                schedule.messageGroupId());
    }

    /** {@code at(expiresAt without the Z)}, or {@link #MIN_LEAD} from now when that is sooner. */
    static String expression(Instant expiresAt, Instant now) {
        Instant earliest = now.plus(MIN_LEAD).truncatedTo(ChronoUnit.SECONDS).plusSeconds(1);
        Instant at = expiresAt.isBefore(now.plus(MIN_LEAD)) ? earliest : expiresAt;
        String text = at.toString();
        return "at(" + text.substring(0, text.length() - 1) + ")";
    }

    /** The request the schedule sends back through the queue; always the same text for the same grant. */
    static String expiryMessage(AccessChangeRequest grant, SortedSet<String> covered) {
        Map<String, Object> message = new LinkedHashMap<>();
        message.put("clusterName", grant.clusterName());
        message.put("principalArn", grant.principalArn());
        message.put("removeKubernetesGroups", List.copyOf(covered));
        message.put("clientRequestToken", EXPIRY_TOKEN_PREFIX
                + digest(grant.clientRequestToken(), grant.expiresAt(), 60));
        message.put("expiryOf", grant.clientRequestToken());
        message.put("metadata", new TreeMap<>(grant.metadata()));
        return AccessEvents.toJson(message);
    }

    /** An expiry removes a listed group when the grant still decides about it, or when no record says otherwise. */
    private static GroupChange expiring(AccessChangeRequest expiry, Map<String, GrantRecord> grants) {
        SortedSet<String> removable = new TreeSet<>();
        for (String group : ((GroupChange.Modify) expiry.groupChange()).remove()) {
            GrantRecord record = grants.get(group);
            if (record == null || record.token().equals(expiry.expiryOf())) {
                removable.add(group);
            }
        }
        return new GroupChange.Modify(new TreeSet<>(), removable);
    }

    /** The groups a change adds or removes; a full set acts as the adds and removes it amounts to. */
    private static SortedSet<String> decidedAbout(GroupChange change, SortedSet<String> held,
                                                  SortedSet<String> result) {
        SortedSet<String> decided = new TreeSet<>();
        if (change instanceof GroupChange.Modify modify) {
            decided.addAll(modify.add());
            decided.addAll(modify.remove());
        } else if (change instanceof GroupChange.Replace) {
            for (String group : held) {
                if (!result.contains(group)) {
                    decided.add(group);
                }
            }
            for (String group : result) {
                if (!held.contains(group)) {
                    decided.add(group);
                }
            }
        }
        return decided;
    }

    private static String digest(String token, String expiresAt, int hexCharacters) {
        Objects.requireNonNull(expiresAt, "expiresAt");
        return Sha256.hex(token + "\n" + expiresAt).substring(0, hexCharacters);
    }
}
