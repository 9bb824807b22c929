package dev.eksaccessupdater;

import static org.assertj.core.api.Assertions.assertThat;

import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import dev.eksaccessupdater.standin.EventBridgeStandIn.PublishedEvent;
import dev.eksaccessupdater.standin.SchedulerStandIn;
import dev.eksaccessupdater.testing.Dynalite;
import dev.eksaccessupdater.testing.WithDynalite;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * Time-bound grants end to end (docs/contract.md section 8): the real function on dynalite, with the EKS,
 * EventBridge and Scheduler stand-ins. An expiry is fired by sending the schedule's input as the queue would.
 * Each renewal rule is shown on the real table: the latest request decides about a group.
 */
@WithDynalite
class TimeBoundGrantsEndToEndTest {

    private static final String ONCALL = "arn:aws:iam::111122223333:role/oncall";
    private static final String QUEUE = "arn:aws:sqs:us-east-1:123456789012:access-requests";

    private final Dynalite dynalite;
    private LocalFunction function;

    TimeBoundGrantsEndToEndTest(Dynalite dynalite) {
        this.dynalite = dynalite;
    }

    @BeforeEach
    void start() {
        function = LocalFunction.start(dynalite, Map.of(
                "TIME_BOUND_GROUPS", "oncall-*",
                "SCHEDULE_GROUP_NAME", SchedulerStandIn.DEFAULT_GROUP,
                "SCHEDULER_ROLE_ARN", "arn:aws:iam::123456789012:role/expiries",
                "REQUEST_QUEUE_ARN", QUEUE));
        function.eks().putEntry("demo", ONCALL, List.of("viewers"), null);
    }

    @AfterEach
    void stop() {
        function.close();
    }

    @Test
    void grant_whenItsExpiryFires_addsTheGroupThenRemovesItAndEachStepIsAnEvent() {
        String expiresAt = inHours(2);
        send(grant("g-1", expiresAt, "oncall-payments"));

        assertThat(groups()).containsExactly("oncall-payments", "viewers");
        SchedulerStandIn.Schedule schedule = onlySchedule();
        assertThat(schedule.expression()).isEqualTo("at(" + expiresAt.replace("Z", "") + ")");
        assertThat(schedule.targetArn()).isEqualTo(QUEUE);
        assertThat(schedule.roleArn()).isEqualTo("arn:aws:iam::123456789012:role/expiries");
        Map<String, AttributeValue> lease = leaseItem();
        assertThat(lease.get("grants").m().get("oncall-payments").m().get("token").s()).isEqualTo("g-1");
        assertThat(lease).doesNotContainKey("owner");

        send(schedule.input());

        assertThat(groups()).containsExactly("viewers");
        List<PublishedEvent> updates = function.eventBridge().events("Access Entry Updated");
        assertThat(updates).hasSize(2);
        assertThat(updates.get(0).detail()).containsEntry("expiresAt", expiresAt)
                .containsEntry("grantedGroups", List.of("oncall-payments"));
        assertThat(updates.get(1).detail()).containsEntry("expiryOf", "g-1")
                .containsEntry("expiredGroups", List.of("oncall-payments"));
    }

    @Test
    void renewal_whenTheSameGroupIsGrantedAgainUntilLater_theFirstExpiryLeavesItAndTheSecondRemovesIt() {
        send(grant("g-1", inHours(1), "oncall-payments"));
        SchedulerStandIn.Schedule first = onlySchedule();
        send(grant("g-2", inHours(3), "oncall-payments"));
        SchedulerStandIn.Schedule second = scheduleOtherThan(first);

        send(first.input());
        assertThat(groups()).containsExactly("oncall-payments", "viewers");
        assertThat(lastUpdate()).containsEntry("expiredGroups", List.of());

        send(second.input());
        assertThat(groups()).containsExactly("viewers");
    }

    @Test
    void renewal_whenALaterRequestGrantsTheGroupForGood_theExpiryLeavesIt() {
        send(grant("g-1", inHours(1), "team-a"));
        SchedulerStandIn.Schedule expiry = onlySchedule();
        send(request("p-1", "\"addKubernetesGroups\":[\"team-a\"]"));

        send(expiry.input());

        assertThat(groups()).containsExactly("team-a", "viewers");
        assertThat(leaseItem().get("grants").m().get("team-a").m()).containsKey("grantedAt").doesNotContainKey("until");
    }

