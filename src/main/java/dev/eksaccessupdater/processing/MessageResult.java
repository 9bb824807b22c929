package dev.eksaccessupdater.processing;

import dev.eksaccessupdater.request.RequestSummary;
import java.time.Duration;

/** One message's outcome with what is known of its request, for the batch response and the logs. */
public record MessageResult(QueueMessage message, RequestSummary request, Outcome outcome, Duration duration) {
}
