package dev.eksaccessupdater.observability;

import dev.eksaccessupdater.time.CallBudget;
import dev.eksaccessupdater.eks.AccessEntries;
import dev.eksaccessupdater.eks.AccessEntry;
import dev.eksaccessupdater.eks.AccessEntryUpdate;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/** Measures every call to EKS at the port, failures included, as the {@code EksLatency} metric. */
final class TimedAccessEntries implements AccessEntries {

    private final AccessEntries delegate;
    private final EmfMetrics metrics;
    private final LongSupplier nanoTime;

    TimedAccessEntries(AccessEntries delegate, EmfMetrics metrics, LongSupplier nanoTime) {
        this.delegate = delegate;
        this.metrics = metrics;
        this.nanoTime = nanoTime;
    }

    @Override
    public AccessEntry describe(String clusterName, String principalArn, CallBudget budget) {
        return timed("DescribeAccessEntry", () -> delegate.describe(clusterName, principalArn, budget));
    }

    @Override
    public AccessEntry update(AccessEntryUpdate update, CallBudget budget) {
        return timed("UpdateAccessEntry", () -> delegate.update(update, budget));
    }

    private AccessEntry timed(String operation, Supplier<AccessEntry> call) {
        return CallTimer.time(metrics, EmfMetrics.EKS_LATENCY, operation, nanoTime, call);
    }
}
