package dev.eksaccessupdater.bench;

import dev.eksaccessupdater.testing.TestContext;
import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import dev.eksaccessupdater.AccessChangeFunction;
import java.time.Duration;
import java.util.Locale;

/**
 * Child JVM: the handler as the runtime builds it (no-arg constructor, settings from the environment the parent
 * gives), then batches, each timed from the call to the returned response. Arguments: {@code kind:size:warmup:runs}
 * with kind {@code standard} or {@code fifo5} (five message groups). Prints {@code BENCH result ...} per argument.
 */
public final class WarmRunner {

    private WarmRunner() {
    }

    public static void main(String[] args) {
        AccessChangeFunction handler = new AccessChangeFunction();
        for (String spec : args) {
            String[] parts = spec.split(":");
            String kind = parts[0];
            int size = Integer.parseInt(parts[1]);
            int warmup = Integer.parseInt(parts[2]);
            int runs = Integer.parseInt(parts[3]);
            Samples samples = new Samples();
            for (int run = 0; run < warmup + runs; run++) {
                SQSEvent event = kind.equals("fifo5") ? Messages.fifoBatch(size, 5) : Messages.standardBatch(size);
                long start = System.nanoTime();
                SQSBatchResponse response = handler.handleRequest(event, TestContext.remaining(Duration.ofMinutes(15)));
                long elapsed = System.nanoTime() - start;
                if (!response.getBatchItemFailures().isEmpty()) {
                    System.out.println("BENCH failed " + spec + ": " + response.getBatchItemFailures().size()
                            + " messages to retry");
                    System.exit(1);
                }
                if (run >= warmup) {
                    samples.add(elapsed);
                }
            }
            System.out.println(String.format(Locale.ROOT, "BENCH result %s %d %.1f %.1f %.1f %d", kind, size,
                    samples.median(), samples.percentile(90), samples.min(), samples.count()));
        }
        System.out.flush();
    }
}
