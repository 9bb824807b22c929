package dev.eksaccessupdater.testing;

import dev.eksaccessupdater.events.AccessEvent;
import dev.eksaccessupdater.events.EventPublisher;
import dev.eksaccessupdater.failure.RetryableException;
import dev.eksaccessupdater.time.CallBudget;
import java.util.ArrayList;
import java.util.List;

/** Records published events; can be told to fail as a {@code PutEvents} with {@code FailedEntryCount > 0} would. */
public final class InMemoryEventPublisher implements EventPublisher {

    private final List<AccessEvent> events = new ArrayList<>();
    public volatile boolean failing;

    @Override
    public synchronized void publish(AccessEvent event, CallBudget budget) {
        budget.timeoutFor("EventBridge PutEvents", java.time.Duration.ofSeconds(5));
        if (failing) {
            throw new RetryableException("PutEvents FailedEntryCount 1: InternalFailure");
        }
        events.add(event);
    }

    public synchronized List<AccessEvent> events() {
        return List.copyOf(events);
    }

    public synchronized List<AccessEvent> events(String detailType) {
        return events.stream().filter(event -> event.detailType().equals(detailType)).toList();
    }
}
