package dev.eksaccessupdater.processing;

import java.time.Duration;
import java.util.List;

/** The outcomes of one batch, in the order SQS delivered the messages. */
public record BatchResult(List<MessageResult> results, Duration duration) {

    public BatchResult {
        results = List.copyOf(results);
    }

    /** The ids to report in {@code batchItemFailures}: every message whose outcome is {@code RETRY}. */
    public List<String> retriedMessageIds() {
        return results.stream()
                .filter(result -> result.outcome().isRetry())
                .map(result -> result.message().messageId())
                .toList();
    }
}
