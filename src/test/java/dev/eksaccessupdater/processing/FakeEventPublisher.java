package dev.eksaccessupdater.processing;

import dev.eksaccessupdater.events.AccessEvent;
import dev.eksaccessupdater.events.EventPublisher;
import dev.eksaccessupdater.failure.RetryableException;
import java.util.ArrayList;
import java.util.List;

/** Records published events; can be told to fail as a {@code PutEvents} with {@code FailedEntryCount > 0} would. */
final class FakeEventPublisher implements EventPublisher {

    private final List<AccessEvent> events = new ArrayList<>();
    volatile boolean failing;

    @Override
    public synchronized void publish(AccessEvent event) {
        if (failing) {
            throw new RetryableException("PutEvents FailedEntryCount 1: InternalFailure");
        }
        events.add(event);
    }

    synchronized List<AccessEvent> events() {
        return List.copyOf(events);
    }

    synchronized List<AccessEvent> events(String detailType) {
        return events.stream().filter(event -> event.detailType().equals(detailType)).toList();
    }
}
