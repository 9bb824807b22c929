package dev.eksaccessupdater.grant;

import static org.assertj.core.api.Assertions.assertThat;

import dev.eksaccessupdater.dedup.GrantRecord;
import dev.eksaccessupdater.eks.AccessEntry;
import dev.eksaccessupdater.request.AccessChangeRequest;
import dev.eksaccessupdater.request.GroupChange;
import dev.eksaccessupdater.schedule.ExpirySchedule;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class TimeBoundGrantsTest {

    private static final String CLUSTER = "demo";
    private static final String ROLE = "arn:aws:iam::111122223333:role/oncall";
    private static final Instant SENT = Instant.parse("2026-12-04T09:00:00.250Z");
    private static final Instant NOW = Instant.parse("2026-12-04T09:00:01Z");
    private static final String EXPIRES_AT = "2026-12-04T17:00:00Z";
    private static final long UNTIL = Instant.parse(EXPIRES_AT).getEpochSecond();

    @Test
    void plan_whenAGrantAddsGroupsTheEntryLacks_coversThemRecordsThemAndSchedulesTheirExpiry() {
        TimeBoundGrants.Plan plan = TimeBoundGrants.plan(grant("g-1", Set.of("oncall", "viewers")),
                entry("viewers"), Map.of(), SENT, null, NOW);

        assertThat(plan.groups()).containsExactly("oncall", "viewers");
        assertThat(plan.grantedGroups()).containsExactly("oncall");
        assertThat(plan.records()).isEqualTo(Map.of("oncall", new GrantRecord("g-1", UNTIL, SENT.toEpochMilli())));
        assertThat(plan.schedule()).isEqualTo(new ExpirySchedule("eau-" + sha256Hex("g-1\n" + EXPIRES_AT).substring(0, 40),
                "at(2026-12-04T17:00:00)",
                "{\"clusterName\":\"demo\",\"principalArn\":\"" + ROLE + "\",\"removeKubernetesGroups\":[\"oncall\"],"
                        + "\"clientRequestToken\":\"exp-" + sha256Hex("g-1\n" + EXPIRES_AT).substring(0, 60) + "\","
                        + "\"expiryOf\":\"g-1\",\"metadata\":{\"ticket\":\"T-1\"}}",
                null));
        assertThat(plan.expiredGroups()).isEmpty();
    }

    @Test
    void plan_whenEveryAddedGroupIsAPermanentMembership_coversNothingAndSchedulesNothing() {
        TimeBoundGrants.Plan plan = TimeBoundGrants.plan(grant("g-1", Set.of("viewers")), entry("viewers"), Map.of(),
                SENT, null, NOW);

        assertThat(plan.grantedGroups()).isEmpty();
        assertThat(plan.records()).isEmpty();
        assertThat(plan.schedule()).isNull();
        assertThat(plan.groups()).containsExactly("viewers");
    }

    @Test
    void plan_whenAGroupIsHeldUnderAnEarlierGrant_coversItAgainWithTheLaterExpiry() {
        Map<String, GrantRecord> grants = Map.of("oncall", new GrantRecord("g-0", UNTIL - 3600, 1));

        TimeBoundGrants.Plan plan = TimeBoundGrants.plan(grant("g-1", Set.of("oncall")), entry("oncall"), grants,
                SENT, null, NOW);

        assertThat(plan.grantedGroups()).containsExactly("oncall");
        assertThat(plan.records()).containsEntry("oncall", new GrantRecord("g-1", UNTIL, SENT.toEpochMilli()));
    }

    @Test
    void plan_whenAPermanentRequestAddsOrRemovesARecordedGroup_replacesTheRecordWithoutUntil() {
        Map<String, GrantRecord> grants = Map.of(
                "oncall", new GrantRecord("g-0", UNTIL, 1),
                "breakglass", new GrantRecord("g-0", UNTIL, 1));
        AccessChangeRequest request = modify("p-1", Set.of("oncall"), Set.of("breakglass"));

        TimeBoundGrants.Plan plan = TimeBoundGrants.plan(request, entry("oncall", "breakglass"), grants, SENT, null,
                NOW);

        assertThat(plan.records()).isEqualTo(Map.of(
                "oncall", new GrantRecord("p-1", null, SENT.toEpochMilli()),
                "breakglass", new GrantRecord("p-1", null, SENT.toEpochMilli())));
        assertThat(plan.schedule()).isNull();
        assertThat(plan.groups()).containsExactly("oncall");
    }

    @Test
    void plan_whenAFullSetDropsOrKeepsRecordedGroups_decidesOnlyAboutTheOnesItChanges() {
        Map<String, GrantRecord> grants = Map.of(
                "oncall", new GrantRecord("g-0", UNTIL, 1),
                "breakglass", new GrantRecord("g-0", UNTIL, 1));
        AccessChangeRequest request = new AccessChangeRequest(CLUSTER, ROLE,
                new GroupChange.Replace(new TreeSet<>(Set.of("oncall", "viewers"))), null, "r-1", Map.of());

        TimeBoundGrants.Plan plan = TimeBoundGrants.plan(request, entry("oncall", "breakglass"), grants, SENT, null,
                NOW);

        assertThat(plan.records()).isEqualTo(Map.of("breakglass", new GrantRecord("r-1", null, SENT.toEpochMilli())));
    }

    @Test
    void plan_whenAnExpiryRuns_removesItsGroupsAndUnrecordedOnesButKeepsGroupsALaterRequestDecided() {
        Map<String, GrantRecord> grants = Map.of(
                "oncall", new GrantRecord("g-1", UNTIL, 1),
                "breakglass", new GrantRecord("p-2", null, 2));
        AccessChangeRequest expiry = expiry("exp-1", "g-1", Set.of("oncall", "breakglass", "lost-record", "gone"));

        TimeBoundGrants.Plan plan = TimeBoundGrants.plan(expiry,
                entry("oncall", "breakglass", "lost-record", "viewers"), grants, SENT, null, NOW);

        assertThat(plan.groups()).containsExactly("breakglass", "viewers");
        assertThat(plan.expiredGroups()).containsExactly("lost-record", "oncall");
        assertThat(plan.records()).isEqualTo(Map.of("oncall", new GrantRecord("exp-1", null, SENT.toEpochMilli())));
        assertThat(plan.grantedGroups()).isEmpty();
        assertThat(plan.schedule()).isNull();
    }

    @Test
    void plan_onAFifoQueue_schedulesTheExpiryInTheOriginalMessageGroup() {
        TimeBoundGrants.Plan plan = TimeBoundGrants.plan(grant("g-1", Set.of("oncall")), entry(), Map.of(), SENT,
                "entry-demo-oncall", NOW);

        assertThat(plan.schedule().messageGroupId()).isEqualTo("entry-demo-oncall");
    }

    @Test
    void expression_whenExpiresAtIsAtLeastAMinuteAhead_isItsInstantInUtcWithoutTheZone() {
        assertThat(TimeBoundGrants.expression(Instant.parse(EXPIRES_AT), Instant.parse("2026-12-04T16:59:00Z")))
                .isEqualTo("at(2026-12-04T17:00:00)");
    }

    @Test
    void expression_whenExpiresAtIsLessThanAMinuteAhead_firesAMinuteFromNowInstead() {
        assertThat(TimeBoundGrants.expression(Instant.parse(EXPIRES_AT), Instant.parse("2026-12-04T16:59:30.400Z")))
                .isEqualTo("at(2026-12-04T17:00:31)");
        assertThat(TimeBoundGrants.expression(Instant.parse(EXPIRES_AT), Instant.parse("2026-12-05T00:00:00Z")))
                .isEqualTo("at(2026-12-05T00:01:01)");
    }

    @Test
    void retimed_whenCreatedLate_keepsNameInputAndGroupAndMovesOnlyTheExpression() {
        ExpirySchedule first = TimeBoundGrants.plan(grant("g-1", Set.of("oncall")), entry(), Map.of(), SENT, "g",
                NOW).schedule();

        ExpirySchedule late = TimeBoundGrants.retimed(first, Instant.parse(EXPIRES_AT),
                Instant.parse("2026-12-04T18:00:00Z"));

        assertThat(late).isEqualTo(new ExpirySchedule(first.name(), "at(2026-12-04T18:01:01)", first.input(), "g"));
    }

    @Test
    void merge_whenAnOlderGrantIsWrittenAfterANewerDecision_keepsTheNewerRecord() {
        Map<String, GrantRecord> grants = Map.of(
                "oncall", new GrantRecord("newer", null, 2_000),
                "viewers", new GrantRecord("old", 10L, 1_000));
        Map<String, GrantRecord> changes = Map.of(
                "oncall", new GrantRecord("older", 20L, 1_500),
                "viewers", new GrantRecord("same-time", 30L, 1_000),
                "team-a", new GrantRecord("older", 20L, 1_500));

        assertThat(TimeBoundGrants.merge(grants, changes)).isEqualTo(Map.of(
                "oncall", new GrantRecord("newer", null, 2_000),
                "viewers", new GrantRecord("same-time", 30L, 1_000),
                "team-a", new GrantRecord("older", 20L, 1_500)));
    }

    private static AccessChangeRequest grant(String token, Set<String> add) {
        return new AccessChangeRequest(CLUSTER, ROLE, new GroupChange.Modify(new TreeSet<>(add), new TreeSet<>()),
                null, token, Map.of("ticket", "T-1"), EXPIRES_AT, null);
    }

    private static AccessChangeRequest modify(String token, Set<String> add, Set<String> remove) {
        return new AccessChangeRequest(CLUSTER, ROLE, new GroupChange.Modify(new TreeSet<>(add), new TreeSet<>(remove)),
                null, token, Map.of());
    }

    private static AccessChangeRequest expiry(String token, String expiryOf, Set<String> remove) {
        return new AccessChangeRequest(CLUSTER, ROLE, new GroupChange.Modify(new TreeSet<>(), new TreeSet<>(remove)),
                null, token, Map.of(), null, expiryOf);
    }

    private static AccessEntry entry(String... groups) {
        return new AccessEntry(CLUSTER, ROLE, List.of(groups), null, null, null, Map.of(), "oncall:{{SessionName}}",
                AccessEntry.STANDARD);
    }

    private static String sha256Hex(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }
}
