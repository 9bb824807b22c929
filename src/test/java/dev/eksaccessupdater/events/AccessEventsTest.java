package dev.eksaccessupdater.events;

import dev.eksaccessupdater.testing.TestBudgets;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.jr.ob.JSON;
import dev.eksaccessupdater.eks.AccessEntry;
import dev.eksaccessupdater.failure.ReasonCode;
import dev.eksaccessupdater.request.RequestSummary;
import dev.eksaccessupdater.standin.EventBridgeStandIn;
import dev.eksaccessupdater.standin.EventBridgeStandIn.PublishedEvent;
import dev.eksaccessupdater.standin.StandInClients;
import java.io.IOException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import software.amazon.awssdk.services.eventbridge.EventBridgeClient;

class AccessEventsTest {

    private static final String TOKEN = "change-4711";
    private static final String CLUSTER = "dev-cluster";
    private static final String ROLE = "arn:aws:iam::111122223333:role/ops/admin";
    private static final String ENTRY_ARN =
            "arn:aws:eks:us-east-1:111122223333:access-entry/dev-cluster/role/111122223333/admin/8ec6a9f1";
    private static final AccessEntry BEFORE = new AccessEntry(CLUSTER, ROLE, List.of("viewers"), ENTRY_ARN,
            Instant.parse("2026-01-01T00:00:00Z"), Instant.parse("2026-01-01T00:00:00Z"), Map.of("team", "platform"),
            "ops:{{SessionName}}", "STANDARD");
    private static final AccessEntry AFTER = new AccessEntry(CLUSTER, ROLE, List.of("viewers", "team-a"), ENTRY_ARN,
            Instant.parse("2026-01-01T00:00:00Z"), Instant.parse("2026-02-03T04:05:06.789Z"),
            Map.of("team", "platform"), "ops:{{SessionName}}", "STANDARD");
    private static final Map<String, String> METADATA = Map.of("ticket", "OPS-12", "approver", "jane");

    @Test
    void updated_whenEntryWasReadFirst_buildsTheSpecDetailInOrder() {
        AccessEvent event = AccessEvents.updated(TOKEN, AFTER, BEFORE, METADATA);

        assertThat(event.detailType()).isEqualTo("Access Entry Updated");
        assertThat(event.resources()).containsExactly(ENTRY_ARN);
        assertThat(event.detail()).containsExactly(
                Map.entry("clientRequestToken", TOKEN),
                Map.entry("accessEntry", Map.of(
                        "clusterName", CLUSTER, "principalArn", ROLE, "kubernetesGroups", List.of("viewers", "team-a"),
                        "accessEntryArn", ENTRY_ARN, "createdAt", "2026-01-01T00:00:00Z",
                        "modifiedAt", "2026-02-03T04:05:06.789Z", "tags", Map.of("team", "platform"),
                        "username", "ops:{{SessionName}}", "type", "STANDARD")),
                Map.entry("previous",
                        Map.of("kubernetesGroups", List.of("viewers"), "username", "ops:{{SessionName}}")),
                Map.entry("metadata", METADATA));
        assertThat(cast(event.detail().get("accessEntry")).keySet()).containsExactly("clusterName",
                "principalArn", "kubernetesGroups", "accessEntryArn", "createdAt", "modifiedAt", "tags", "username",
                "type");
        assertThat(EventSchemas.violations(EventSchemas.ACCESS_ENTRY_UPDATED, detailJson(event))).isEmpty();
    }

    @Test
    void updated_whenMetadataIsAbsent_writesEmptyMetadataLast() {
        AccessEvent event = AccessEvents.updated(TOKEN, AFTER, BEFORE, null);

        assertThat(event.detail()).containsOnlyKeys("clientRequestToken", "accessEntry", "previous", "metadata");
        assertThat(event.detail().get("metadata")).isEqualTo(Map.of());
        assertThat(detailJson(event)).endsWith(",\"metadata\":{}}");
        assertThat(EventSchemas.violations(EventSchemas.ACCESS_ENTRY_UPDATED, detailJson(event))).isEmpty();
    }

    @Test
    void updated_withoutThePreviousEntry_isRefused() {
        assertThatThrownBy(() -> AccessEvents.updated(TOKEN, AFTER, null, METADATA))
                .isInstanceOf(NullPointerException.class).hasMessage("previous");
    }

