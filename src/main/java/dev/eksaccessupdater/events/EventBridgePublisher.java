package dev.eksaccessupdater.events;

import dev.eksaccessupdater.failure.FailureMessages;
import dev.eksaccessupdater.failure.RetryableException;
import dev.eksaccessupdater.time.CallBudget;
import dev.eksaccessupdater.time.CallTimeouts;
import java.util.Objects;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.eventbridge.EventBridgeClient;
import software.amazon.awssdk.services.eventbridge.model.PutEventsRequestEntry;
import software.amazon.awssdk.services.eventbridge.model.PutEventsResponse;
import software.amazon.awssdk.services.eventbridge.model.PutEventsResultEntry;

/** {@link EventPublisher} over EventBridge {@code PutEvents}, one entry per event. */
public final class EventBridgePublisher implements EventPublisher {

    private final EventBridgeClient eventBridge;
    private final String eventBusName;
    private final String eventSource;

    /**
     * @param eventBusName a bus name or ARN
     * @param eventSource the events' {@code Source}; EventBridge refuses sources starting with {@code aws.}
     */
    public EventBridgePublisher(EventBridgeClient eventBridge, String eventBusName, String eventSource) {
        this.eventBridge = Objects.requireNonNull(eventBridge, "eventBridge");
        this.eventBusName = Objects.requireNonNull(eventBusName, "eventBusName");
        this.eventSource = Objects.requireNonNull(eventSource, "eventSource");
    }

    @Override
    public void publish(AccessEvent event, CallBudget budget) {
        PutEventsRequestEntry entry = PutEventsRequestEntry.builder()
                .source(eventSource)
                .detailType(event.detailType())
                .detail(AccessEvents.toJson(event.detail()))
                .eventBusName(eventBusName)
                .resources(event.resources())
                .build();
        PutEventsResponse response;
        try {
            response = eventBridge.putEvents(request -> request.entries(entry)
                    .overrideConfiguration(CallTimeouts.within(budget, "EventBridge PutEvents")));
        } catch (SdkException e) {
            throw new RetryableException("EventBridge PutEvents failed: " + FailureMessages.oneLine(e.getMessage()), e);
        }
        verify(event, response);
    }

    /**
     * SnapStart priming: one {@code PutEvents} entry with the function's source whose {@code Detail} is not JSON.
     * EventBridge refuses that entry ({@code MalformedDetail}), so nothing reaches the bus and the role needs no
     * permission beyond the one it has.
     */
    public void prime(CallBudget budget) {
        eventBridge.putEvents(request -> request
                .entries(PutEventsRequestEntry.builder()
                        .source(eventSource)
                        .detailType("eks-access-updater priming")
                        .detail("priming: not a JSON object")
                        .eventBusName(eventBusName)
                        .build())
                .overrideConfiguration(CallTimeouts.within(budget, "EventBridge PutEvents (priming)")));
    }

    /**
     * PutEvents answers HTTP 200 when entries fail; only a result entry with an EventId means the event was
     * accepted (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevents.html,
     * "Handling failures with PutEvents").
     * Every failure is retryable here, even codes EventBridge calls permanent (AccessDeniedException,
     * MalformedDetail): dropping the message would lose its outcome without a trace, while a retry ends in the
     * dead-letter queue where an operator sees it.
     */
    private static void verify(AccessEvent event, PutEventsResponse response) {
        PutEventsResultEntry result = response.hasEntries() && !response.entries().isEmpty()
                ? response.entries().get(0) : null;
        Integer failed = response.failedEntryCount();
        if (failed != null && failed > 0 || result != null && result.errorCode() != null) {
            String code = result == null || result.errorCode() == null ? "unknown" : result.errorCode();
            String message = result == null || result.errorMessage() == null ? "" : ": " + result.errorMessage();
            throw new RetryableException("EventBridge PutEvents did not accept the '" + event.detailType()
                    + "' event: " + code + FailureMessages.oneLine(message));
        }
        if (result == null || result.eventId() == null) {
            throw new RetryableException("EventBridge PutEvents answered without an EventId for the '"
                    + event.detailType() + "' event");
        }
    }
}
