package dev.eksaccessupdater;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.eksaccessupdater.failure.RetryableException;
import dev.eksaccessupdater.schedule.ExpirySchedule;
import dev.eksaccessupdater.standin.EksStandIn;
import dev.eksaccessupdater.standin.EventBridgeStandIn;
import dev.eksaccessupdater.standin.SchedulerStandIn;
import dev.eksaccessupdater.testing.Dynalite;
import dev.eksaccessupdater.testing.WithDynalite;
import dev.eksaccessupdater.time.CallBudget;
import java.time.Clock;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The local wiring of the function: its Scheduler client reaches the Scheduler stand-in, or nothing at all. */
@WithDynalite
class LocalFunctionTest {

    private static final String GROUP = "expiries";
    private static final String QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:access-requests";
    private static final String ROLE_ARN = "arn:aws:iam::123456789012:role/scheduler";
    private static final ExpirySchedule SCHEDULE = new ExpirySchedule("eau-1", "at(2026-12-04T18:00:00)",
            "{\"clientRequestToken\":\"exp-1\"}", null);

    private final Dynalite dynalite;
    private final EksStandIn eks = new EksStandIn().start();
    private final EventBridgeStandIn eventBridge = new EventBridgeStandIn().start();
    private final SchedulerStandIn scheduler = new SchedulerStandIn().createGroup(GROUP).start();

    LocalFunctionTest(Dynalite dynalite) {
        this.dynalite = dynalite;
    }

    @AfterEach
    void stop() {
        eks.close();
        eventBridge.close();
        scheduler.close();
    }

    @Test
    void dependencies_whenGivenTheSchedulerStandIn_createSchedulesThere() {
        Dependencies dependencies = LocalFunction.dependencies(dynalite, "unused", eks, eventBridge, scheduler,
                Map.of());

        dependencies.expirySchedules(GROUP, QUEUE_ARN, ROLE_ARN).create(SCHEDULE, budget());

        assertThat(scheduler.schedule(GROUP, "eau-1").input()).isEqualTo(SCHEDULE.input());
    }

    @Test
    void dependencies_whenNoSchedulerStandIn_reachNoScheduler() {
        Dependencies dependencies = LocalFunction.dependencies(dynalite, "unused", eks, eventBridge, Map.of());

        assertThatThrownBy(() -> dependencies.expirySchedules(GROUP, QUEUE_ARN, ROLE_ARN).create(SCHEDULE, budget()))
                .isInstanceOf(RetryableException.class)
                .hasMessageContaining("Unable to execute HTTP request");
        assertThat(scheduler.requests()).isEmpty();
    }

    private static CallBudget budget() {
        return new CallBudget(Clock.systemUTC().instant().plusSeconds(30), Clock.systemUTC());
    }
}
