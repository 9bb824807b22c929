package dev.eksaccessupdater;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import dev.eksaccessupdater.processing.BatchProcessor;
import dev.eksaccessupdater.processing.BatchResult;
import dev.eksaccessupdater.processing.Invocation;
import dev.eksaccessupdater.processing.QueueMessage;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.crac.Core;
import org.crac.Resource;

/**
 * The Lambda handler: turns the SQS event into queue messages, hands them to the {@link BatchProcessor} and
 * reports the messages to retry as {@code batchItemFailures}. It throws only at initialisation, for invalid
 * configuration.
 */
public final class AccessChangeFunction implements RequestHandler<SQSEvent, SQSBatchResponse> {

    /** Used when the context does not know the time left (a test or a local runner without a deadline). */
    static final Duration UNKNOWN_REMAINING_TIME = Duration.ofMinutes(1);

    private final BatchProcessor batchProcessor;
    private final Clock clock;
    /** A field because the CRaC context holds its resources only weakly. */
    private final Resource snapStartPriming;

    public AccessChangeFunction() {
        this(Dependencies.fromEnvironment(System.getenv()));
    }

    /** Registers the SnapStart hook: a no-op on a JVM without checkpoint/restore. */
    AccessChangeFunction(Dependencies dependencies) {
        this(dependencies.batchProcessor(), dependencies.clock(), new SnapStartPriming(dependencies::prime));
        Core.getGlobalContext().register(snapStartPriming);
    }

    AccessChangeFunction(BatchProcessor batchProcessor, Clock clock) {
        this(batchProcessor, clock, new SnapStartPriming(() -> { }));
    }

    private AccessChangeFunction(BatchProcessor batchProcessor, Clock clock, Resource snapStartPriming) {
        this.batchProcessor = batchProcessor;
        this.clock = clock;
        this.snapStartPriming = snapStartPriming;
    }

    @Override
    public SQSBatchResponse handleRequest(SQSEvent event, Context context) {
        BatchResult result = batchProcessor.process(messages(event), invocation(context));
        return new SQSBatchResponse(result.retriedMessageIds().stream()
                .map(SQSBatchResponse.BatchItemFailure::new)
                .toList());
    }

    private List<QueueMessage> messages(SQSEvent event) {
        if (event == null || event.getRecords() == null) {
            return List.of();
        }
        return event.getRecords().stream()
                .filter(record -> record.getMessageId() != null)
                .map(this::message)
                .toList();
    }

    private QueueMessage message(SQSEvent.SQSMessage record) {
        Map<String, String> attributes = record.getAttributes() == null ? Map.of() : record.getAttributes();
        // Only a FIFO queue's ARN ends in .fifo; a fair standard queue's records carry a MessageGroupId as well.
        boolean fifo = record.getEventSourceArn() != null && record.getEventSourceArn().endsWith(".fifo");
        return new QueueMessage(record.getMessageId(), record.getBody(), fifo, attributes.get("MessageGroupId"),
                (int) number(attributes.get("ApproximateReceiveCount"), 1),
                Instant.ofEpochMilli(number(attributes.get("SentTimestamp"), clock.millis())));
    }

    private static long number(String attribute, long fallback) {
        try {
            return attribute == null ? fallback : Long.parseLong(attribute);
        } catch (NumberFormatException notANumber) {
            return fallback;
        }
    }

    private Invocation invocation(Context context) {
        long remainingMillis = context == null ? 0 : context.getRemainingTimeInMillis();
        Duration remaining = remainingMillis > 0 ? Duration.ofMillis(remainingMillis) : UNKNOWN_REMAINING_TIME;
        return new Invocation(clock.instant().plus(remaining));
    }

    /**
     * Before Lambda takes the SnapStart snapshot, warms every client so the snapshot holds loaded and initialised
     * SDK code (Lambda developer guide, "Maximize Lambda SnapStart performance":
     * https://docs.aws.amazon.com/lambda/latest/dg/snapstart-best-practices.html). Nothing needs redoing after
     * restore: the SDK reconnects by itself and the default credentials chain reads the restored container's.
     */
    private record SnapStartPriming(Runnable prime) implements Resource {

        @Override
        public void beforeCheckpoint(org.crac.Context<? extends Resource> context) {
            prime.run();
        }

        @Override
        public void afterRestore(org.crac.Context<? extends Resource> context) {
            // Nothing to refresh: see above.
        }
    }
}
