package dev.eksaccessupdater.processing;

import java.time.Instant;
import java.util.Objects;

/**
 * One SQS message as the processor needs it, free of Lambda event types.
 *
 * @param fifo the message came from a FIFO queue (its {@code eventSourceARN} ends in {@code .fifo}); a standard
 *     queue's records may carry a {@code MessageGroupId} too (SQS fair queues), which does not make them FIFO
 * @param messageGroupId the message group, or {@code null} when SQS gave none
 * @param receiveCount SQS's {@code ApproximateReceiveCount}: 1 on the first delivery
 * @param sentAt SQS's {@code SentTimestamp}: when the approval system sent the request
 */
public record QueueMessage(String messageId, String body, boolean fifo, String messageGroupId, int receiveCount,
                           Instant sentAt) {

    public QueueMessage {
        Objects.requireNonNull(messageId, "messageId");
        Objects.requireNonNull(sentAt, "sentAt");
    }

    /** A standard queue's message. */
    public static QueueMessage standard(String messageId, String body, Instant sentAt) {
        return new QueueMessage(messageId, body, false, null, 1, sentAt);
    }

    /** A FIFO queue's message of {@code messageGroupId}. */
    public static QueueMessage fifo(String messageId, String body, String messageGroupId, Instant sentAt) {
        return new QueueMessage(messageId, body, true, Objects.requireNonNull(messageGroupId, "messageGroupId"), 1,
                sentAt);
    }

    public boolean isFifo() {
        return fifo;
    }
}