    @Test
    void updated_whenEntryLacksFields_leavesThemOutAndNamesNoResource() {
        AccessEntry sparse = new AccessEntry(CLUSTER, ROLE, null, null, null, null, null, null, null);

        AccessEvent event = AccessEvents.updated(TOKEN, sparse, BEFORE, null);

        assertThat(cast(event.detail().get("accessEntry")))
                .containsOnlyKeys("clusterName", "principalArn", "kubernetesGroups", "tags");
        assertThat(event.resources()).isEmpty();
        assertThat(detailJson(event)).doesNotContain("null");
    }

    @Test
    void rejected_whenEverythingWasRead_buildsTheSpecDetailInOrder() {
        RequestSummary readable = new RequestSummary(CLUSTER, ROLE, TOKEN, METADATA);

        AccessEvent event = AccessEvents.rejected(TOKEN, "msg-1", readable, ReasonCode.POLICY_DENIED,
                "group team-x is not allowed by ALLOWED_KUBERNETES_GROUPS");

        assertThat(event.detailType()).isEqualTo("Access Change Rejected");
        assertThat(event.resources()).isEmpty();
        assertThat(event.detail()).containsExactly(
                Map.entry("clientRequestToken", TOKEN),
                Map.entry("messageId", "msg-1"),
                Map.entry("clusterName", CLUSTER),
                Map.entry("principalArn", ROLE),
                Map.entry("reason", Map.of("code", "POLICY_DENIED",
                        "message", "group team-x is not allowed by ALLOWED_KUBERNETES_GROUPS")),
                Map.entry("metadata", METADATA));
        assertThat(EventSchemas.violations(EventSchemas.ACCESS_CHANGE_REJECTED, detailJson(event))).isEmpty();
    }

    @Test
    void rejected_whenMessageIsBroken_leavesUnreadFieldsOut() {
        AccessEvent event = AccessEvents.rejected(null, "msg-2", RequestSummary.empty(), ReasonCode.INVALID_MESSAGE,
                "the body is not a JSON object");

        assertThat(event.detail()).containsOnlyKeys("messageId", "reason");
        assertThat(EventSchemas.violations(EventSchemas.ACCESS_CHANGE_REJECTED, detailJson(event))).isEmpty();
    }

    @Test
    void rejected_whenSomeFieldsWereRead_keepsOnlyThose() {
        RequestSummary readable = new RequestSummary(CLUSTER, null, null, Map.of());

        AccessEvent event = AccessEvents.rejected(null, "msg-3", readable, ReasonCode.INVALID_MESSAGE,
                "principalArn is not an IAM user or role ARN");

        assertThat(event.detail()).containsOnlyKeys("messageId", "clusterName", "reason", "metadata");
        assertThat(event.detail().get("metadata")).isEqualTo(Map.of());
        assertThat(EventSchemas.violations(EventSchemas.ACCESS_CHANGE_REJECTED, detailJson(event))).isEmpty();
    }

    @Test
    void rejected_whenTokenNotGiven_takesTheOneReadFromTheMessage() {
        AccessEvent event = AccessEvents.rejected(null, "msg-4", new RequestSummary(null, null, TOKEN, null),
                ReasonCode.TOKEN_CONFLICT, "the token was used for a different request");

        assertThat(event.detail()).containsEntry("clientRequestToken", TOKEN);
    }

    @Test
    void rejected_whenReasonIsHuge_truncatesItToWhatTheSchemaAllows() {
        AccessEvent event = AccessEvents.rejected(TOKEN, "msg-5", null, ReasonCode.INVALID_PARAMETER, "x".repeat(5000));

        assertThat((String) cast(event.detail().get("reason")).get("message"))
                .hasSize(AccessEvents.MAX_REASON_LENGTH);
        assertThat(EventSchemas.violations(EventSchemas.ACCESS_CHANGE_REJECTED, detailJson(event))).isEmpty();
    }

    @ParameterizedTest
    @EnumSource(ReasonCode.class)
    void rejectedSchema_whenAnyReasonCode_acceptsIt(ReasonCode code) {
        AccessEvent event = AccessEvents.rejected(TOKEN, "msg-6", null, code, "because");

        assertThat(EventSchemas.violations(EventSchemas.ACCESS_CHANGE_REJECTED, detailJson(event))).isEmpty();
    }

