package dev.eksaccessupdater.events;

import dev.eksaccessupdater.failure.RetryableException;
import java.util.Objects;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.eventbridge.EventBridgeClient;
import software.amazon.awssdk.services.eventbridge.model.PutEventsRequestEntry;
import software.amazon.awssdk.services.eventbridge.model.PutEventsResponse;
import software.amazon.awssdk.services.eventbridge.model.PutEventsResultEntry;

/** {@link EventPublisher} over EventBridge {@code PutEvents}, one entry per event. */
public final class EventBridgePublisher implements EventPublisher {

    private static final int MAX_MESSAGE_LENGTH = 400;

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
    public void publish(AccessEvent event) {
        PutEventsRequestEntry entry = PutEventsRequestEntry.builder()
                .source(eventSource)
                .detailType(event.detailType())
                .detail(AccessEvents.toJson(event.detail()))
                .eventBusName(eventBusName)
                .resources(event.resources())
                .build();
        PutEventsResponse response;
        try {
            response = eventBridge.putEvents(request -> request.entries(entry));
        } catch (SdkException e) {
            throw new RetryableException("EventBridge PutEvents failed: " + oneLine(e.getMessage()), e);
        }
        verify(event, response);
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
                    + "' event: " + code + oneLine(message));
        }
        if (result == null || result.eventId() == null) {
            throw new RetryableException("EventBridge PutEvents answered without an EventId for the '"
                    + event.detailType() + "' event");
        }
    }

    private static String oneLine(String text) {
        String line = String.valueOf(text).replaceAll("\\s+", " ").strip();
        return line.length() <= MAX_MESSAGE_LENGTH ? line : line.substring(0, MAX_MESSAGE_LENGTH - 3) + "...";
    }
}
