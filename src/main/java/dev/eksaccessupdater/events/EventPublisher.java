package dev.eksaccessupdater.events;

import dev.eksaccessupdater.time.CallBudget;

/**
 * The port to the event bus. {@code publish} returns only when the bus accepted the event: a partial
 * failure ({@code FailedEntryCount > 0}) is thrown as {@link dev.eksaccessupdater.failure.RetryableException}
 * (or {@link dev.eksaccessupdater.failure.RejectionException} never: a permanent bus error is still retried,
 * so that no outcome goes unseen).
 */
public interface EventPublisher {

    void publish(AccessEvent event, CallBudget budget);
}