    @Test
    void rejectedSchema_whenReasonCodeUnknown_rejectsTheDetail() {
        Map<String, Object> detail = new LinkedHashMap<>(
                AccessEvents.rejected(TOKEN, "msg-7", null, ReasonCode.NOT_FOUND, "gone").detail());
        detail.put("reason", Map.of("code", "GONE", "message", "gone"));

        assertThat(EventSchemas.violations(EventSchemas.ACCESS_CHANGE_REJECTED, json(detail)))
                .singleElement().asString().contains("/reason/code");
    }

    @Test
    void rejectedSchema_whenUnknownFieldOrNoReason_rejectsTheDetail() {
        String unknownField = "{\"messageId\":\"m\",\"reason\":{\"code\":\"NOT_FOUND\",\"message\":\"x\"},\"extra\":1}";

        assertThat(EventSchemas.violations(EventSchemas.ACCESS_CHANGE_REJECTED, unknownField)).isNotEmpty();
        assertThat(EventSchemas.violations(EventSchemas.ACCESS_CHANGE_REJECTED, "{\"messageId\":\"m\"}")).isNotEmpty();
    }

    @Test
    void updatedSchema_whenTimestampIsNotAnIsoInstant_rejectsTheDetail() {
        Map<String, Object> detail = new LinkedHashMap<>(AccessEvents.updated(TOKEN, AFTER, BEFORE, Map.of()).detail());
        Map<String, Object> entry = new LinkedHashMap<>(cast(detail.get("accessEntry")));
        entry.put("modifiedAt", "yesterday");
        detail.put("accessEntry", entry);

        assertThat(EventSchemas.violations(EventSchemas.ACCESS_ENTRY_UPDATED, json(detail)))
                .anySatisfy(violation -> assertThat(violation).contains("/accessEntry/modifiedAt"));
    }

    @Test
    void updatedSchema_whenEntryLacksRequiredFields_rejectsTheDetail() {
        AccessEntry sparse = new AccessEntry(CLUSTER, ROLE, null, null, null, null, null, null, null);

        assertThat(EventSchemas.violations(EventSchemas.ACCESS_ENTRY_UPDATED,
                detailJson(AccessEvents.updated(TOKEN, sparse, BEFORE, null)))).isNotEmpty();
    }

    @Test
    void updated_whenTimeBound_putsTheGrantFieldsBetweenPreviousAndMetadata() {
        Map<String, Object> grant = new LinkedHashMap<>();
        grant.put("expiresAt", "2026-12-04T18:00:00Z");
        grant.put("grantedGroups", List.of("team-a"));

        AccessEvent event = AccessEvents.updated(TOKEN, AFTER, BEFORE, METADATA, grant);

        assertThat(event.detail().keySet()).containsExactly("clientRequestToken", "accessEntry", "previous",
                "expiresAt", "grantedGroups", "metadata");
        assertThat(EventSchemas.violations(EventSchemas.ACCESS_ENTRY_UPDATED, detailJson(event))).isEmpty();
    }

