package dev.eksaccessupdater.processing;

import static dev.eksaccessupdater.processing.ProcessingFixture.CLUSTER;
import static dev.eksaccessupdater.processing.ProcessingFixture.DEVELOPERS;
import static dev.eksaccessupdater.processing.ProcessingFixture.NOW;
import static dev.eksaccessupdater.processing.ProcessingFixture.message;
import static org.assertj.core.api.Assertions.assertThat;

import dev.eksaccessupdater.dedup.ClaimStatus;
import dev.eksaccessupdater.dedup.GrantRecord;
import dev.eksaccessupdater.events.AccessEvent;
import dev.eksaccessupdater.policy.AccessPolicy;
import dev.eksaccessupdater.policy.GroupPattern;
import dev.eksaccessupdater.schedule.ExpirySchedule;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** docs/contract.md section 8 on the in-memory ports: what a grant and its expiry write, call and publish. */
class TimeBoundGrantProcessingTest {

    private static final String EXPIRES_AT = "2026-11-29T20:00:00Z";
    private static final AccessPolicy TIME_BOUND = new AccessPolicy(
            new AccessPolicy.ClusterScope.Named(Set.of(CLUSTER)), List.of(GroupPattern.ANY), Set.of(),
            List.of(GroupPattern.of("oncall-*")), Optional.of(Duration.ofDays(1)));

    private final ProcessingFixture fixture = new ProcessingFixture(4);
    private final MessageProcessor processor = fixture.messageProcessor(TIME_BOUND);

    @AfterEach
    void close() {
        fixture.close();
    }

    private Outcome process(QueueMessage message) {
        return processor.process(processor.parse(message), fixture.budget());
    }

    private static String grant(String token, String expiresAt, String... groups) {
        return "{\"clusterName\":\"demo\",\"principalArn\":\"" + DEVELOPERS + "\",\"addKubernetesGroups\":"
                + json(groups) + ",\"expiresAt\":\"" + expiresAt + "\",\"clientRequestToken\":\"" + token + "\"}";
    }

    private static String json(String... groups) {
        return Stream.of(groups).map(group -> "\"" + group + "\"").toList().toString().replace(", ", ",");
    }

    @Test
    void process_whenAGrantIsApplied_recordsItOnTheLeaseSchedulesItsExpiryAndSaysSoInTheEvent() {
        Outcome outcome = process(message("m1", grant("g-1", EXPIRES_AT, "oncall-payments")));

        assertThat(outcome).isInstanceOf(Outcome.Applied.class);
        assertThat(fixture.accessEntries.entry(CLUSTER, DEVELOPERS).kubernetesGroups())
                .containsExactly("oncall-payments", "viewers");
        assertThat(fixture.store.lease(CLUSTER, DEVELOPERS).grants()).isEqualTo(Map.of("oncall-payments",
                new GrantRecord("g-1", Instant.parse(EXPIRES_AT).getEpochSecond(), NOW.toEpochMilli())));
        assertThat(fixture.store.lease(CLUSTER, DEVELOPERS).owner()).isNull();
        ExpirySchedule schedule = fixture.schedules.schedules().get(0);
        assertThat(schedule.expression()).isEqualTo("at(2026-11-29T20:00:00)");
        assertThat(schedule.input()).contains("\"removeKubernetesGroups\":[\"oncall-payments\"]",
                "\"expiryOf\":\"g-1\"");
        AccessEvent event = fixture.events.events("Access Entry Updated").get(0);
        assertThat(event.detail()).containsEntry("expiresAt", EXPIRES_AT)
                .containsEntry("grantedGroups", List.of("oncall-payments"));
        assertThat(fixture.store.item("g-1").status()).isEqualTo(ClaimStatus.COMPLETED);
    }

    @Test
    void process_whenTheExpiryArrives_removesTheGrantedGroupAndPublishesWhatExpired() {
        process(message("m1", grant("g-1", EXPIRES_AT, "oncall-payments")));
        String expiry = fixture.schedules.schedules().get(0).input();

        Outcome outcome = process(QueueMessage.standard("m2", expiry, Instant.parse(EXPIRES_AT)));

        assertThat(outcome).isInstanceOf(Outcome.Applied.class);
        assertThat(fixture.accessEntries.entry(CLUSTER, DEVELOPERS).kubernetesGroups()).containsExactly("viewers");
        AccessEvent event = fixture.events.events("Access Entry Updated").get(1);
        assertThat(event.detail()).containsEntry("expiryOf", "g-1")
                .containsEntry("expiredGroups", List.of("oncall-payments"))
                .doesNotContainKey("expiresAt");
    }

