package dev.eksaccessupdater.standin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.jr.ob.JSON;
import dev.eksaccessupdater.standin.EventBridgeStandIn.PublishedEvent;
import dev.eksaccessupdater.testing.SteppingClock;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.eventbridge.EventBridgeClient;
import software.amazon.awssdk.services.eventbridge.model.EventBridgeException;
import software.amazon.awssdk.services.eventbridge.model.PutEventsRequestEntry;
import software.amazon.awssdk.services.eventbridge.model.PutEventsResponse;

class EventBridgeStandInTest {

    private final SteppingClock clock = new SteppingClock(Instant.parse("2026-03-01T10:00:00Z"));
    private EventBridgeStandIn eventBridge;
    private EventBridgeClient client;

    @BeforeEach
    void start() {
        eventBridge = new EventBridgeStandIn(clock).start();
        client = StandInClients.eventBridge(eventBridge.endpoint());
    }

    @AfterEach
    void stop() {
        client.close();
        eventBridge.close();
    }

    @Test
    void putEvents_whenSomeEntriesFail_answersThemPerEntryAndKeepsTheOthers() {
        eventBridge.failNextEntries(1, "ThrottlingException");

        PutEventsResponse response = client.putEvents(request -> request.entries(entry("{\"n\":1}"), entry("{\"n\":2}"),
                entry("not json")));

        assertThat(response.failedEntryCount()).isEqualTo(2);
        assertThat(response.entries()).extracting(result -> result.errorCode())
                .containsExactly("ThrottlingException", null, "MalformedDetail");
        assertThat(response.entries().get(1).eventId()).isNotBlank();
        assertThat(eventBridge.events()).singleElement()
                .satisfies(event -> assertThat(event.detail()).isEqualTo(Map.of("n", 2)));
    }

    @Test
    void putEvents_whenNoEntryIsComplete_failsTheWholeCall() {
        assertThatThrownBy(() -> client.putEvents(request -> request.entries(
                PutEventsRequestEntry.builder().source("test").build())))
                .isInstanceOf(EventBridgeException.class)
                .satisfies(e -> assertThat(((EventBridgeException) e).statusCode()).isEqualTo(400));
    }

    @Test
    void failNextCalls_whenSet_failsThatManyCallsAsAWhole() {
        eventBridge.failNextCalls(2, 500, "InternalException");

        assertThatThrownBy(() -> client.putEvents(request -> request.entries(entry("{}"))))
                .isInstanceOf(EventBridgeException.class);
        assertThatThrownBy(() -> client.putEvents(request -> request.entries(entry("{}"))))
                .isInstanceOf(EventBridgeException.class);
        client.putEvents(request -> request.entries(entry("{}")));

        assertThat(eventBridge.calls()).extracting(EventBridgeStandIn.RecordedCall::status)
                .containsExactly(500, 500, 200);
        assertThat(eventBridge.events()).hasSize(1);
    }

    @Test
    void onEventAndJsonLines_whenEventAccepted_receiveTheSubscriberEnvelope(@TempDir Path directory)
            throws IOException {
        List<PublishedEvent> heard = new CopyOnWriteArrayList<>();
        Path file = directory.resolve("events.jsonl");
        eventBridge.onEvent(heard::add).writeJsonLines(file);

        client.putEvents(request -> request.entries(entry("{\"a\":\"b\"}")));

        assertThat(heard).hasSize(1);
        List<String> lines = Files.readAllLines(file);
        assertThat(lines).hasSize(1);
        Map<String, Object> envelope = JSON.std.mapFrom(lines.get(0));
        assertThat(envelope).containsEntry("version", "0").containsEntry("detail-type", "Test Event")
                .containsEntry("source", "test.source").containsEntry("time", "2026-03-01T10:00:00Z")
                .containsEntry("resources", List.of("arn:aws:eks:us-east-1:111122223333:access-entry/x"))
                .containsEntry("detail", Map.of("a", "b"))
                .containsEntry("id", heard.get(0).eventId());
    }

    @Test
    void awaitEvents_whenTooFewArrive_throwsAfterTheTimeout() throws InterruptedException {
        client.putEvents(request -> request.entries(entry("{}")));

        assertThat(eventBridge.awaitEvents(1, Duration.ofSeconds(1))).hasSize(1);
        assertThatThrownBy(() -> eventBridge.awaitEvents(2, Duration.ofMillis(50)))
                .isInstanceOf(IllegalStateException.class);
    }

    @Test
    void handle_whenTargetIsNotPutEvents_answersUnknownOperation() throws IOException, InterruptedException {
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create(eventBridge.endpoint() + "/"))
                .header("Content-Type", "application/x-amz-json-1.1")
                .header("X-Amz-Target", "AWSEvents.ListRules")
                .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(response.headers().firstValue("x-amzn-ErrorType")).contains("UnknownOperationException");
        assertThat(JSON.std.mapFrom(response.body())).containsEntry("__type", "UnknownOperationException");
    }

    private static PutEventsRequestEntry entry(String detail) {
        return PutEventsRequestEntry.builder().source("test.source").detailType("Test Event").detail(detail)
                .eventBusName("bus").resources("arn:aws:eks:us-east-1:111122223333:access-entry/x").build();
    }
}
