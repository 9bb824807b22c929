package dev.eksaccessupdater.docs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import com.fasterxml.jackson.jr.ob.JSON;
import dev.eksaccessupdater.LocalFunction;
import dev.eksaccessupdater.docs.DocumentedJson.Block;
import dev.eksaccessupdater.events.EventSchemas;
import dev.eksaccessupdater.standin.EventBridgeStandIn.PublishedEvent;
import dev.eksaccessupdater.standin.SchedulerStandIn;
import dev.eksaccessupdater.template.RegistrySchemas;
import dev.eksaccessupdater.testing.Dynalite;
import dev.eksaccessupdater.testing.WithDynalite;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import software.amazon.event.ruler.Machine;

/**
 * Every event pattern that README.md and docs/*.md show, tried with event-ruler (the matching engine of
 * EventBridge rules) on events the real function published: it must match exactly the events expected of it.
 * A pattern is found by {@link DocumentedJson} and named by the {@code <!-- event-pattern: name -->} line above
 * it; a new pattern fails here until {@link #EXPECTED} says what it should match.
 */
@WithDynalite
class DocumentedEventPatternsTest {

    private static final String DEVELOPERS = "arn:aws:iam::111122223333:role/developers";
    private static final String CI_DEPLOYER = "arn:aws:iam::111122223333:role/ci-deployer";
    private static final String REQUEST_QUEUE = "arn:aws:sqs:us-east-1:123456789012:access-requests";

    /** One event of each kind the function publishes, told apart by what a subscriber might filter on. */
    enum Published {
        /** Groups added to role/developers on cluster demo. */
        UPDATE,
        /** Groups replaced for role/ci-deployer on cluster staging. */
        UPDATE_ON_ANOTHER_CLUSTER,
        /** role/developers refused a change on cluster prod, which the policy does not allow. */
        REJECTION,
        /** role/ci-deployer refused an invalid request on cluster demo. */
        REJECTION_OF_ANOTHER_PRINCIPAL,
        /** A group added to role/developers on demo until two hours from now. */
        TIME_BOUND_GRANT,
        /** That grant's expiry, from the message its schedule would send. */
        EXPIRY
    }

    /** What each documented pattern, by its marker's name, must match; it must match none of the other events. */
    private static final Map<String, Set<Published>> EXPECTED = Map.of(
            "changes-to-one-cluster",
            EnumSet.of(Published.UPDATE, Published.TIME_BOUND_GRANT, Published.EXPIRY),
            "every-rejection",
            EnumSet.of(Published.REJECTION, Published.REJECTION_OF_ANOTHER_PRINCIPAL),
            "everything-about-one-principal",
            EnumSet.of(Published.UPDATE, Published.REJECTION, Published.TIME_BOUND_GRANT, Published.EXPIRY),
            "time-bound-grants",
            EnumSet.of(Published.TIME_BOUND_GRANT),
            "grants-that-expired",
            EnumSet.of(Published.EXPIRY));

    /** Each event as a rule target receives it. */
    private static final Map<Published, PublishedEvent> PUBLISHED = new EnumMap<>(Published.class);

