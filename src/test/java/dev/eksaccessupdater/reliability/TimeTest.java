package dev.eksaccessupdater.reliability;

import dev.eksaccessupdater.testing.TestContext;
import static org.assertj.core.api.Assertions.assertThat;

import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import dev.eksaccessupdater.LocalFunction;
import dev.eksaccessupdater.processing.BatchProcessor;
import dev.eksaccessupdater.standin.EksStandIn;
import dev.eksaccessupdater.testing.Dynalite;
import dev.eksaccessupdater.testing.WithDynalite;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * Time (invariant 6): no message is started with less than {@link BatchProcessor#SAFETY_MARGIN} of the invocation
 * left (it is retried, unclaimed), and a dependency that hangs cannot keep the handler past the invocation's
 * deadline: the SDK's attempt and call timeouts end each call, and the batch stops waiting before the deadline.
 */
@WithDynalite
class TimeTest {

    private static final List<String> PRINCIPALS = Messages.PRINCIPALS;

    private final Dynalite dynalite;

    TimeTest(Dynalite dynalite) {
        this.dynalite = dynalite;
    }

    @Test
    void handleRequest_whenLessThanTheSafetyMarginIsLeft_startsNothingAndClaimsNothing() {
        try (MemoryHarness harness = new MemoryHarness(Map.of(), 4)) {
            PRINCIPALS.forEach(principal -> harness.putEntry(principal, Set.of("viewers"), "user"));
            Duration remaining = BatchProcessor.SAFETY_MARGIN.minusMillis(500);

            SQSBatchResponse response = harness.handler().handleRequest(Messages.event(
                    Messages.record("m1", Messages.add(PRINCIPALS.get(0), "team-a", "t1"), null, 1),
                    Messages.record("m2", Messages.add(PRINCIPALS.get(1), "team-a", "t2"), null, 1)),
                    TestContext.remaining(remaining));

            assertThat(response.getBatchItemFailures()).extracting(SQSBatchResponse.BatchItemFailure::getItemIdentifier)
                    .containsExactly("m1", "m2");
            assertThat(harness.inProgressClaims()).isEmpty();
            assertThat(harness.updatesSent()).isEmpty();
            assertThat(harness.logLines).filteredOn(line -> line.contains("\"event\":\"message\""))
                    .allSatisfy(line -> assertThat(line).contains("too little of the invocation was left"));
        }
    }

    @Test
    void handleRequest_whenTheBatchRunsIntoTheSafetyMargin_retriesTheRestUnclaimed() {
        try (LocalFunction function = LocalFunction.start(dynalite, Map.of("MAX_CONCURRENCY", "1"))) {
            PRINCIPALS.forEach(principal -> function.eks().putEntry("demo", principal, List.of("viewers"), "user"));
            // Describe and update take 1.2 s each: after the first message less than the margin is left.
            function.eks().delay(Duration.ofMillis(1_200));

            SQSBatchResponse response = function.handleRequest(Messages.event(
                    Messages.record("m1", Messages.add(PRINCIPALS.get(0), "team-a", "t1"), null, 1),
                    Messages.record("m2", Messages.add(PRINCIPALS.get(1), "team-a", "t2"), null, 1),
                    Messages.record("m3", Messages.add(PRINCIPALS.get(2), "team-a", "t3"), null, 1)),
                    TestContext.remaining(BatchProcessor.SAFETY_MARGIN.plusSeconds(2)));

            assertThat(response.getBatchItemFailures()).extracting(SQSBatchResponse.BatchItemFailure::getItemIdentifier)
                    .containsExactly("m2", "m3");
            assertThat(item(function, "t1").get("status").s()).isEqualTo("COMPLETED");
            assertThat(item(function, "t2")).isEmpty();
            assertThat(item(function, "t3")).isEmpty();
            assertThat(function.eks().requests()).allSatisfy(request ->
                    assertThat(request.principalArn()).isEqualTo(PRINCIPALS.get(0)));
        }
    }

    @Test
    void handleRequest_whenEksHangs_returnsBeforeTheDeadlineWithEveryMessageRetried() {
        try (LocalFunction function = LocalFunction.start(dynalite, Map.of("MAX_CONCURRENCY", "1"))) {
            PRINCIPALS.forEach(principal -> function.eks().putEntry("demo", principal, List.of("viewers"), "user"));
            // Far beyond the 2 s attempt timeout: every EKS call ends at the 5 s call timeout.
            function.eks().delay(Duration.ofSeconds(30));
            // The second message starts with about 4.5 s left, more than the margin, less than one call timeout.
            Duration remaining = Duration.ofMillis(9_500);

            long started = System.nanoTime();
            SQSBatchResponse response = function.handleRequest(Messages.event(
                    Messages.record("m1", Messages.add(PRINCIPALS.get(0), "team-a", "t1"), null, 1),
                    Messages.record("m2", Messages.add(PRINCIPALS.get(1), "team-a", "t2"), null, 1),
                    Messages.record("m3", Messages.add(PRINCIPALS.get(2), "team-a", "t3"), null, 1)),
                    TestContext.remaining(remaining));
            Duration took = Duration.ofNanos(System.nanoTime() - started);

            // Lambda stops the invocation at the deadline: an answer at the deadline is an answer lost, and the
            // whole batch, finished messages included, would come back.
            assertThat(took).isLessThan(remaining.minusMillis(200));
            assertThat(response.getBatchItemFailures()).extracting(SQSBatchResponse.BatchItemFailure::getItemIdentifier)
                    .containsExactly("m1", "m2", "m3");
            assertThat(function.eks().changeCount()).isZero();
            assertThat(function.eks().requests(EksStandIn.UPDATE)).isEmpty();
        }
    }

    private static Map<String, AttributeValue> item(LocalFunction function, String token) {
        return function.dynamoDb().getItem(get -> get.tableName(function.tableName())
                .key(Map.of("clientRequestToken", AttributeValue.fromS(token))).consistentRead(true)).item();
    }
}
