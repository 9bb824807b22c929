package dev.eksaccessupdater.reliability;

import dev.eksaccessupdater.testing.TestContext;
import static org.assertj.core.api.Assertions.assertThat;

import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import dev.eksaccessupdater.LocalFunction;
import dev.eksaccessupdater.eks.EksClientToken;
import dev.eksaccessupdater.request.CanonicalForm;
import dev.eksaccessupdater.request.RequestParser;
import dev.eksaccessupdater.standin.EksStandIn;
import dev.eksaccessupdater.standin.EventBridgeStandIn.PublishedEvent;
import dev.eksaccessupdater.testing.Dynalite;
import dev.eksaccessupdater.testing.WithDynalite;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;

/**
 * Two Lambda instances (separate client stacks on one table and the same EKS/EventBridge) process overlapping
 * batches with the same tokens at the same moment: the conditional claim lets exactly one apply each token.
 */
@WithDynalite
class RaceTest {

    private static final int PRINCIPALS = 6;
    private static final int ROUNDS = 5;
    private static final Map<String, String> SETTINGS = Map.of("MAX_CONCURRENCY", "4");
    private static final Duration REMAINING = Duration.ofSeconds(30);

    private final Dynalite dynalite;

    RaceTest(Dynalite dynalite) {
        this.dynalite = dynalite;
    }

    private static String principal(int index) {
        return "arn:aws:iam::111122223333:role/race-" + index;
    }

    @Test
    void handleRequest_whenTwoInstancesRaceOnTheSameTokens_appliesEachTokenOnceWithOneEvent() throws Exception {
        ExecutorService threads = Executors.newFixedThreadPool(2);
        try (LocalFunction one = LocalFunction.start(dynalite, SETTINGS)) {
            LocalFunction two = one.anotherInstance(SETTINGS);
            for (int index = 0; index < PRINCIPALS; index++) {
                one.eks().putEntry("demo", principal(index), List.of("viewers"), "user-" + index);
            }
            List<String> tokens = new ArrayList<>();
            List<String> outcomes = new ArrayList<>();
            for (int round = 0; round < ROUNDS; round++) {
                List<SQSEvent.SQSMessage> batchOne = new ArrayList<>();
                List<SQSEvent.SQSMessage> batchTwo = new ArrayList<>();
                for (int index = 0; index < PRINCIPALS; index++) {
                    String token = "race-" + round + "-" + index;
                    tokens.add(token);
                    String body = Messages.add(principal(index), "team-" + round, token);
                    batchOne.add(Messages.record("one-" + token, body, null, 1));
                    batchTwo.add(Messages.record("two-" + token, body, null, 1));
                }
                // A duplicate inside one batch too: SPEC section 3 says it is applied once.
                batchOne.add(Messages.record("one-again-" + round, batchOne.get(0).getBody(), null, 1));
                Collections.reverse(batchTwo);

                CountDownLatch start = new CountDownLatch(1);
                Future<SQSBatchResponse> first = threads.submit(() -> {
                    start.await();
                    return one.handleRequest(Messages.event(batchOne), TestContext.remaining(REMAINING));
                });
                Future<SQSBatchResponse> second = threads.submit(() -> {
                    start.await();
                    return two.handleRequest(Messages.event(batchTwo), TestContext.remaining(REMAINING));
                });
                start.countDown();
                List<SQSEvent.SQSMessage> retried = new ArrayList<>(failed(first.get(60, TimeUnit.SECONDS), batchOne));
                retried.addAll(failed(second.get(60, TimeUnit.SECONDS), batchTwo));
                retried.forEach(message -> outcomes.add("RETRY"));
                // SQS delivers the retried messages again, after both invocations ended: now they are duplicates.
                for (int redelivery = 0; !retried.isEmpty() && redelivery < 3; redelivery++) {
                    LocalFunction instance = redelivery % 2 == 0 ? one : two;
                    SQSBatchResponse response = instance.handleRequest(Messages.event(retried), null);
                    retried = new ArrayList<>(failed(response, retried));
                }
                assertThat(retried).as("still retried after the race ended").isEmpty();
            }

            assertThat(one.eventBridge().events("Access Change Rejected")).as("only APPLIED, DUPLICATE, RETRY")
                    .isEmpty();
            Map<Object, Long> updatedPerToken = one.eventBridge().events("Access Entry Updated").stream()
                    .collect(Collectors.groupingBy(event -> event.detail().get("clientRequestToken"),
                            Collectors.counting()));
            assertThat(updatedPerToken.keySet()).containsExactlyInAnyOrderElementsOf(tokens);
            assertThat(updatedPerToken.values()).as("Updated events per token").containsOnly(1L);
            Map<Object, Long> updatesPerEksToken = one.eks().requests(EksStandIn.UPDATE).stream()
                    .collect(Collectors.groupingBy(update -> update.body().get("clientRequestToken"),
                            Collectors.counting()));
            RequestParser parser = new RequestParser();
            for (String token : tokens) {
                int index = Integer.parseInt(token.substring(token.lastIndexOf('-') + 1));
                String round = token.split("-")[1];
                String eksToken = EksClientToken.derive(token, CanonicalForm.hash(
                        parser.parse(Messages.add(principal(index), "team-" + round, token), "any")));
                assertThat(updatesPerEksToken.get(eksToken)).as("UpdateAccessEntry calls for %s", token).isEqualTo(1L);
            }
            assertThat(one.eks().changeCount()).isEqualTo(ROUNDS * PRINCIPALS);
            for (int index = 0; index < PRINCIPALS; index++) {
                List<String> expected = new ArrayList<>(List.of("viewers"));
                for (int round = 0; round < ROUNDS; round++) {
                    expected.add("team-" + round);
                }
                assertThat(one.eks().entry("demo", principal(index)).kubernetesGroups())
                        .containsExactlyInAnyOrderElementsOf(expected);
            }
            System.out.printf("RaceTest: %d messages retried because the other instance held the token%n",
                    outcomes.size());
        } finally {
            threads.shutdownNow();
        }
    }

