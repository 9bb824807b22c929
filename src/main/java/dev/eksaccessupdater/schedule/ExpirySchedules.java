package dev.eksaccessupdater.schedule;

import dev.eksaccessupdater.time.CallBudget;

/**
 * The port to the expiry schedules of time-bound grants: {@link #create} creates the one-time schedule, succeeds
 * also when a schedule of that name exists with the same input, and throws
 * {@link dev.eksaccessupdater.failure.RetryableException} for every failure.
 */
public interface ExpirySchedules {

    void create(ExpirySchedule schedule, CallBudget budget);
}
