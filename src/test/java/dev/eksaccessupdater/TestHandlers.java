package dev.eksaccessupdater;

import dev.eksaccessupdater.processing.BatchProcessor;
import java.time.Clock;

/** Lets tests of other packages build the real handler on collaborators of their choice. */
public final class TestHandlers {

    private TestHandlers() {
    }

    /** The handler over a composition root the test built (its own endpoints, clock). */
    public static AccessChangeFunction handler(Dependencies dependencies) {
        return new AccessChangeFunction(dependencies);
    }

    /** The handler over a batch processor wired to in-memory ports. */
    public static AccessChangeFunction handler(BatchProcessor batchProcessor, Clock clock) {
        return new AccessChangeFunction(batchProcessor, clock);
    }
}
