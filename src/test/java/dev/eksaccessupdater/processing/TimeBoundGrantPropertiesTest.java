package dev.eksaccessupdater.processing;

import static dev.eksaccessupdater.processing.ProcessingFixture.CLUSTER;
import static dev.eksaccessupdater.processing.ProcessingFixture.DEVELOPERS;
import static dev.eksaccessupdater.processing.ProcessingFixture.NOW;
import static org.assertj.core.api.Assertions.assertThat;

import dev.eksaccessupdater.events.AccessEvent;
import dev.eksaccessupdater.policy.AccessPolicy;
import dev.eksaccessupdater.policy.GroupPattern;
import dev.eksaccessupdater.schedule.ExpirySchedule;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Random sequences of time-bound grants, permanent grants and removals of three groups on one entry, with every
 * expiry delivered at its time, on the real {@link MessageProcessor} over the in-memory ports (docs/contract.md
 * section 8). Whatever the order, the latest request about a group decides: after every expiry has run, a group
 * whose latest request removed it is absent, one whose latest request added it for good is present, and one whose
 * latest request granted it for a while is absent, unless that grant did not cover it (the entry already held it
 * for good). Every grant that covers a group has exactly one schedule, and every expiry removes only groups its
 * grant covered.
 */
class TimeBoundGrantPropertiesTest {

    private static final List<String> GROUPS = List.of("team-a", "team-b", "team-c");
    private static final Duration STEP = Duration.ofMinutes(10);
    private static final AccessPolicy POLICY = new AccessPolicy(
            new AccessPolicy.ClusterScope.Named(Set.of(CLUSTER)), List.of(GroupPattern.ANY), Set.of(), List.of(),
            Optional.of(Duration.ofDays(1)));

    /** One request of the sequence: kind and group, sent at {@code sentAt}. */
    private record Step(String kind, String group, Instant sentAt, String token) {
    }

