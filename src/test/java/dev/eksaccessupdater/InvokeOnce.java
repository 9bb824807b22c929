package dev.eksaccessupdater;

import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.tests.EventLoader;

/**
 * Runs the handler as the Lambda runtime builds it — the public no-arg constructor, settings and endpoints from the
 * process environment only — on one event file, and prints the ids to retry. Used in a child JVM by
 * {@link DeployedHandlerTest}.
 */
public final class InvokeOnce {

    private InvokeOnce() {
    }

    public static void main(String[] arguments) {
        SQSBatchResponse response = new AccessChangeFunction().handleRequest(EventLoader.loadSQSEvent(arguments[0]), null);
        System.out.println("RETRY=" + response.getBatchItemFailures().stream()
                .map(SQSBatchResponse.BatchItemFailure::getItemIdentifier).toList());
    }
}