    @Test
    void renewal_whenALaterRequestRemovedTheGroup_theExpiryChangesNothingButStillReports() {
        send(grant("g-1", inHours(1), "team-a"));
        SchedulerStandIn.Schedule expiry = onlySchedule();
        send(request("r-1", "\"removeKubernetesGroups\":[\"team-a\"]"));
        send(request("p-2", "\"addKubernetesGroups\":[\"team-b\"]"));

        send(expiry.input());

        assertThat(groups()).containsExactly("team-b", "viewers");
        assertThat(lastUpdate()).containsEntry("expiryOf", "g-1").containsEntry("expiredGroups", List.of());
    }

    @Test
    void renewal_whenTwoGrantsOverlap_eachExpiryRemovesOnlyTheGroupsItStillDecides() {
        send(grant("g-1", inHours(3), "team-a", "team-b"));
        SchedulerStandIn.Schedule longer = onlySchedule();
        send(grant("g-2", inHours(1), "team-b"));
        SchedulerStandIn.Schedule shorter = scheduleOtherThan(longer);

        send(shorter.input());
        assertThat(groups()).containsExactly("team-a", "viewers");

        send(longer.input());
        assertThat(groups()).containsExactly("viewers");
        assertThat(lastUpdate()).containsEntry("expiredGroups", List.of("team-a"));
    }

    @Test
    void grant_whenTheGroupIsAlreadyHeldForGood_schedulesNothingAndNeverRemovesIt() {
        send(grant("g-1", inHours(1), "viewers"));

        assertThat(function.scheduler().schedules()).isEmpty();
        assertThat(groups()).containsExactly("viewers");
        assertThat(lastUpdate()).containsEntry("grantedGroups", List.of());
    }

    @Test
    void grant_onAFifoQueue_schedulesTheExpiryInTheOriginalMessageGroup() {
        SQSEvent.SQSMessage record = record(grant("g-1", inHours(1), "oncall-payments"));
        record.setEventSourceArn(QUEUE + ".fifo");
        record.getAttributes().put("MessageGroupId", "oncall-entry");

        assertThat(function.handleRequest(event(record), null).getBatchItemFailures()).isEmpty();

        assertThat(onlySchedule().messageGroupId()).isEqualTo("oncall-entry");
    }

    private void send(String body) {
        assertThat(function.handleRequest(event(record(body)), null).getBatchItemFailures()).as(body).isEmpty();
    }

    private static SQSEvent.SQSMessage record(String body) {
        SQSEvent.SQSMessage message = new SQSEvent.SQSMessage();
        message.setMessageId(UUID.randomUUID().toString());
        message.setBody(body);
        message.setEventSource("aws:sqs");
        message.setEventSourceArn(QUEUE);
        message.setAttributes(new java.util.HashMap<>(Map.of(
                "ApproximateReceiveCount", "1",
                "SentTimestamp", Long.toString(Instant.now().toEpochMilli()))));
        return message;
    }

    private static SQSEvent event(SQSEvent.SQSMessage record) {
        SQSEvent event = new SQSEvent();
        event.setRecords(new ArrayList<>(List.of(record)));
        return event;
    }

    private static String grant(String token, String expiresAt, String... groups) {
        return request(token, "\"addKubernetesGroups\":[\"" + String.join("\",\"", groups) + "\"],\"expiresAt\":\""
                + expiresAt + "\"");
    }

    private static String request(String token, String change) {
        return "{\"clusterName\":\"demo\",\"principalArn\":\"" + ONCALL + "\"," + change
                + ",\"clientRequestToken\":\"" + token + "\"}";
    }

    private static String inHours(int hours) {
        return Instant.now().plus(hours, ChronoUnit.HOURS).truncatedTo(ChronoUnit.SECONDS).toString();
    }

    private List<String> groups() {
        return function.eks().entry("demo", ONCALL).kubernetesGroups();
    }

    private SchedulerStandIn.Schedule onlySchedule() {
        assertThat(function.scheduler().schedules()).hasSize(1);
        return function.scheduler().schedules().get(0);
    }

    private SchedulerStandIn.Schedule scheduleOtherThan(SchedulerStandIn.Schedule known) {
        return function.scheduler().schedules().stream()
                .filter(schedule -> !schedule.name().equals(known.name()))
                .findFirst().orElseThrow();
    }

    private Map<String, Object> lastUpdate() {
        List<PublishedEvent> updates = function.eventBridge().events("Access Entry Updated");
        return updates.get(updates.size() - 1).detail();
    }

    private Map<String, AttributeValue> leaseItem() {
        return function.dynamoDb().scan(scan -> scan.tableName(function.tableName())).items().stream()
                .filter(item -> item.get("clientRequestToken").s().startsWith("lease "))
                .findFirst().orElseThrow();
    }
}