    /**
     * Known gap, not fixed (see the README, "Failure modes"): two instances changing the same entry for different
     * tokens both read it before either writes, and the second write undoes the first. EKS has no conditional
     * update; closing this needs a lock per entry (or FIFO groups per entry).
     */
    @Test
    @Disabled("known gap: concurrent changes to one entry from two instances can lose an update (README)")
    void handleRequest_whenTwoInstancesChangeOneEntryAtOnce_keepsBothChanges() throws Exception {
        try (ProxiedStack stack = ProxiedStack.start(dynalite, Map.of())) {
            String target = principal(0);
            stack.eks().putEntry("demo", target, List.of("viewers", "revoked-group"), "user");
            ProxiedStack.Instance one = stack.instance(Duration.ZERO);
            ProxiedStack.Instance two = stack.instance(Duration.ZERO);
            CyclicBarrier bothRead = new CyclicBarrier(2);
            for (ProxiedStack.Instance instance : List.of(one, two)) {
                instance.eks.onCall(call -> {
                    if (call.operation().equals("DescribeAccessEntry")) {
                        try {
                            bothRead.await(5, TimeUnit.SECONDS);
                        } catch (Exception timeout) {
                            // Only one read: no race this time.
                        }
                    }
                });
            }
            String revoke = "{\"clusterName\":\"demo\",\"principalArn\":\"" + target
                    + "\",\"removeKubernetesGroups\":[\"revoked-group\"],\"clientRequestToken\":\"revoke-1\"}";
            String grant = Messages.add(target, "team-new", "grant-1");
            ExecutorService threads = Executors.newFixedThreadPool(2);
            try {
                Function<ProxiedStack.Instance, Function<String, Future<?>>> send = instance -> body ->
                        threads.submit(() -> instance.invoke(Messages.event(
                                Messages.record("m-" + body.hashCode(), body, null, 1)), Duration.ofSeconds(30)));
                Future<?> first = send.apply(one).apply(revoke);
                Future<?> second = send.apply(two).apply(grant);
                first.get(30, TimeUnit.SECONDS);
                second.get(30, TimeUnit.SECONDS);
            } finally {
                threads.shutdownNow();
            }
            List<PublishedEvent> updated = stack.eventBridge().events("Access Entry Updated");
            assertThat(updated).hasSize(2);
            assertThat(stack.eks().entry("demo", target).kubernetesGroups())
                    .containsExactlyInAnyOrder("viewers", "team-new");
        }
    }

    private static List<SQSEvent.SQSMessage> failed(SQSBatchResponse response, List<SQSEvent.SQSMessage> batch) {
        List<String> ids = response.getBatchItemFailures().stream()
                .map(SQSBatchResponse.BatchItemFailure::getItemIdentifier).toList();
        return batch.stream().filter(message -> ids.contains(message.getMessageId())).toList();
    }
}
