package dev.eksaccessupdater.dedup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.entry;

import dev.eksaccessupdater.failure.RetryableException;
import dev.eksaccessupdater.testing.Dynalite;
import dev.eksaccessupdater.testing.WithDynalite;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.PutItemRequest;
import software.amazon.awssdk.services.dynamodb.model.ResourceNotFoundException;

@WithDynalite
class DynamoDbIdempotencyStoreTest {

    private static final Duration TTL = Duration.ofDays(7);
    private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");
    private static final Instant UNTIL = NOW.plus(Duration.ofMinutes(5));
    private static final String HASH = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
    private static final String OTHER_HASH = "60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752";
    private static final String ENTRY = "{\"clusterName\":\"prod\",\"kubernetesGroups\":[\"viewers\"]}";

    private final Dynalite dynalite;
    private final DynamoDbClient client;
    private final String table;
    private final DynamoDbIdempotencyStore store;
    private final String token = "token-" + UUID.randomUUID();

    DynamoDbIdempotencyStoreTest(Dynalite dynalite) {
        this.dynalite = dynalite;
        this.client = dynalite.dynamoDbClient();
        this.table = dynalite.createIdempotencyTable("idempotency-" + UUID.randomUUID());
        this.store = new DynamoDbIdempotencyStore(client, table, TTL);
    }

    @Test
    void claim_whenTokenIsAbsent_acquiresAndWritesTheSpecAttributes() {
        assertThat(store.claim(token, HASH, NOW, UNTIL)).isEqualTo(new ClaimResult.Acquired(token, HASH, UNTIL));

        assertThat(item()).containsOnly(
                entry("clientRequestToken", string(token)),
                entry("status", string("IN_PROGRESS")),
                entry("requestHash", string(HASH)),
                entry("inProgressUntil", number(UNTIL.toEpochMilli())),
                entry("expiresAt", number(NOW.plus(TTL).getEpochSecond())));
    }

    @Test
    void claim_whenAnotherClaimHolds_returnsInProgressAndKeepsIt() {
        store.claim(token, HASH, NOW, UNTIL);
        Map<String, AttributeValue> held = item();

        assertThat(store.claim(token, HASH, NOW.plusSeconds(1), UNTIL.plusSeconds(1)))
                .isEqualTo(new ClaimResult.InProgress(token, UNTIL));
        assertThat(item()).isEqualTo(held);
    }

    @Test
    void claim_whenInProgressUntilIsNow_returnsInProgress() {
        store.claim(token, HASH, NOW, UNTIL);

        assertThat(store.claim(token, HASH, UNTIL, UNTIL.plusSeconds(60)))
                .isEqualTo(new ClaimResult.InProgress(token, UNTIL));
    }

    @Test
    void claim_whenInProgressClaimLapsed_takesItOver() {
        store.claim(token, HASH, NOW, UNTIL);
        Instant later = UNTIL.plusMillis(1);
        Instant laterUntil = later.plus(Duration.ofMinutes(5));

        assertThat(store.claim(token, OTHER_HASH, later, laterUntil))
                .isEqualTo(new ClaimResult.Acquired(token, OTHER_HASH, laterUntil));
        assertThat(item()).contains(
                entry("requestHash", string(OTHER_HASH)),
                entry("inProgressUntil", number(laterUntil.toEpochMilli())));
    }

    @Test
    void claim_whenTtlIsShorterThanTheClaim_keepsTheClaimUntilItLapses() {
        DynamoDbIdempotencyStore shortLived = new DynamoDbIdempotencyStore(client, table, Duration.ofSeconds(60));
        Instant until = NOW.plus(Duration.ofMinutes(15));
        shortLived.claim(token, HASH, NOW, until);

        assertThat(shortLived.claim(token, HASH, NOW.plus(Duration.ofMinutes(10)), until.plusSeconds(600)))
                .isEqualTo(new ClaimResult.InProgress(token, until));
        assertThat(item()).contains(entry("expiresAt", number(until.getEpochSecond() + 1)));
    }

