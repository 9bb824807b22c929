package dev.eksaccessupdater.schedule;

import java.util.Objects;

/**
 * One one-time EventBridge Scheduler schedule that sends a time-bound grant's expiry message to the request queue
 * (docs/contract.md section 8).
 *
 * @param name the schedule's name, unique in the schedule group ({@code eau-} and 40 hex characters)
 * @param expression when it fires, in UTC: {@code at(2026-12-04T18:00:00)}
 * @param input the expiry message (JSON) that becomes the SQS message body
 * @param messageGroupId the original message's group id on a FIFO request queue; {@code null} on a standard one
 */
public record ExpirySchedule(String name, String expression, String input, String messageGroupId) {

    public ExpirySchedule {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(expression, "expression");
        Objects.requireNonNull(input, "input");
    }
}
