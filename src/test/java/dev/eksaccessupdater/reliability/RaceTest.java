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
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Two Lambda instances (separate client stacks on one table and the same EKS/EventBridge) process overlapping
 * batches with the same tokens at the same moment: the conditional claim lets exactly one apply each token, and the
 * entry lease lets one change of an entry run at a time.
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
                // A duplicate inside one batch too: docs/contract.md section 3 says it is applied once.
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
            // Each UpdateAccessEntry belongs to the request whose token, hash and the parameters sent derive its EKS
            // token (contract section 2.2): one call per token, none for a token another instance had claimed.
            RequestParser parser = new RequestParser();
            Map<String, Long> updatesPerToken = new java.util.HashMap<>();
            for (EksStandIn.RecordedRequest update : one.eks().requests(EksStandIn.UPDATE)) {
                @SuppressWarnings("unchecked")
                List<String> groups = (List<String>) update.body().get("kubernetesGroups");
                String token = tokens.stream().filter(candidate -> {
                    int index = Integer.parseInt(candidate.substring(candidate.lastIndexOf('-') + 1));
                    String round = candidate.split("-")[1];
                    String hash = CanonicalForm.hash(
                            parser.parse(Messages.add(principal(index), "team-" + round, candidate), "any"));
                    return EksClientToken.derive(candidate, hash, groups, (String) update.body().get("username"))
                            .equals(update.body().get("clientRequestToken"));
                }).findFirst().orElse(null);
                assertThat(token).as("the request of UpdateAccessEntry %s", update.body()).isNotNull();
                updatesPerToken.merge(token, 1L, Long::sum);
            }
            for (String token : tokens) {
                assertThat(updatesPerToken.get(token)).as("UpdateAccessEntry calls for %s", token).isEqualTo(1L);
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
     * Two instances change the same entry for different tokens at the same moment. Without the entry lease both would
     * read the entry before either writes, and the second write would undo the first (contract version 1's known
     * gap). With it, one waits (or is retried) until the other has written: the reads and writes of the entry
     * alternate, each change is computed on the other's result, and both changes are kept.
     */
    @Test
    void handleRequest_whenTwoInstancesChangeOneEntryAtOnce_keepsBothChanges() throws Exception {
        try (ProxiedStack stack = ProxiedStack.start(dynalite, Map.of())) {
            String target = principal(0);
            stack.eks().putEntry("demo", target, List.of("viewers", "revoked-group"), "user");
            ProxiedStack.Instance one = stack.instance(Duration.ZERO);
            ProxiedStack.Instance two = stack.instance(Duration.ZERO);
            // Each read holds on for the other instance's read, up to a second: without the lease both would read
            // in this window; with it the second read waits for the first change.
            CountDownLatch bothRead = new CountDownLatch(2);
            for (ProxiedStack.Instance instance : List.of(one, two)) {
                instance.eks.onCall(call -> {
                    if (call.operation().equals("DescribeAccessEntry")) {
                        bothRead.countDown();
                        try {
                            bothRead.await(1, TimeUnit.SECONDS);
                        } catch (InterruptedException interrupted) {
                            Thread.currentThread().interrupt();
                        }
                    }
                });
            }
            String revoke = "{\"clusterName\":\"demo\",\"principalArn\":\"" + target
                    + "\",\"removeKubernetesGroups\":[\"revoked-group\"],\"clientRequestToken\":\"revoke-1\"}";
            String grant = Messages.add(target, "team-new", "grant-1");
            ExecutorService threads = Executors.newFixedThreadPool(2);
            try {
                Map<ProxiedStack.Instance, String> bodies = Map.of(one, revoke, two, grant);
                Map<ProxiedStack.Instance, Future<ProxiedStack.Invocation>> running = new java.util.HashMap<>();
                bodies.forEach((instance, body) -> running.put(instance, threads.submit(() -> instance.invoke(
                        Messages.event(Messages.record("m-" + body.hashCode(), body, null, 1)),
                        Duration.ofSeconds(30)))));
                for (Map.Entry<ProxiedStack.Instance, Future<ProxiedStack.Invocation>> each : running.entrySet()) {
                    ProxiedStack.Invocation invocation = each.getValue().get(30, TimeUnit.SECONDS);
                    // A message that gave up waiting for the lease is retried: SQS delivers it again.
                    for (int receive = 2; !invocation.failedIds().isEmpty() && receive <= 3; receive++) {
                        String body = bodies.get(each.getKey());
                        invocation = each.getKey().invoke(Messages.event(
                                Messages.record("m-" + body.hashCode(), body, null, receive)), Duration.ofSeconds(30));
                    }
                    assertThat(invocation.failedIds()).as("still retried").isEmpty();
                }
            } finally {
                threads.shutdownNow();
            }
            List<PublishedEvent> updated = stack.eventBridge().events("Access Entry Updated");
            assertThat(updated).extracting(event -> event.detail().get("clientRequestToken"))
                    .containsExactlyInAnyOrder("revoke-1", "grant-1");
            assertThat(stack.eks().entry("demo", target).kubernetesGroups())
                    .containsExactlyInAnyOrder("viewers", "team-new");
            assertThat(stack.eks().requests().stream().map(EksStandIn.RecordedRequest::operation).toList())
                    .as("reads and writes of the entry alternate").containsExactly(EksStandIn.DESCRIBE,
                            EksStandIn.UPDATE, EksStandIn.DESCRIBE, EksStandIn.UPDATE);
            assertThat(stack.claimViolations()).isEmpty();
        }
    }

    private static List<SQSEvent.SQSMessage> failed(SQSBatchResponse response, List<SQSEvent.SQSMessage> batch) {
        List<String> ids = response.getBatchItemFailures().stream()
                .map(SQSBatchResponse.BatchItemFailure::getItemIdentifier).toList();
        return batch.stream().filter(message -> ids.contains(message.getMessageId())).toList();
    }
}