    @Test
    void complete_whenClaimIsHeld_marksTheRecordCompletedForTheTtl() {
        ClaimResult.Acquired claim = acquire(NOW, UNTIL);
        Instant completedAt = NOW.plusSeconds(30);

        assertThat(store.complete(claim, ENTRY, completedAt)).isTrue();
        assertThat(item()).containsOnly(
                entry("clientRequestToken", string(token)),
                entry("status", string("COMPLETED")),
                entry("requestHash", string(HASH)),
                entry("accessEntry", string(ENTRY)),
                entry("expiresAt", number(completedAt.plus(TTL).getEpochSecond())));
    }

    @Test
    void claim_whenCompleted_returnsTheStoredHashAndEntry() {
        store.complete(acquire(NOW, UNTIL), ENTRY, NOW);

        assertThat(store.claim(token, OTHER_HASH, UNTIL.plusSeconds(1), UNTIL.plusSeconds(300)))
                .isEqualTo(new ClaimResult.Completed(token, HASH, ENTRY));
    }

    @Test
    void claim_whenCompletedRecordExpiresThisSecond_returnsCompleted() {
        store.complete(acquire(NOW, UNTIL), ENTRY, NOW);
        Instant expiry = NOW.plus(TTL);

        assertThat(store.claim(token, HASH, expiry, expiry.plusSeconds(300)))
                .isEqualTo(new ClaimResult.Completed(token, HASH, ENTRY));
    }

    @Test
    void claim_whenCompletedRecordExpired_acquiresWithoutTheTtlSweeper() {
        store.complete(acquire(NOW, UNTIL), ENTRY, NOW);
        Instant afterExpiry = NOW.plus(TTL).plusSeconds(1);
        Instant until = afterExpiry.plusSeconds(300);

        assertThat(store.claim(token, OTHER_HASH, afterExpiry, until))
                .isEqualTo(new ClaimResult.Acquired(token, OTHER_HASH, until));
        assertThat(item()).contains(entry("status", string("IN_PROGRESS"))).doesNotContainKey("accessEntry");
    }

    @Test
    void release_whenClaimIsHeld_deletesTheRecord() {
        store.release(acquire(NOW, UNTIL));

        assertThat(item()).isEmpty();
        assertThat(store.claim(token, HASH, NOW.plusSeconds(1), UNTIL)).isInstanceOf(ClaimResult.Acquired.class);
    }

    @Test
    void release_whenClaimWasTakenOver_keepsTheNewerClaim() {
        ClaimResult.Acquired stale = acquire(NOW, UNTIL);
        store.claim(token, HASH, UNTIL.plusMillis(1), UNTIL.plusSeconds(300));
        Map<String, AttributeValue> newer = item();

        store.release(stale);

        assertThat(item()).isEqualTo(newer);
    }

    @Test
    void release_whenRecordIsCompleted_keepsIt() {
        ClaimResult.Acquired claim = acquire(NOW, UNTIL);
        store.complete(claim, ENTRY, NOW);

        store.release(claim);

        assertThat(item()).contains(entry("status", string("COMPLETED")));
    }

    @Test
    void complete_whenClaimWasTakenOver_returnsFalseAndKeepsTheNewerClaim() {
        ClaimResult.Acquired stale = acquire(NOW, UNTIL);
        store.claim(token, HASH, UNTIL.plusMillis(1), UNTIL.plusSeconds(300));
        Map<String, AttributeValue> newer = item();

        assertThat(store.complete(stale, ENTRY, UNTIL.plusSeconds(2))).isFalse();
        assertThat(item()).isEqualTo(newer);
    }