    static List<Long> seeds() {
        List<Long> seeds = new ArrayList<>();
        for (long seed = 1; seed <= 150; seed++) {
            seeds.add(seed);
        }
        return seeds;
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void randomSequence_ofGrantsAndDecisions_leavesWhatTheLatestRequestAboutEachGroupDecided(long seed) {
        Random random = new Random(seed);
        try (ProcessingFixture fixture = new ProcessingFixture(1)) {
            MessageProcessor processor = fixture.messageProcessor(POLICY);
            List<Step> steps = new ArrayList<>();
            Map<String, Instant> fired = new HashMap<>();
            int count = 6 + random.nextInt(10);
            for (int index = 0; index < count; index++) {
                Instant sentAt = NOW.plus(STEP.multipliedBy(index + 1));
                deliverDueExpiries(fixture, processor, sentAt, fired);
                String group = GROUPS.get(random.nextInt(GROUPS.size()));
                String kind = List.of("grant", "grant", "add", "remove").get(random.nextInt(4));
                Step step = new Step(kind, group, sentAt, "s" + seed + "-" + index);
                steps.add(step);
                // Each grant ends 5 to 35 minutes after it was sent, never at the same time as a request.
                Instant expiresAt = sentAt.plus(STEP.multipliedBy(random.nextInt(3))).plus(Duration.ofMinutes(15));
                deliver(fixture, processor, step.token(), body(step, expiresAt), sentAt);
            }
            deliverDueExpiries(fixture, processor, Instant.MAX, fired);

            Map<String, List<String>> covered = coveredGroups(fixture);
            Set<String> held = new HashSet<>(fixture.accessEntries.entry(CLUSTER, DEVELOPERS).kubernetesGroups());
            for (String group : GROUPS) {
                Step latest = steps.stream().filter(step -> step.group().equals(group))
                        .max(Comparator.comparing(Step::sentAt)).orElse(null);
                if (latest == null) {
                    assertThat(held).as("seed %d: %s was never asked for", seed, group).doesNotContain(group);
                    continue;
                }
                boolean expected = switch (latest.kind()) {
                    case "remove" -> false;
                    case "add" -> true;
                    default -> !covered.getOrDefault(latest.token(), List.of()).contains(group);
                };
                assertThat(held.contains(group)).as("seed %d: %s after %s", seed, group, steps).isEqualTo(expected);
            }
            assertThat(held).as("seed %d: a group nobody asked about", seed).contains("viewers");
            assertEveryGrantHasOneScheduleAndEveryExpiryRemovesOnlyItsGroups(fixture, covered, seed);
        }
    }

    private static String body(Step step, Instant expiresAt) {
        String entry = "{\"clusterName\":\"demo\",\"principalArn\":\"" + DEVELOPERS + "\",";
        String token = ",\"clientRequestToken\":\"" + step.token() + "\"}";
        return switch (step.kind()) {
            case "grant" -> entry + "\"addKubernetesGroups\":[\"" + step.group() + "\"],\"expiresAt\":\"" + expiresAt
                    + "\"" + token;
            case "add" -> entry + "\"addKubernetesGroups\":[\"" + step.group() + "\"]" + token;
            default -> entry + "\"removeKubernetesGroups\":[\"" + step.group() + "\"]" + token;
        };
    }

    /** Sends every schedule whose time has come by {@code until}, in time order, as Scheduler would. */
    private static void deliverDueExpiries(ProcessingFixture fixture, MessageProcessor processor, Instant until,
                                           Map<String, Instant> fired) {
        while (true) {
            ExpirySchedule next = fixture.schedules.schedules().stream()
                    .filter(schedule -> !fired.containsKey(schedule.name()))
                    .min(Comparator.comparing(TimeBoundGrantPropertiesTest::fireAt)).orElse(null);
            if (next == null || fireAt(next).isAfter(until)) {
                return;
            }
            fired.put(next.name(), fireAt(next));
            deliver(fixture, processor, next.name(), next.input(), fireAt(next));
        }
    }

    private static void deliver(ProcessingFixture fixture, MessageProcessor processor, String messageId, String body,
                                Instant sentAt) {
        if (fixture.clock.instant().isBefore(sentAt)) {
            fixture.clock.set(sentAt);
        }
        Outcome outcome = processor.process(processor.parse(QueueMessage.standard(messageId, body, sentAt)),
                fixture.budget());
        assertThat(outcome).as(body).isInstanceOf(Outcome.Applied.class);
    }

    private static Instant fireAt(ExpirySchedule schedule) {
        String at = schedule.expression().substring("at(".length(), schedule.expression().length() - 1);
        return LocalDateTime.parse(at).toInstant(ZoneOffset.UTC);
    }

    /** Grant token to the groups its event says it covered. */
    @SuppressWarnings("unchecked")
    private static Map<String, List<String>> coveredGroups(ProcessingFixture fixture) {
        Map<String, List<String>> covered = new HashMap<>();
        for (AccessEvent event : fixture.events.events("Access Entry Updated")) {
            if (event.detail().containsKey("grantedGroups")) {
                covered.put((String) event.detail().get("clientRequestToken"),
                        (List<String>) event.detail().get("grantedGroups"));
            }
        }
        return covered;
    }

    @SuppressWarnings("unchecked")
    private static void assertEveryGrantHasOneScheduleAndEveryExpiryRemovesOnlyItsGroups(
            ProcessingFixture fixture, Map<String, List<String>> covered, long seed) {
        long grantsWithGroups = covered.values().stream().filter(groups -> !groups.isEmpty()).count();
        assertThat(fixture.schedules.schedules()).as("seed %d: one schedule per grant that covered a group", seed)
                .hasSize((int) grantsWithGroups);
        for (AccessEvent event : fixture.events.events("Access Entry Updated")) {
            if (event.detail().containsKey("expiryOf")) {
                List<String> grantCovered = covered.get((String) event.detail().get("expiryOf"));
                assertThat((List<String>) event.detail().get("expiredGroups")).as("seed %d", seed)
                        .isSubsetOf(grantCovered);
            }
        }
    }
}
