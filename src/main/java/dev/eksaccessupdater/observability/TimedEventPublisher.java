package dev.eksaccessupdater.observability;

import dev.eksaccessupdater.time.CallBudget;
import dev.eksaccessupdater.events.AccessEvent;
import dev.eksaccessupdater.events.EventPublisher;
import java.util.function.LongSupplier;

/** Measures every call to EventBridge at the port, failures included, as the {@code EventBridgeLatency} metric. */
final class TimedEventPublisher implements EventPublisher {

    private final EventPublisher delegate;
    private final EmfMetrics metrics;
    private final LongSupplier nanoTime;

    TimedEventPublisher(EventPublisher delegate, EmfMetrics metrics, LongSupplier nanoTime) {
        this.delegate = delegate;
        this.metrics = metrics;
        this.nanoTime = nanoTime;
    }

    @Override
    public void publish(AccessEvent event, CallBudget budget) {
        CallTimer.time(metrics, EmfMetrics.EVENT_BRIDGE_LATENCY, "PutEvents", nanoTime, () -> {
            delegate.publish(event, budget);
            return null;
        });
    }
}