    @Test
    void process_whenSchedulerIsDown_retriesAndTheNextDeliveryCreatesTheScheduleWithoutCallingEks() {
        fixture.schedules.failNext(1);
        QueueMessage message = message("m1", grant("g-1", EXPIRES_AT, "oncall-payments"));

        Outcome first = process(message);

        assertThat(first).isInstanceOf(Outcome.Retry.class);
        assertThat(fixture.schedules.schedules()).isEmpty();
        assertThat(fixture.store.item("g-1").status()).isEqualTo(ClaimStatus.APPLIED);
        assertThat(fixture.store.item("g-1").record().expirySchedule()).isNotNull();
        assertThat(fixture.events.events("Access Entry Updated")).isEmpty();

        Outcome second = process(message);

        assertThat(second).isInstanceOf(Outcome.Applied.class);
        assertThat(fixture.accessEntries.updates()).hasSize(1);
        assertThat(fixture.schedules.schedules()).hasSize(1);
        assertThat(fixture.events.events("Access Entry Updated")).hasSize(1);
        assertThat(fixture.store.item("g-1").status()).isEqualTo(ClaimStatus.COMPLETED);
    }

    @Test
    void process_whenTheGrantRecordsCannotBeWritten_doesNotCompleteAndATakeoverWritesThem() {
        QueueMessage message = message("m1", grant("g-1", EXPIRES_AT, "oncall-payments"));
        fixture.store.failLeaseReleases(1);

        Outcome first = process(message);

        assertThat(first).isInstanceOf(Outcome.Retry.class);
        assertThat(fixture.store.item("g-1").status()).isEqualTo(ClaimStatus.APPLIED);
        fixture.clock.advance(Duration.ofMinutes(2));

        Outcome second = process(message);

        assertThat(second).isInstanceOf(Outcome.Applied.class);
        assertThat(fixture.accessEntries.updates()).hasSize(1);
        assertThat(fixture.store.lease(CLUSTER, DEVELOPERS).grants()).containsOnlyKeys("oncall-payments");
    }

    static Stream<Arguments> badTimeBoundRequests() {
        String entry = "\"clusterName\":\"demo\",\"principalArn\":\"" + DEVELOPERS + "\",";
        return Stream.of(
                Arguments.of("expiresAt in the past", grant("b", "2026-11-29T11:00:00Z", "team-a"),
                        "INVALID_MESSAGE", "expiresAt must be at least 300 s after the message was sent"),
                Arguments.of("expiresAt too far out", grant("b", "2026-12-01T12:00:00Z", "team-a"),
                        "INVALID_MESSAGE", "expiresAt must be at most MAX_GRANT_SECONDS (86400 s)"),
                Arguments.of("expiresAt malformed", grant("b", "2026-11-29T20:00:00+00:00", "team-a"),
                        "INVALID_MESSAGE", "expiresAt must be a UTC instant written as YYYY-MM-DDTHH:MM:SSZ"),
                Arguments.of("expiresAt with kubernetesGroups",
                        "{" + entry + "\"kubernetesGroups\":[\"a\"],\"expiresAt\":\"" + EXPIRES_AT + "\"}",
                        "INVALID_MESSAGE", "expiresAt is only allowed with addKubernetesGroups"),
                Arguments.of("expiryOf with addKubernetesGroups",
                        "{" + entry + "\"addKubernetesGroups\":[\"a\"],\"removeKubernetesGroups\":[\"b\"],"
                                + "\"expiryOf\":\"g-1\"}",
                        "INVALID_MESSAGE", "expiryOf is not allowed with addKubernetesGroups"),
                Arguments.of("expiryOf with username",
                        "{" + entry + "\"removeKubernetesGroups\":[\"b\"],\"username\":\"x:y\",\"expiryOf\":\"g-1\"}",
                        "INVALID_MESSAGE", "expiryOf is not allowed with username"),
                Arguments.of("a time-bound group added for good",
                        "{" + entry + "\"addKubernetesGroups\":[\"oncall-payments\"]}",
                        "POLICY_DENIED", "group oncall-payments matches TIME_BOUND_GROUPS"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badTimeBoundRequests")
    void process_whenATimeBoundRequestIsBad_rejectsItNamingTheFieldAndTouchesNothing(String description, String body,
                                                                                     String code, String reason) {
        Outcome outcome = process(message("m1", body));

        assertThat(outcome).isInstanceOf(Outcome.Rejected.class);
        assertThat(((Outcome.Rejected) outcome).reasonCode().name()).isEqualTo(code);
        assertThat(((Outcome.Rejected) outcome).message()).contains(reason);
        assertThat(fixture.accessEntries.calls()).isEmpty();
        assertThat(fixture.schedules.schedules()).isEmpty();
        assertThat(fixture.store.items()).isEmpty();
        assertThat(fixture.store.leases()).isEmpty();
        assertThat(fixture.events.events("Access Change Rejected")).hasSize(1);
    }

    @Test
    void process_whenTimeBoundGrantsAreNotEnabled_rejectsExpiresAtWithTheContractsReason() {
        Outcome outcome = fixture.process(message("m1", grant("g-1", EXPIRES_AT, "team-a")));

        assertThat(outcome).isEqualTo(new Outcome.Rejected(dev.eksaccessupdater.failure.ReasonCode.INVALID_MESSAGE,
                "time-bound grants are not enabled"));
        assertThat(fixture.accessEntries.calls()).isEmpty();
        assertThat(fixture.store.items()).isEmpty();
    }
}