    @BeforeAll
    static void publishOneEventOfEachKind(Dynalite dynalite) {
        try (LocalFunction function = LocalFunction.start(dynalite, Map.of(
                "ALLOWED_CLUSTER_NAMES", "demo,staging",
                "TIME_BOUND_GROUPS", "oncall-*",
                "SCHEDULE_GROUP_NAME", SchedulerStandIn.DEFAULT_GROUP,
                "SCHEDULER_ROLE_ARN", "arn:aws:iam::123456789012:role/expiries",
                "REQUEST_QUEUE_ARN", REQUEST_QUEUE))) {
            function.eks().putEntry("demo", DEVELOPERS, List.of("viewers"), "developer:{{SessionName}}");
            function.eks().putEntry("demo", CI_DEPLOYER, List.of("deployers"), "ci-deployer");
            function.eks().putEntry("staging", CI_DEPLOYER, List.of("deployers"), "ci-deployer");
            Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);

            send(function, Published.UPDATE, """
                    {"clusterName": "demo", "principalArn": "%s", "addKubernetesGroups": ["team-payments-viewers"],
                     "clientRequestToken": "ticket-4711-approval-1",
                     "metadata": {"approver": "alice@example.com", "ticket": "T-4711"}}""".formatted(DEVELOPERS), now);
            send(function, Published.UPDATE_ON_ANOTHER_CLUSTER, """
                    {"clusterName": "staging", "principalArn": "%s", "kubernetesGroups": ["deployers", "releasers"],
                     "clientRequestToken": "ticket-4712"}""".formatted(CI_DEPLOYER), now);
            send(function, Published.REJECTION, """
                    {"clusterName": "prod", "principalArn": "%s", "addKubernetesGroups": ["viewers"],
                     "clientRequestToken": "ticket-4713"}""".formatted(DEVELOPERS), now);
            send(function, Published.REJECTION_OF_ANOTHER_PRINCIPAL, """
                    {"clusterName": "demo", "principalArn": "%s", "kubernetesGroup": ["deployers"]}"""
                    .formatted(CI_DEPLOYER), now);
            send(function, Published.TIME_BOUND_GRANT, """
                    {"clusterName": "demo", "principalArn": "%s", "addKubernetesGroups": ["oncall-admins"],
                     "expiresAt": "%s", "clientRequestToken": "ticket-4714-oncall",
                     "metadata": {"approver": "carol@example.com", "ticket": "T-4714"}}"""
                    .formatted(DEVELOPERS, now.plus(Duration.ofHours(2))), now);
            List<SchedulerStandIn.Schedule> schedules = function.scheduler().schedules();
            assertThat(schedules).as("the grant's expiry schedule").singleElement()
                    .satisfies(schedule -> assertThat(schedule.targetArn()).isEqualTo(REQUEST_QUEUE));
            send(function, Published.EXPIRY, schedules.get(0).input(), now);
            assertThat(function.eks().entry("demo", DEVELOPERS).kubernetesGroups())
                    .as("the expiry ended the grant").doesNotContain("oncall-admins");
        }
    }

    /** Delivers {@code body} as one new SQS message sent at {@code sentAt}; it must publish exactly one event. */
    private static void send(LocalFunction function, Published kind, String body, Instant sentAt) {
        int before = function.eventBridge().events().size();
        SQSEvent.SQSMessage message = new SQSEvent.SQSMessage();
        message.setMessageId(UUID.randomUUID().toString());
        message.setBody(body);
        message.setAttributes(Map.of("ApproximateReceiveCount", "1",
                "SentTimestamp", Long.toString(sentAt.toEpochMilli())));
        message.setEventSource("aws:sqs");
        message.setEventSourceArn(REQUEST_QUEUE);
        message.setAwsRegion("us-east-1");
        SQSEvent event = new SQSEvent();
        event.setRecords(List.of(message));

        SQSBatchResponse response = function.handleRequest(event, null);

        assertThat(response.getBatchItemFailures()).as(kind + " is done with").isEmpty();
        List<PublishedEvent> events = function.eventBridge().events();
        assertThat(events).as(kind + " publishes one event").hasSize(before + 1);
        PUBLISHED.put(kind, events.get(before));
    }

    @TestFactory
    Stream<DynamicTest> documentedPattern_whenTriedOnPublishedEvents_matchesExactlyTheExpectedOnes() {
        List<Block> patterns = DocumentedJson.blocks().stream().filter(Block::isEventPattern).toList();
        List<DynamicTest> tests = new ArrayList<>();
        for (Block pattern : patterns) {
            String name = pattern.marker() == null ? "unnamed pattern at " + pattern.where()
                    : pattern.marker() + " (" + pattern.where() + ")";
            tests.add(DynamicTest.dynamicTest(name, () -> assertMatchesExactlyTheExpectedEvents(pattern)));
        }
        tests.add(DynamicTest.dynamicTest("every expectation is of a documented pattern", () ->
                assertThat(patterns).extracting(Block::marker).containsAll(EXPECTED.keySet())));
        return tests.stream();
    }

    private static void assertMatchesExactlyTheExpectedEvents(Block pattern) throws Exception {
        if (pattern.marker() == null) {
            fail("the event pattern at " + pattern.where() + " has no <!-- event-pattern: name --> line above it");
        }
        Set<Published> expected = EXPECTED.get(pattern.marker());
        if (expected == null) {
            fail("no expectation for the event pattern " + pattern.marker() + " at " + pattern.where()
                    + ": add to EXPECTED the published events it must match");
        }
        assertThat(expected).as("a pattern is expected to match something").isNotEmpty();
        Machine machine = Machine.builder().build();
        try {
            machine.addRule(pattern.marker(), pattern.text());
        } catch (RuntimeException | IOException invalid) {
            fail("the event pattern " + pattern.marker() + " at " + pattern.where() + " is not one EventBridge accepts: "
                    + invalid.getMessage(), invalid);
        }
        Set<Published> matched = EnumSet.noneOf(Published.class);
        for (Map.Entry<Published, PublishedEvent> event : PUBLISHED.entrySet()) {
            if (!machine.rulesForJSONEvent(envelopeJson(event.getValue())).isEmpty()) {
                matched.add(event.getKey());
            }
        }

        assertThat(matched).as("events the pattern %s at %s matches", pattern.marker(), pattern.where())
                .isEqualTo(expected);
    }

    @Test
    void publishedEvents_validateAgainstTheRegistryAndProjectSchemas() {
        assertThat(PUBLISHED).containsOnlyKeys(EnumSet.allOf(Published.class));
        PUBLISHED.forEach((kind, event) -> {
            assertThat(RegistrySchemas.violations(event.detailType(), envelopeJson(event))).as(kind.name()).isEmpty();
            assertThat(EventSchemas.violations(EventSchemas.forDetailType(event.detailType()), event.detailJson()))
                    .as(kind.name()).isEmpty();
        });
    }

    @Test
    void publishedEvents_ofAGrantAndItsExpiry_carryTheirPairOfFields() {
        Map<String, Object> grant = PUBLISHED.get(Published.TIME_BOUND_GRANT).detail();
        Map<String, Object> expiry = PUBLISHED.get(Published.EXPIRY).detail();

        assertThat(new TreeSet<>(grant.keySet())).containsExactly("accessEntry", "clientRequestToken", "expiresAt",
                "grantedGroups", "metadata", "previous");
        assertThat(grant.get("grantedGroups")).isEqualTo(List.of("oncall-admins"));
        assertThat(new TreeSet<>(expiry.keySet())).containsExactly("accessEntry", "clientRequestToken",
                "expiredGroups", "expiryOf", "metadata", "previous");
        assertThat(expiry).containsEntry("expiryOf", "ticket-4714-oncall")
                .containsEntry("expiredGroups", List.of("oncall-admins"));
        assertThat(PUBLISHED.get(Published.UPDATE).detail())
                .doesNotContainKeys("expiresAt", "grantedGroups", "expiryOf", "expiredGroups");
    }

    private static String envelopeJson(PublishedEvent event) {
        try {
            return JSON.std.asString(event.envelope());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
