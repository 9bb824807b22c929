package dev.eksaccessupdater;

import static org.assertj.core.api.Assertions.assertThat;

import dev.eksaccessupdater.schedule.ExpirySchedule;
import dev.eksaccessupdater.schedule.ExpirySchedules;
import dev.eksaccessupdater.standin.SchedulerStandIn;
import dev.eksaccessupdater.time.CallBudget;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;

/** The composition root's EventBridge Scheduler client: adjusted like the others, built only when first needed. */
class DependenciesTest {

    private static final String GROUP = "expiries";
    private static final String QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:access-requests";
    private static final String ROLE_ARN = "arn:aws:iam::123456789012:role/scheduler";

    private final SchedulerStandIn scheduler = new SchedulerStandIn().createGroup(GROUP).start();
    private final List<String> customized = new CopyOnWriteArrayList<>();

    @AfterEach
    void stop() {
        scheduler.close();
    }

    @Test
    void expirySchedules_whenFirstUsed_buildsOneSchedulerClientThroughTheCustomizer() {
        // The other clients are never called here: they point where nothing listens.
        URI nowhere = URI.create("http://127.0.0.1:9");
        Dependencies dependencies = Dependencies.create(Configuration.fromEnvironment(Map.of(
                        "IDEMPOTENCY_TABLE_NAME", "table", "EVENT_BUS_NAME", "bus", "ALLOWED_CLUSTER_NAMES", "demo")),
                (service, builder) -> {
                    customized.add(service);
                    builder.endpointOverride(service.equals("scheduler") ? scheduler.endpoint() : nowhere)
                            .region(Region.US_EAST_1)
                            .credentialsProvider(StaticCredentialsProvider.create(
                                    AwsBasicCredentials.create("local", "local-secret")));
                },
                Clock.systemUTC());
        assertThat(customized).as("at init").containsExactlyInAnyOrder("dynamodb", "eks", "eventbridge");

        ExpirySchedules first = dependencies.expirySchedules(GROUP, QUEUE_ARN, ROLE_ARN);
        ExpirySchedules second = dependencies.expirySchedules(GROUP, QUEUE_ARN, ROLE_ARN);
        assertThat(customized).as("before the first schedule").doesNotContain("scheduler");
        first.create(schedule("eau-1"), budget());
        second.create(schedule("eau-2"), budget());

        assertThat(customized).containsOnlyOnce("scheduler");
        assertThat(scheduler.schedules()).extracting(SchedulerStandIn.Schedule::name)
                .containsExactly("eau-1", "eau-2");
        assertThat(scheduler.schedule(GROUP, "eau-1").targetArn()).isEqualTo(QUEUE_ARN);
        assertThat(scheduler.schedule(GROUP, "eau-1").roleArn()).isEqualTo(ROLE_ARN);
    }

    private static ExpirySchedule schedule(String name) {
        return new ExpirySchedule(name, "at(2026-12-04T18:00:00)", "{\"clientRequestToken\":\"" + name + "\"}",
                null);
    }

    private static CallBudget budget() {
        return new CallBudget(Clock.systemUTC().instant().plus(Duration.ofSeconds(30)), Clock.systemUTC());
    }
}
