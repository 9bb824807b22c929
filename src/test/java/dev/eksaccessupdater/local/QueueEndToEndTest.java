package dev.eksaccessupdater.local;

import static org.assertj.core.api.Assertions.assertThat;

import dev.eksaccessupdater.LocalFunction;
import dev.eksaccessupdater.local.BatchOutcome.Result;
import dev.eksaccessupdater.local.LocalEventSourceMapping.Settings;
import dev.eksaccessupdater.local.LocalQueues.QueuePair;
import dev.eksaccessupdater.local.LocalQueues.QueueSettings;
import dev.eksaccessupdater.processing.BatchProcessor;
import dev.eksaccessupdater.standin.EksStandIn;
import dev.eksaccessupdater.standin.EventBridgeStandIn.PublishedEvent;
import dev.eksaccessupdater.testing.Dynalite;
import dev.eksaccessupdater.testing.WithDynalite;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.assertj.core.api.InstanceOfAssertFactories;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.SendMessageRequest;

/**
 * The real function behind a real queue: messages sent to ElasticMQ, received by the local event source mapping,
 * handled by the function built by its composition root on dynalite and the EKS and EventBridge stand-ins.
 */
@WithDynalite
class QueueEndToEndTest {

    private static final String CLUSTER = "demo";
    private static final String DEVELOPERS = "arn:aws:iam::111122223333:role/developers";
    private static final String ALICE = "arn:aws:iam::111122223333:user/alice";
    /** As short as the function allows: it starts no message in the last {@link BatchProcessor#SAFETY_MARGIN}. */
    private static final int VISIBILITY_TIMEOUT_SECONDS = (int) BatchProcessor.SAFETY_MARGIN.toSeconds() + 1;
    private static final Settings MAPPING = Settings.defaults()
            .withFunctionTimeout(Duration.ofSeconds(VISIBILITY_TIMEOUT_SECONDS));
    private static final Duration FIRST_MESSAGE_WAIT = Duration.ofSeconds(5);
    private static final Duration REDELIVERY_WAIT = Duration.ofSeconds(VISIBILITY_TIMEOUT_SECONDS + 5);
    private static final AtomicInteger QUEUE_NUMBER = new AtomicInteger();

    private static LocalQueues queues;
    private static SqsClient sqs;

    private final LocalFunction function;
    private final EksStandIn eks;

    QueueEndToEndTest(Dynalite dynalite) {
        function = LocalFunction.start(dynalite, Map.of("ALLOWED_KUBERNETES_GROUPS", "dev-*,team-*"));
        eks = function.eks();
        eks.putEntry(CLUSTER, DEVELOPERS, List.of("dev-viewers"), null);
        eks.putEntry(CLUSTER, ALICE, List.of(), "alice");
    }

    @BeforeAll
    static void startQueues() {
        queues = LocalQueues.start();
        sqs = queues.sqsClient();
    }

    @AfterAll
    static void stopQueues() {
        queues.close();
    }

    @AfterEach
    void stopFunction() {
        function.close();
    }

    @Test
    void handleRequest_whenRequestSent_appliesItPublishesTheEventAndDeletesTheMessage() {
        QueuePair pair = newQueues(false, 5);
        LocalEventSourceMapping mapping = mapping(pair);
        String messageId = send(pair, request(DEVELOPERS, "dev-deployers", "token-applied"), null);

        BatchOutcome outcome = mapping.pollOnce(FIRST_MESSAGE_WAIT).orElseThrow();

        assertThat(outcome.result()).isEqualTo(Result.SUCCEEDED);
        assertThat(outcome.deletedIds()).containsExactly(messageId);
        assertThat(eks.entry(CLUSTER, DEVELOPERS).kubernetesGroups())
                .containsExactlyInAnyOrder("dev-viewers", "dev-deployers");
        assertThat(function.eventBridge().events("Access Entry Updated")).singleElement()
                .satisfies(event -> assertThat(event.detail()).containsEntry("clientRequestToken", "token-applied"))
                .satisfies(event -> assertThat(event.resources())
                        .containsExactly(eks.entry(CLUSTER, DEVELOPERS).accessEntryArn()));
        assertThat(queues.counts(pair.requests()).total()).isZero();
    }

