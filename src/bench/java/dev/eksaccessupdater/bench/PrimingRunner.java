package dev.eksaccessupdater.bench;

import dev.eksaccessupdater.testing.TestContext;
import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import dev.eksaccessupdater.AccessChangeFunction;
import java.time.Duration;
import java.util.Locale;

/**
 * Child JVM, one SnapStart restore as far as the JVM can tell: construct the handler (init), run the checkpoint
 * hooks it registered when the first argument is {@code prime} (the JVM runs with {@code org.crac} pointed at
 * {@link dev.eksaccessupdater.bench.crac.Core}), then time the first and the second invocation and, after five more, the median of
 * thirty warm ones. Every invocation is a batch of one message. Prints {@code BENCH priming <first> <warm median> <second>}.
 */
public final class PrimingRunner {

    private static final int WARMUP = 5;
    private static final int RUNS = 30;

    private PrimingRunner() {
    }

    public static void main(String[] args) throws Exception {
        AccessChangeFunction handler = new AccessChangeFunction();
        if (args[0].equals("prime")) {
            org.crac.Core.checkpointRestore();
        }
        long first = invoke(handler);
        long second = invoke(handler);
        Samples warm = new Samples();
        for (int run = 0; run < WARMUP + RUNS; run++) {
            long elapsed = invoke(handler);
            if (run >= WARMUP) {
                warm.add(elapsed);
            }
        }
        System.out.println(String.format(Locale.ROOT, "BENCH priming %.1f %.1f %.1f", first / 1_000_000.0,
                warm.median(), second / 1_000_000.0));
        System.out.flush();
    }

    private static long invoke(AccessChangeFunction handler) {
        long start = System.nanoTime();
        SQSBatchResponse response = handler.handleRequest(Messages.standardBatch(1), TestContext.remaining(Duration.ofMinutes(15)));
        long elapsed = System.nanoTime() - start;
        if (!response.getBatchItemFailures().isEmpty()) {
            throw new IllegalStateException("the message was retried");
        }
        return elapsed;
    }
}
