package dev.eksaccessupdater.testing;

import dev.eksaccessupdater.failure.RetryableException;
import dev.eksaccessupdater.schedule.ExpirySchedule;
import dev.eksaccessupdater.schedule.ExpirySchedules;
import dev.eksaccessupdater.time.CallBudget;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@link ExpirySchedules} in memory, as EventBridge Scheduler behaves for them: a name is created once, and a
 * second create of the same name succeeds only with the same input.
 */
public final class InMemoryExpirySchedules implements ExpirySchedules {

    private final Map<String, ExpirySchedule> schedules = new LinkedHashMap<>();
    private int failures;

    @Override
    public synchronized void create(ExpirySchedule schedule, CallBudget budget) {
        budget.timeoutFor("Scheduler CreateSchedule", Duration.ofSeconds(5));
        if (failures > 0) {
            failures--;
            throw new RetryableException("Scheduler CreateSchedule: injected failure");
        }
        ExpirySchedule existing = schedules.putIfAbsent(schedule.name(), schedule);
        if (existing != null && !existing.input().equals(schedule.input())) {
            throw new RetryableException("Scheduler CreateSchedule: " + schedule.name() + " exists with another input");
        }
    }

    /** The next {@code count} creates fail, as when Scheduler is down. */
    public synchronized void failNext(int count) {
        failures = count;
    }

    public synchronized List<ExpirySchedule> schedules() {
        return List.copyOf(schedules.values());
    }

    /** Removes and returns the schedule, as DELETE after completion does once it fired. */
    public synchronized ExpirySchedule fire(String name) {
        return schedules.remove(name);
    }
}