    @Test
    void handleRequest_whenSameRequestSentTwice_appliesItOnceAndDeletesBoth() {
        QueuePair pair = newQueues(false, 5);
        LocalEventSourceMapping mapping = mapping(pair);
        String body = request(DEVELOPERS, "dev-deployers", "token-twice");
        String first = send(pair, body, null);
        mapping.pollOnce(FIRST_MESSAGE_WAIT).orElseThrow();
        String second = send(pair, body, null);

        BatchOutcome outcome = mapping.pollOnce(FIRST_MESSAGE_WAIT).orElseThrow();

        assertThat(outcome.deletedIds()).containsExactly(second);
        assertThat(first).isNotEqualTo(second);
        assertThat(eks.updateCount()).isEqualTo(1);
        assertThat(function.eventBridge().events()).hasSize(1);
        assertThat(queues.counts(pair.requests()).total()).isZero();
    }

    @Test
    void handleRequest_whenMessageInvalid_publishesTheRejectionWithItsReasonAndDeletesTheMessage() {
        QueuePair pair = newQueues(false, 5);
        LocalEventSourceMapping mapping = mapping(pair);
        String messageId = send(pair, "{\"clusterName\":\"demo\",\"principalArn\":\"" + DEVELOPERS + "\","
                + "\"kubernetesGroups\":[\"system:masters\"],\"clientRequestToken\":\"token-invalid\"}", null);

        BatchOutcome outcome = mapping.pollOnce(FIRST_MESSAGE_WAIT).orElseThrow();

        assertThat(outcome.deletedIds()).containsExactly(messageId);
        assertThat(function.eventBridge().events("Access Change Rejected")).singleElement()
                .extracting(PublishedEvent::detail)
                .satisfies(detail -> assertThat(detail).containsEntry("messageId", messageId))
                .satisfies(detail -> assertThat(detail.get("reason")).asInstanceOf(InstanceOfAssertFactories.MAP)
                        .containsEntry("code", "INVALID_MESSAGE"));
        assertThat(eks.requests()).isEmpty();
    }

    @Test
    void handleRequest_whenEksFailsTransiently_redeliversAfterTheVisibilityTimeoutAndThenApplies() {
        QueuePair pair = newQueues(false, 5);
        LocalEventSourceMapping mapping = mapping(pair);
        eks.failNext(DEVELOPERS, 1_000, "ServerException", 500);
        String messageId = send(pair, request(DEVELOPERS, "dev-deployers", "token-transient"), null);

        BatchOutcome failed = mapping.pollOnce(FIRST_MESSAGE_WAIT).orElseThrow();
        eks.clearFaults();
        BatchOutcome redelivered = mapping.pollOnce(REDELIVERY_WAIT).orElseThrow();

        assertThat(failed.result()).isEqualTo(Result.PARTIALLY_FAILED);
        assertThat(failed.retriedIds()).containsExactly(messageId);
        assertThat(function.eventBridge().events()).hasSize(1);
        assertThat(redelivered.deletedIds()).containsExactly(messageId);
        assertThat(redelivered.event().getRecords().get(0).getAttributes())
                .containsEntry("ApproximateReceiveCount", "2");
        assertThat(eks.entry(CLUSTER, DEVELOPERS).kubernetesGroups()).contains("dev-deployers");
    }

    @Test
    void handleRequest_whenEksKeepsFailing_movesTheMessageToTheDeadLetterQueueAfterMaxReceiveCount() {
        QueuePair pair = newQueues(false, 2);
        LocalEventSourceMapping mapping = mapping(pair);
        eks.failNext(DEVELOPERS, 1_000, "ServerException", 500);
        String body = request(DEVELOPERS, "dev-deployers", "token-dead");
        String messageId = send(pair, body, null);

        List<BatchOutcome> outcomes = pollUntil(mapping,
                polled -> queues.counts(pair.deadLetters()).total() > 0, Duration.ofSeconds(30));

        assertThat(outcomes).hasSize(2).allSatisfy(outcome -> assertThat(outcome.retriedIds()).contains(messageId));
        List<Message> deadLetters = sqs.receiveMessage(request -> request.queueUrl(pair.deadLetters().url()))
                .messages();
        assertThat(deadLetters).extracting(Message::body).containsExactly(body);
        assertThat(queues.counts(pair.requests()).total()).isZero();
        assertThat(function.eventBridge().events()).isEmpty();
        assertThat(eks.changeCount()).isZero();
    }

