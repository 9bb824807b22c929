package dev.eksaccessupdater.local;

import software.amazon.awssdk.core.exception.SdkException;

/** Told about every batch a {@link LocalEventSourceMapping} hands to its function, e.g. to narrate a local run. */
@FunctionalInterface
public interface BatchListener {

    /** Called on the polling thread after the batch's messages were deleted or left on the queue. */
    void onBatch(BatchOutcome outcome);

    /**
     * Called when the polling loop could not receive (the queue is unreachable); the loop pauses and goes on, as
     * Lambda's pollers do. Does nothing unless overridden. (A failed delete shows in the batch's outcome.)
     */
    default void onPollFailure(SdkException failure) {
    }

    /** A listener that ignores everything. */
    static BatchListener none() {
        return outcome -> {
        };
    }
}
