package dev.eksaccessupdater.processing;

import dev.eksaccessupdater.failure.RejectionException;
import dev.eksaccessupdater.request.AccessChangeRequest;
import dev.eksaccessupdater.request.RequestSummary;

/** A message after step 1 (parse, validate, check policy): either a request to apply or a rejection. */
public sealed interface ParsedMessage {

    QueueMessage message();

    RequestSummary summary();

    record Valid(QueueMessage message, AccessChangeRequest request) implements ParsedMessage {
        @Override
        public RequestSummary summary() {
            return request.summary();
        }
    }

    record Invalid(QueueMessage message, RequestSummary summary, RejectionException reason) implements ParsedMessage {
    }
}