    static Stream<Arguments> grantFieldsTheSchemaAccepts() {
        return Stream.of(
                Arguments.of("a grant", Map.of("expiresAt", "2026-12-04T18:00:00Z", "grantedGroups", List.of("team-a"))),
                Arguments.of("a grant that covers no group",
                        Map.of("expiresAt", "2026-12-04T18:00:00Z", "grantedGroups", List.of())),
                Arguments.of("an expiry", Map.of("expiryOf", "ticket-4711", "expiredGroups", List.of("team-a"))),
                Arguments.of("an expiry that removed nothing", Map.of("expiryOf", "ticket-4711", "expiredGroups", List.of())));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("grantFieldsTheSchemaAccepts")
    void updatedSchema_whenGrantFieldsComeInTheirPairs_acceptsTheDetail(String name, Map<String, Object> fields) {
        assertThat(EventSchemas.violations(EventSchemas.ACCESS_ENTRY_UPDATED, json(withGrantFields(fields)))).isEmpty();
    }

    static Stream<Arguments> grantFieldsTheSchemaRefuses() {
        return Stream.of(
                Arguments.of("expiresAt without grantedGroups", Map.of("expiresAt", "2026-12-04T18:00:00Z")),
                Arguments.of("grantedGroups without expiresAt", Map.of("grantedGroups", List.of("team-a"))),
                Arguments.of("expiryOf without expiredGroups", Map.of("expiryOf", "ticket-4711")),
                Arguments.of("expiredGroups without expiryOf", Map.of("expiredGroups", List.of("team-a"))),
                Arguments.of("both pairs", Map.of("expiresAt", "2026-12-04T18:00:00Z", "grantedGroups", List.of("team-a"),
                        "expiryOf", "ticket-4711", "expiredGroups", List.of("team-a"))),
                Arguments.of("expiresAt with milliseconds",
                        Map.of("expiresAt", "2026-12-04T18:00:00.000Z", "grantedGroups", List.of("team-a"))),
                Arguments.of("expiresAt with an offset",
                        Map.of("expiresAt", "2026-12-04T18:00:00+01:00", "grantedGroups", List.of("team-a"))),
                Arguments.of("expiresAt not a date", Map.of("expiresAt", "2026-02-30T18:00:00Z", "grantedGroups",
                        List.of("team-a"))),
                Arguments.of("grantedGroups naming a group twice",
                        Map.of("expiresAt", "2026-12-04T18:00:00Z", "grantedGroups", List.of("team-a", "team-a"))),
                Arguments.of("expiryOf with a space", Map.of("expiryOf", "ticket 4711", "expiredGroups", List.of())),
                Arguments.of("expiredGroups not an array", Map.of("expiryOf", "ticket-4711", "expiredGroups", "team-a")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("grantFieldsTheSchemaRefuses")
    void updatedSchema_whenGrantFieldsBreakARule_rejectsTheDetail(String name, Map<String, Object> fields) {
        assertThat(EventSchemas.violations(EventSchemas.ACCESS_ENTRY_UPDATED, json(withGrantFields(fields))))
                .isNotEmpty();
    }

    private static Map<String, Object> withGrantFields(Map<String, Object> fields) {
        return AccessEvents.updated(TOKEN, AFTER, BEFORE, METADATA, fields).detail();
    }

    @Test
    void publish_whenSeenByEventBridge_detailsValidateAgainstTheirSchemas() {
        try (EventBridgeStandIn eventBridge = new EventBridgeStandIn().start();
             EventBridgeClient client = StandInClients.eventBridge(eventBridge.endpoint())) {
            EventPublisher publisher = new EventBridgePublisher(client, "access-changes", "eks-access-updater");

            publisher.publish(AccessEvents.updated(TOKEN, AFTER, BEFORE, METADATA), TestBudgets.aMinute());
            publisher.publish(AccessEvents.rejected(null, "msg-8", RequestSummary.empty(), ReasonCode.INVALID_MESSAGE,
                    "the body is not JSON"), TestBudgets.aMinute());

            List<PublishedEvent> events = eventBridge.events();
            assertThat(events).extracting(PublishedEvent::detailType)
                    .containsExactly("Access Entry Updated", "Access Change Rejected");
            for (PublishedEvent event : events) {
                assertThat(EventSchemas.violations(EventSchemas.forDetailType(event.detailType()), event.detailJson()))
                        .as(event.detailType()).isEmpty();
            }
        }
    }

    @Test
    void accessEntryJson_startsWithTheEntryIdentity() {
        String json = AccessEvents.accessEntryJson(AFTER);

        assertThat(json).startsWith("{\"clusterName\":\"dev-cluster\",\"principalArn\":");
    }

    @Test
    void accessEntryJson_isTheAccessEntryObjectOfTheUpdatedDetail() throws IOException {
        Map<String, Object> detail = JSON.std.mapFrom(detailJson(AccessEvents.updated(TOKEN, AFTER, BEFORE, Map.of())));

        assertThat(JSON.std.mapFrom(AccessEvents.accessEntryJson(AFTER))).isEqualTo(detail.get("accessEntry"));
    }

    private static String detailJson(AccessEvent event) {
        return AccessEvents.toJson(event.detail());
    }

    private static String json(Map<String, Object> detail) {
        return AccessEvents.toJson(detail);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> cast(Object value) {
        return (Map<String, Object>) value;
    }
}