    @RepeatedTest(5)
    void claim_whenEightThreadsRace_acquiresExactlyOnce() throws Exception {
        int threads = 8;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<ClaimResult>> claims = new ArrayList<>();
            for (int thread = 0; thread < threads; thread++) {
                Instant until = UNTIL.plusMillis(thread);
                claims.add(pool.submit(() -> {
                    start.await();
                    return store.claim(token, HASH, NOW, until);
                }));
            }
            start.countDown();
            List<ClaimResult> results = new ArrayList<>();
            for (Future<ClaimResult> claim : claims) {
                results.add(claim.get());
            }

            List<ClaimResult.Acquired> winners = results.stream()
                    .filter(ClaimResult.Acquired.class::isInstance).map(ClaimResult.Acquired.class::cast).toList();
            assertThat(winners).hasSize(1);
            assertThat(results).filteredOn(ClaimResult.InProgress.class::isInstance).hasSize(threads - 1);
            assertThat(item()).contains(
                    entry("inProgressUntil", number(winners.get(0).inProgressUntil().toEpochMilli())));
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void claim_whenRecordVanishesBeforeItIsRead_claimsAgain() {
        PutItemHooks hooks = new PutItemHooks(() -> { }, () -> client.deleteItem(delete -> delete
                .tableName(table).key(Map.of("clientRequestToken", string(token)))));
        acquire(NOW, UNTIL);

        try (DynamoDbClient racing = clientWith(hooks)) {
            Instant until = NOW.plusSeconds(600);
            assertThat(new DynamoDbIdempotencyStore(racing, table, TTL).claim(token, OTHER_HASH, NOW, until))
                    .isEqualTo(new ClaimResult.Acquired(token, OTHER_HASH, until));
        }
        assertThat(hooks.failedPuts).hasValue(1);
    }

    @Test
    void claim_whenRecordIsReadExpired_claimsAgain() {
        PutItemHooks hooks = new PutItemHooks(() -> { }, () -> putItem(Map.of(
                "clientRequestToken", string(token),
                "status", string("COMPLETED"),
                "requestHash", string(HASH),
                "accessEntry", string(ENTRY),
                "expiresAt", number(NOW.getEpochSecond() - 1))));
        acquire(NOW, UNTIL);

        try (DynamoDbClient racing = clientWith(hooks)) {
            assertThat(new DynamoDbIdempotencyStore(racing, table, TTL).claim(token, OTHER_HASH, NOW, UNTIL))
                    .isEqualTo(new ClaimResult.Acquired(token, OTHER_HASH, UNTIL));
        }
        assertThat(hooks.failedPuts).hasValue(1);
    }

    @Test
    void claim_whenRecordKeepsChanging_throwsRetryableAfterThreeWrites() {
        PutItemHooks hooks = new PutItemHooks(
                () -> putItem(Map.of(
                        "clientRequestToken", string(token),
                        "status", string("IN_PROGRESS"),
                        "requestHash", string(OTHER_HASH),
                        "inProgressUntil", number(UNTIL.toEpochMilli()),
                        "expiresAt", number(NOW.plus(TTL).getEpochSecond()))),
                () -> client.deleteItem(delete -> delete
                        .tableName(table).key(Map.of("clientRequestToken", string(token)))));

        try (DynamoDbClient racing = clientWith(hooks)) {
            DynamoDbIdempotencyStore racingStore = new DynamoDbIdempotencyStore(racing, table, TTL);
            assertThatThrownBy(() -> racingStore.claim(token, HASH, NOW, UNTIL))
                    .isInstanceOf(RetryableException.class)
                    .hasMessageContaining("changed");
        }
        assertThat(hooks.failedPuts).hasValue(3);
    }

    @Test
    void claim_whenTableIsMissing_throwsRetryableNamingTheOperationOnly() {
        DynamoDbIdempotencyStore missing = new DynamoDbIdempotencyStore(client, "missing-" + UUID.randomUUID(), TTL);

        assertThatThrownBy(() -> missing.claim(token, HASH, NOW, UNTIL))
                .isInstanceOf(RetryableException.class)
                .hasMessageContaining("PutItem (claim)")
                .hasMessageContaining("ResourceNotFoundException")
                .hasCauseInstanceOf(ResourceNotFoundException.class)
                .message().doesNotContain(token).doesNotContain(HASH);
    }

    @Test
    void complete_whenTableIsMissing_throwsRetryable() {
        DynamoDbIdempotencyStore missing = new DynamoDbIdempotencyStore(client, "missing-" + UUID.randomUUID(), TTL);

        assertThatThrownBy(() -> missing.complete(new ClaimResult.Acquired(token, HASH, UNTIL), ENTRY, NOW))
                .isInstanceOf(RetryableException.class)
                .hasMessageContaining("UpdateItem (complete)")
                .message().doesNotContain(ENTRY);
    }

    @Test
    void release_whenTableIsMissing_throwsRetryable() {
        DynamoDbIdempotencyStore missing = new DynamoDbIdempotencyStore(client, "missing-" + UUID.randomUUID(), TTL);

        assertThatThrownBy(() -> missing.release(new ClaimResult.Acquired(token, HASH, UNTIL)))
                .isInstanceOf(RetryableException.class)
                .hasMessageContaining("DeleteItem (release)");
    }

    @Test
    void claim_whenEndpointRefusesConnections_throwsRetryable() throws IOException {
        URI closed;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = URI.create("http://127.0.0.1:" + socket.getLocalPort());
        }

        try (DynamoDbClient unreachable = impatientClient(closed)) {
            DynamoDbIdempotencyStore unreachableStore = new DynamoDbIdempotencyStore(unreachable, table, TTL);
            assertThatThrownBy(() -> unreachableStore.claim(token, HASH, NOW, UNTIL))
                    .isInstanceOf(RetryableException.class)
                    .hasMessageContaining("PutItem (claim)")
                    .hasCauseInstanceOf(SdkClientException.class)
                    .hasRootCauseInstanceOf(ConnectException.class);
        }
    }

