package dev.eksaccessupdater.local;

import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import java.time.Duration;
import java.util.List;

/**
 * What happened to one batch: the event the function got, its answer, and which messages were deleted and which
 * stay on the queue to be received again after the visibility timeout (or to move to the dead-letter queue).
 *
 * @param requestId the invocation's {@code getAwsRequestId()}
 * @param reason one sentence for a narrating demo, e.g. why the whole batch failed
 * @param eventJson the event exactly as built, before the runtime's deserialisation
 * @param event the event the handler received
 * @param responseJson the handler's response as the runtime serialised it ({@code "null"} for none); {@code null}
 *     when the handler threw
 * @param error what the handler threw, {@code null} otherwise
 * @param messageIds the batch, in the order the handler saw it
 * @param deletedIds the messages deleted from the queue
 * @param retriedIds the messages left on the queue: reported failures, or the whole batch
 * @param invocationDuration from deserialising the event to serialising the response
 */
public record BatchOutcome(String requestId, Result result, String reason, String eventJson, SQSEvent event,
                           String responseJson, Throwable error, List<String> messageIds, List<String> deletedIds,
                           List<String> retriedIds, Duration invocationDuration) {

    public BatchOutcome {
        messageIds = List.copyOf(messageIds);
        deletedIds = List.copyOf(deletedIds);
        retriedIds = List.copyOf(retriedIds);
    }

    /** Lambda's verdict on the invocation. */
    public enum Result {
        /** No failure reported: every message is deleted. */
        SUCCEEDED,
        /** Valid {@code batchItemFailures}: all but the listed messages are deleted. */
        PARTIALLY_FAILED,
        /** The handler threw: nothing is deleted. */
        FUNCTION_ERROR,
        /** The handler returned after the function timeout, when Lambda would have stopped it: nothing is deleted. */
        TIMED_OUT,
        /** The response names an empty, missing or foreign {@code itemIdentifier}: nothing is deleted. */
        INVALID_RESPONSE
    }
}
