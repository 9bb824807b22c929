package dev.eksaccessupdater.events;

import dev.eksaccessupdater.testing.TestBudgets;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.jr.ob.JSON;
import dev.eksaccessupdater.failure.ReasonCode;
import dev.eksaccessupdater.failure.RetryableException;
import dev.eksaccessupdater.standin.EventBridgeStandIn;
import dev.eksaccessupdater.standin.EventBridgeStandIn.PublishedEvent;
import dev.eksaccessupdater.standin.EventBridgeStandIn.RecordedCall;
import dev.eksaccessupdater.standin.StandInClients;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import software.amazon.awssdk.services.eventbridge.EventBridgeClient;

class EventBridgePublisherTest {

    private static final String BUS = "access-changes";
    private static final String SOURCE = "eks-access-updater";
    private static final String ARN = "arn:aws:eks:us-east-1:111122223333:access-entry/dev/role/111122223333/ops/1";

    private EventBridgeStandIn eventBridge;
    private EventBridgeClient client;
    private EventBridgePublisher publisher;

    @BeforeEach
    void start() {
        eventBridge = new EventBridgeStandIn().start();
        client = StandInClients.eventBridge(eventBridge.endpoint());
        publisher = new EventBridgePublisher(client, BUS, SOURCE);
    }

    @AfterEach
    void stop() {
        client.close();
        eventBridge.close();
    }

    @Test
    void publish_whenAccepted_sendsOneEntryWithExactlyTheEventFields() throws IOException {
        Map<String, Object> detail = new LinkedHashMap<>();
        detail.put("clientRequestToken", "token-1");
        detail.put("accessEntry", Map.of("kubernetesGroups", List.of("viewers")));
        detail.put("metadata", Map.of());

        publisher.publish(new AccessEvent(AccessEvent.ACCESS_ENTRY_UPDATED, detail, List.of(ARN)), TestBudgets.aMinute());

        RecordedCall call = eventBridge.calls().get(0);
        assertThat(call.target()).isEqualTo("AWSEvents.PutEvents");
        Map<String, Object> body = JSON.std.mapFrom(call.body());
        assertThat(body).containsOnlyKeys("Entries");
        assertThat((List<?>) body.get("Entries")).hasSize(1);
        Map<String, Object> entry = onlyEntry(call);
        assertThat(entry).containsOnlyKeys("Source", "DetailType", "Detail", "EventBusName", "Resources");
        assertThat(entry.get("Source")).isEqualTo(SOURCE);
        assertThat(entry.get("DetailType")).isEqualTo("Access Entry Updated");
        assertThat(entry.get("Detail")).isEqualTo("{\"clientRequestToken\":\"token-1\","
                + "\"accessEntry\":{\"kubernetesGroups\":[\"viewers\"]},\"metadata\":{}}");
        assertThat(entry.get("EventBusName")).isEqualTo(BUS);
        assertThat(entry.get("Resources")).isEqualTo(List.of(ARN));

        PublishedEvent event = eventBridge.events().get(0);
        assertThat(event.detail()).isEqualTo(detail);
        assertThat(event.source()).isEqualTo(SOURCE);
        assertThat(event.eventBusName()).isEqualTo(BUS);
        assertThat(event.resources()).containsExactly(ARN);
    }

    @Test
    void publish_whenNoResource_sendsAnEmptyResourceList() throws IOException {
        publisher.publish(new AccessEvent(AccessEvent.ACCESS_CHANGE_REJECTED, Map.of("messageId", "m-1"), List.of()), TestBudgets.aMinute());

        Map<String, Object> entry = onlyEntry(eventBridge.calls().get(0));
        assertThat(entry.get("Resources")).isEqualTo(List.of());
        assertThat(eventBridge.events()).singleElement()
                .satisfies(event -> assertThat(event.resources()).isEmpty());
    }

    @ParameterizedTest
    @ValueSource(strings = {"InternalFailure", "ThrottlingException", "AccessDeniedException", "MalformedDetail"})
    void publish_whenEntryFailsInAnHttp200Answer_throwsRetryableNamingTheErrorCode(String errorCode) {
        eventBridge.failNextEntries(1, errorCode);

        assertThatThrownBy(() -> publisher.publish(rejection(), TestBudgets.aMinute()))
                .isInstanceOf(RetryableException.class)
                .hasMessageContaining("did not accept the 'Access Change Rejected' event: " + errorCode)
                .hasMessageContaining("Injected " + errorCode);
        assertThat(eventBridge.calls()).singleElement()
                .satisfies(call -> assertThat(call.status()).isEqualTo(200));
        assertThat(eventBridge.events()).isEmpty();
    }

    @Test
    void publish_whenSourceIsReserved_throwsRetryable() {
        EventBridgePublisher reserved = new EventBridgePublisher(client, BUS, "aws.eks");

        assertThatThrownBy(() -> reserved.publish(rejection(), TestBudgets.aMinute()))
                .isInstanceOf(RetryableException.class)
                .hasMessageContaining("NotAuthorizedForSourceException");
    }

    @ParameterizedTest
    @CsvSource({"500, InternalException", "400, ThrottlingException", "400, AccessDeniedException",
            "503, ServiceUnavailable"})
    void publish_whenCallFails_throwsRetryable(int status, String errorType) {
        eventBridge.failNextCalls(1, status, errorType);

        assertThatThrownBy(() -> publisher.publish(rejection(), TestBudgets.aMinute()))
                .isInstanceOf(RetryableException.class)
                .hasMessageStartingWith("EventBridge PutEvents failed: ")
                .hasMessageContaining("Status Code: " + status)
                .hasMessageNotContaining(StandInClients.SECRET_ACCESS_KEY);
        assertThat(eventBridge.events()).isEmpty();
    }

    @Test
    void publish_whenNothingListens_throwsRetryable() throws IOException {
        URI closed;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = URI.create("http://127.0.0.1:" + socket.getLocalPort());
        }
        try (EventBridgeClient unreachable = StandInClients.eventBridge(closed)) {
            assertThatThrownBy(() -> new EventBridgePublisher(unreachable, BUS, SOURCE).publish(rejection(), TestBudgets.aMinute()))
                    .isInstanceOf(RetryableException.class)
                    .hasMessageContaining("Unable to execute HTTP request");
        }
    }

    @Test
    void publish_whenFailureInjectedOnce_succeedsOnTheNextCall() {
        eventBridge.failNextEntries(1, "InternalFailure");

        assertThatThrownBy(() -> publisher.publish(rejection(), TestBudgets.aMinute())).isInstanceOf(RetryableException.class);
        publisher.publish(rejection(), TestBudgets.aMinute());

        assertThat(eventBridge.events()).hasSize(1);
        assertThat(eventBridge.calls()).hasSize(2);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> onlyEntry(RecordedCall call) throws IOException {
        List<Object> entries = (List<Object>) JSON.std.mapFrom(call.body()).get("Entries");
        assertThat(entries).hasSize(1);
        return (Map<String, Object>) entries.get(0);
    }

    private static AccessEvent rejection() {
        return AccessEvents.rejected("token-1", "m-1", null, ReasonCode.NOT_FOUND,
                "EKS UpdateAccessEntry: ResourceNotFoundException (HTTP 404): not found");
    }
}