    @Test
    void claim_whenEndpointNeverAnswers_throwsRetryable() throws IOException {
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
                DynamoDbClient unanswered = impatientClient(URI.create("http://127.0.0.1:" + silent.getLocalPort()))) {
            DynamoDbIdempotencyStore unansweredStore = new DynamoDbIdempotencyStore(unanswered, table, TTL);
            assertThatThrownBy(() -> unansweredStore.claim(token, HASH, NOW, UNTIL))
                    .isInstanceOf(RetryableException.class)
                    .hasMessageContaining("PutItem (claim)")
                    .hasCauseInstanceOf(SdkClientException.class);
        }
    }

    private ClaimResult.Acquired acquire(Instant now, Instant until) {
        return (ClaimResult.Acquired) store.claim(token, HASH, now, until);
    }

    private Map<String, AttributeValue> item() {
        return client.getItem(get -> get
                .tableName(table)
                .key(Map.of("clientRequestToken", string(token)))
                .consistentRead(true))
                .item();
    }

    private void putItem(Map<String, AttributeValue> item) {
        client.putItem(put -> put.tableName(table).item(item));
    }

    private DynamoDbClient clientWith(ExecutionInterceptor interceptor) {
        return Dynalite.clientBuilder(dynalite.endpoint())
                .overrideConfiguration(config -> config.addExecutionInterceptor(interceptor))
                .build();
    }

    private static DynamoDbClient impatientClient(URI endpoint) {
        return Dynalite.clientBuilder(endpoint)
                .httpClientBuilder(UrlConnectionHttpClient.builder()
                        .connectionTimeout(Duration.ofMillis(500))
                        .socketTimeout(Duration.ofMillis(500)))
                .overrideConfiguration(config -> config
                        .retryStrategy(AwsRetryStrategy.doNotRetry())
                        .apiCallAttemptTimeout(Duration.ofMillis(500))
                        .apiCallTimeout(Duration.ofSeconds(1)))
                .build();
    }

    private static AttributeValue string(String value) {
        return AttributeValue.fromS(value);
    }

    private static AttributeValue number(long value) {
        return AttributeValue.fromN(Long.toString(value));
    }

    /**
     * Plays another invocation around the store's PutItem calls, through the real protocol: {@code beforePut}
     * runs before each, {@code afterFailedPut} after each that failed (the store's fallback read comes next).
     */
    private static final class PutItemHooks implements ExecutionInterceptor {

        private final Runnable beforePut;
        private final Runnable afterFailedPut;
        private final AtomicInteger failedPuts = new AtomicInteger();

        PutItemHooks(Runnable beforePut, Runnable afterFailedPut) {
            this.beforePut = beforePut;
            this.afterFailedPut = afterFailedPut;
        }

        @Override
        public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes executionAttributes) {
            if (context.request() instanceof PutItemRequest) {
                beforePut.run();
            }
        }

        @Override
        public void onExecutionFailure(Context.FailedExecution context, ExecutionAttributes executionAttributes) {
            if (context.request() instanceof PutItemRequest) {
                failedPuts.incrementAndGet();
                afterFailedPut.run();
            }
        }
    }
}