    @Test
    void handleRequest_whenFifoGroupMessageFails_keepsTheGroupInOrderWhileOtherGroupsGoOn() {
        QueuePair pair = newQueues(true, 5);
        LocalEventSourceMapping mapping = mapping(pair);
        eks.failNext(DEVELOPERS, 1_000, "ServerException", 500);
        String firstOfGroup = send(pair, request(DEVELOPERS, "team-a", "token-fifo-1"), "developers");
        String secondOfGroup = send(pair, request(DEVELOPERS, "team-b", "token-fifo-2"), "developers");
        String otherGroup = send(pair, request(ALICE, "team-c", "token-fifo-3"), "alice");

        List<BatchOutcome> first = pollUntil(mapping,
                polled -> polled.stream().anyMatch(outcome -> outcome.deletedIds().contains(otherGroup)),
                Duration.ofSeconds(10));
        eks.clearFaults();
        List<BatchOutcome> later = pollUntil(mapping,
                polled -> polled.stream().anyMatch(outcome -> outcome.deletedIds().contains(secondOfGroup)),
                REDELIVERY_WAIT.plusSeconds(10));

        assertThat(first).flatExtracting(BatchOutcome::retriedIds).contains(firstOfGroup)
                .doesNotContain(otherGroup);
        assertThat(later).flatExtracting(BatchOutcome::deletedIds).containsSubsequence(firstOfGroup, secondOfGroup);
        List<String> developersEvents = function.eventBridge().events("Access Entry Updated").stream()
                .map(event -> (String) event.detail().get("clientRequestToken"))
                .filter(token -> !token.equals("token-fifo-3"))
                .toList();
        assertThat(developersEvents).containsExactly("token-fifo-1", "token-fifo-2");
        assertThat(function.eventBridge().events().get(0).detail()).containsEntry("clientRequestToken",
                "token-fifo-3");
        assertThat(eks.entry(CLUSTER, DEVELOPERS).kubernetesGroups())
                .containsExactlyInAnyOrder("dev-viewers", "team-a", "team-b");
        assertThat(queues.counts(pair.requests()).total()).isZero();
    }

    private LocalEventSourceMapping mapping(QueuePair pair) {
        return new LocalEventSourceMapping(sqs, pair, function, MAPPING, BatchListener.none(), line -> { });
    }

    /** Polls, one short long-poll at a time, until {@code done} holds for the batches so far; fails after timeout. */
    private static List<BatchOutcome> pollUntil(LocalEventSourceMapping mapping, Predicate<List<BatchOutcome>> done,
                                                Duration timeout) {
        List<BatchOutcome> outcomes = new ArrayList<>();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!done.test(outcomes)) {
            assertThat(System.nanoTime()).as("still waiting after %s; batches so far: %s", timeout, outcomes)
                    .isLessThan(deadline);
            Optional<BatchOutcome> outcome = mapping.pollOnce(Duration.ofSeconds(1));
            outcome.ifPresent(outcomes::add);
        }
        return outcomes;
    }

    private static QueuePair newQueues(boolean fifo, int maxReceiveCount) {
        return queues.createQueues("end-to-end-" + QUEUE_NUMBER.incrementAndGet(),
                new QueueSettings(fifo, maxReceiveCount, VISIBILITY_TIMEOUT_SECONDS));
    }

    private static String send(QueuePair pair, String body, String messageGroupId) {
        SendMessageRequest.Builder request = SendMessageRequest.builder()
                .queueUrl(pair.requests().url())
                .messageBody(body);
        if (messageGroupId != null) {
            request.messageGroupId(messageGroupId);
        }
        return sqs.sendMessage(request.build()).messageId();
    }

    private static String request(String principalArn, String group, String token) {
        return "{\"clusterName\":\"demo\",\"principalArn\":\"" + principalArn + "\",\"addKubernetesGroups\":[\""
                + group + "\"],\"clientRequestToken\":\"" + token + "\",\"metadata\":{\"ticket\":\"" + token + "\"}}";
    }
}
