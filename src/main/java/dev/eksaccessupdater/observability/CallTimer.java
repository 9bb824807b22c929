package dev.eksaccessupdater.observability;

import java.time.Duration;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/** Times one call on a monotonic clock and reports it, whether it returns or throws; the exception goes on as is. */
final class CallTimer {

    private CallTimer() {
    }

    static <T> T time(EmfMetrics metrics, String metric, String operation, LongSupplier nanoTime, Supplier<T> call) {
        long start = nanoTime.getAsLong();
        boolean failed = true;
        try {
            T result = call.get();
            failed = false;
            return result;
        } finally {
            metrics.latency(metric, operation, Duration.ofNanos(nanoTime.getAsLong() - start), failed);
        }
    }
}
