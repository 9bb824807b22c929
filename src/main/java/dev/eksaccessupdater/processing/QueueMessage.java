package dev.eksaccessupdater.processing;

import java.util.Objects;

/**
 * One SQS message as the processor needs it, free of Lambda event types.
 *
 * @param messageGroupId the FIFO message group, or {@code null} on a standard queue
 * @param receiveCount SQS's {@code ApproximateReceiveCount}: 1 on the first delivery
 */
public record QueueMessage(String messageId, String body, String messageGroupId, int receiveCount) {

    public QueueMessage {
        Objects.requireNonNull(messageId, "messageId");
    }

    public boolean isFifo() {
        return messageGroupId != null;
    }
}
