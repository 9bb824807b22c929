package dev.eksaccessupdater.dedup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.entry;

import dev.eksaccessupdater.failure.RetryableException;
import dev.eksaccessupdater.testing.Dynalite;
import dev.eksaccessupdater.testing.WithDynalite;
import dev.eksaccessupdater.time.CallBudget;
import java.time.Clock;
import java.time.ZoneOffset;
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
class DynamoDbClaimsTest {

    private static final Duration TTL = Duration.ofDays(7);
    private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");
    private static final Instant UNTIL = NOW.plus(Duration.ofMinutes(5));
    private static final String HASH = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
    private static final String OTHER_HASH = "60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752";
    private static final String ENTRY = "{\"clusterName\":\"prod\",\"kubernetesGroups\":[\"viewers\"]}";
    private static final String DETAIL = "{\"clientRequestToken\":\"t\",\"accessEntry\":" + ENTRY + "}";
    private static final AppliedRecord RECORD = new AppliedRecord(ENTRY, DETAIL);

    private final Dynalite dynalite;
    private final DynamoDbClient client;
    private final String table;
    private final DynamoDbClaims store;
    private final String token = "token-" + UUID.randomUUID();
    private static final String ME = "owner-me";
    private static final String OTHER = "owner-other";

    DynamoDbClaimsTest(Dynalite dynalite) {
        this.dynalite = dynalite;
        this.client = dynalite.dynamoDbClient();
        this.table = dynalite.createIdempotencyTable("idempotency-" + UUID.randomUUID());
        this.store = new DynamoDbClaims(client, table, TTL);
    }

    @Test
    void claim_whenTokenIsAbsent_holdsItAndWritesTheContractAttributes() {
        assertThat(store.claim(token, HASH, ME, at(NOW, UNTIL)))
                .isEqualTo(new ClaimResult.Held(token, HASH, ME, UNTIL, null));

        assertThat(item()).containsOnly(
                entry("clientRequestToken", string(token)),
                entry("status", string("IN_PROGRESS")),
                entry("owner", string(ME)),
                entry("requestHash", string(HASH)),
                entry("inProgressUntil", number(UNTIL.toEpochMilli())),
                entry("expiresAt", number(NOW.plus(TTL).getEpochSecond())));
    }

    @Test
    void claim_whenAnotherAttemptHolds_returnsHeldElsewhereAndKeepsIt() {
        store.claim(token, HASH, OTHER, at(NOW, UNTIL));
        Map<String, AttributeValue> held = item();

        assertThat(store.claim(token, HASH, ME, at(NOW.plusSeconds(1), UNTIL.plusSeconds(1))))
                .isEqualTo(new ClaimResult.HeldElsewhere(token, HASH, ClaimStatus.IN_PROGRESS, UNTIL));
        assertThat(item()).isEqualTo(held);
    }

    @Test
    void claim_whenTheItemIsThisAttemptsOwn_recognisesItsOwnClaim() {
        store.claim(token, HASH, ME, at(NOW, UNTIL));

        // An SDK retry of a put that had in fact succeeded meets its own item.
        assertThat(store.claim(token, HASH, ME, at(NOW.plusSeconds(1), UNTIL)))
                .isEqualTo(new ClaimResult.Held(token, HASH, ME, UNTIL, null));
    }

    @Test
    void claim_whenInProgressUntilIsNow_isStillHeldElsewhere() {
        store.claim(token, HASH, OTHER, at(NOW, UNTIL));

        assertThat(store.claim(token, HASH, ME, at(UNTIL, UNTIL.plusSeconds(60))))
                .isEqualTo(new ClaimResult.HeldElsewhere(token, HASH, ClaimStatus.IN_PROGRESS, UNTIL));
    }

    @Test
    void claim_whenInProgressClaimLapsed_takesItWithANewOwner() {
        store.claim(token, HASH, OTHER, at(NOW, UNTIL));
        Instant later = UNTIL.plusMillis(1);
        Instant laterUntil = later.plus(Duration.ofMinutes(5));

        assertThat(store.claim(token, OTHER_HASH, ME, at(later, laterUntil)))
                .isEqualTo(new ClaimResult.Held(token, OTHER_HASH, ME, laterUntil, null));
        assertThat(item()).contains(
                entry("owner", string(ME)),
                entry("requestHash", string(OTHER_HASH)),
                entry("inProgressUntil", number(laterUntil.toEpochMilli())));
    }

    @Test
    void claim_whenTtlIsShorterThanTheClaim_keepsTheClaimUntilItLapses() {
        DynamoDbClaims shortLived = new DynamoDbClaims(client, table, Duration.ofSeconds(60));
        Instant until = NOW.plus(Duration.ofMinutes(15));
        shortLived.claim(token, HASH, OTHER, at(NOW, until));

        assertThat(shortLived.claim(token, HASH, ME, at(NOW.plus(Duration.ofMinutes(10)), until.plusSeconds(600))))
                .isEqualTo(new ClaimResult.HeldElsewhere(token, HASH, ClaimStatus.IN_PROGRESS, until));
        assertThat(item()).contains(entry("expiresAt", number(until.getEpochSecond() + 1)));
    }

    @Test
    void record_whenClaimIsHeld_makesItAppliedWithTheEntryAndTheEvent() {
        ClaimResult.Held claim = hold(ME);

        ClaimResult.Held recorded = store.record(claim, RECORD, at(NOW.plusSeconds(1), UNTIL));

        assertThat(recorded.recorded()).isEqualTo(RECORD);
        assertThat(item()).contains(
                entry("status", string("APPLIED")),
                entry("owner", string(ME)),
                entry("accessEntry", string(ENTRY)),
                entry("eventDetail", string(DETAIL)),
                entry("inProgressUntil", number(UNTIL.toEpochMilli())));
    }

    @Test
    void complete_whenClaimIsHeld_keepsTheEntryDropsTheEventForTheTtl() {
        ClaimResult.Held claim = store.record(hold(ME), RECORD, at(NOW, UNTIL));
        Instant completedAt = NOW.plusSeconds(30);

        store.complete(claim, at(completedAt, UNTIL));

        assertThat(item()).contains(
                entry("status", string("COMPLETED")),
                entry("requestHash", string(HASH)),
                entry("accessEntry", string(ENTRY)),
                entry("expiresAt", number(completedAt.plus(TTL).getEpochSecond())))
                .doesNotContainKey("eventDetail");
    }

    @Test
    void claim_whenCompleted_returnsTheStoredHash() {
        store.complete(store.record(hold(OTHER), RECORD, at(NOW, UNTIL)), at(NOW, UNTIL));

        assertThat(store.claim(token, OTHER_HASH, ME, at(UNTIL.plusSeconds(1), UNTIL.plusSeconds(300))))
                .isEqualTo(new ClaimResult.Completed(HASH));
    }

    @Test
    void claim_whenCompletedItemExpiresThisSecond_returnsCompleted() {
        store.complete(store.record(hold(OTHER), RECORD, at(NOW, UNTIL)), at(NOW, UNTIL));
        Instant expiry = NOW.plus(TTL);

        assertThat(store.claim(token, HASH, ME, at(expiry, expiry.plusSeconds(300))))
                .isEqualTo(new ClaimResult.Completed(HASH));
    }

    @Test
    void claim_whenCompletedItemExpired_claimsWithoutTheTtlSweeper() {
        store.complete(store.record(hold(OTHER), RECORD, at(NOW, UNTIL)), at(NOW, UNTIL));
        Instant afterExpiry = NOW.plus(TTL).plusSeconds(1);
        Instant until = afterExpiry.plusSeconds(300);

        assertThat(store.claim(token, OTHER_HASH, ME, at(afterExpiry, until)))
                .isEqualTo(new ClaimResult.Held(token, OTHER_HASH, ME, until, null));
        assertThat(item()).contains(entry("status", string("IN_PROGRESS"))).doesNotContainKey("accessEntry");
    }

    @Test
    void claim_whenAppliedItemIsHeld_returnsHeldElsewhere() {
        store.record(hold(OTHER), RECORD, at(NOW, UNTIL));

        assertThat(store.claim(token, HASH, ME, at(NOW.plusSeconds(1), UNTIL.plusSeconds(60))))
                .isEqualTo(new ClaimResult.HeldElsewhere(token, HASH, ClaimStatus.APPLIED, UNTIL));
    }

    @Test
    void claim_whenAppliedItemLapsed_returnsAppliedLapsedAndWritesNothing() {
        store.record(hold(OTHER), RECORD, at(NOW, UNTIL));
        Map<String, AttributeValue> applied = item();

        assertThat(store.claim(token, HASH, ME, at(UNTIL.plusMillis(1), UNTIL.plusSeconds(60))))
                .isEqualTo(new ClaimResult.AppliedLapsed(token, HASH));
        assertThat(item()).isEqualTo(applied);
    }

    @Test
    void claim_whenAppliedItemIsPastItsExpiry_neverReplacesIt() {
        store.record(hold(OTHER), RECORD, at(NOW, UNTIL));
        Instant afterExpiry = NOW.plus(TTL).plusSeconds(10);

        assertThat(store.claim(token, OTHER_HASH, ME, at(afterExpiry, afterExpiry.plusSeconds(60))))
                .isEqualTo(new ClaimResult.AppliedLapsed(token, HASH));
        assertThat(item()).contains(entry("status", string("APPLIED")), entry("eventDetail", string(DETAIL)));
    }

    @Test
    void takeOver_whenAppliedItemLapsed_holdsItWithTheRecordedEvent() {
        store.record(hold(OTHER), RECORD, at(NOW, UNTIL));
        Instant later = UNTIL.plusSeconds(1);
        Instant laterUntil = later.plusSeconds(60);

        ClaimResult.Held taken = store.takeOver(new ClaimResult.AppliedLapsed(token, HASH), ME, at(later, laterUntil));

        assertThat(taken).isEqualTo(new ClaimResult.Held(token, HASH, ME, laterUntil, RECORD));
        assertThat(item()).contains(entry("owner", string(ME)), entry("status", string("APPLIED")),
                entry("inProgressUntil", number(laterUntil.toEpochMilli())));
    }

    @Test
    void takeOver_whenTheSdkRetriesATakeOverThatSucceeded_recognisesItsOwn() {
        store.record(hold(OTHER), RECORD, at(NOW, UNTIL));
        Instant later = UNTIL.plusSeconds(1);
        Instant laterUntil = later.plusSeconds(60);
        store.takeOver(new ClaimResult.AppliedLapsed(token, HASH), ME, at(later, laterUntil));

        ClaimResult.Held retried = store.takeOver(new ClaimResult.AppliedLapsed(token, HASH), ME,
                at(later.plusMillis(5), laterUntil));

        assertThat(retried).isEqualTo(new ClaimResult.Held(token, HASH, ME, laterUntil, RECORD));
        assertThat(item()).contains(entry("owner", string(ME)), entry("status", string("APPLIED")));
    }

    @Test
    void takeOver_whenAnotherAttemptTookItFirst_throwsRetryableAndKeepsTheirs() {
        store.record(hold(OTHER), RECORD, at(NOW, UNTIL));
        Instant later = UNTIL.plusSeconds(1);
        store.takeOver(new ClaimResult.AppliedLapsed(token, HASH), "owner-first", at(later, later.plusSeconds(60)));
        Map<String, AttributeValue> theirs = item();

        assertThatThrownBy(() -> store.takeOver(new ClaimResult.AppliedLapsed(token, HASH), ME,
                at(later.plusMillis(1), later.plusSeconds(60))))
                .isInstanceOf(RetryableException.class).hasMessageContaining("taken over");
        assertThat(item()).isEqualTo(theirs);
    }

    @Test
    void yield_whenApplied_letsTheNextDeliveryTakeItOverAtOnce() {
        ClaimResult.Held claim = store.record(hold(OTHER), RECORD, at(NOW, UNTIL));

        store.yield(claim, at(NOW.plusSeconds(1), UNTIL));

        assertThat(item()).contains(entry("status", string("APPLIED")), entry("inProgressUntil", number(0)))
                .doesNotContainKey("owner");
        assertThat(store.claim(token, HASH, ME, at(NOW.plusSeconds(2), UNTIL)))
                .isEqualTo(new ClaimResult.AppliedLapsed(token, HASH));
    }

    @Test
    void release_whenClaimIsHeld_deletesTheItem() {
        store.release(hold(ME), at(NOW, UNTIL));

        assertThat(item()).isEmpty();
        assertThat(store.claim(token, HASH, OTHER, at(NOW.plusSeconds(1), UNTIL)))
                .isInstanceOf(ClaimResult.Held.class);
    }

    @Test
    void release_whenTheItemIsAlreadyGone_succeeds() {
        ClaimResult.Held claim = hold(ME);
        store.release(claim, at(NOW, UNTIL));

        assertThatCode(() -> store.release(claim, at(NOW, UNTIL))).doesNotThrowAnyException();
    }

    @Test
    void ownedWrites_whenClaimWasTakenOver_throwRetryableAndKeepTheNewerClaim() {
        ClaimResult.Held stale = hold(OTHER);
        store.claim(token, HASH, ME, at(UNTIL.plusMillis(1), UNTIL.plusSeconds(300)));
        Map<String, AttributeValue> newer = item();
        CallBudget later = at(UNTIL.plusSeconds(2), UNTIL.plusSeconds(300));

        assertThatThrownBy(() -> store.record(stale, RECORD, later)).isInstanceOf(RetryableException.class);
        assertThatThrownBy(() -> store.complete(stale, later)).isInstanceOf(RetryableException.class);
        assertThatThrownBy(() -> store.yield(stale, later)).isInstanceOf(RetryableException.class);
        assertThatThrownBy(() -> store.release(stale, later)).isInstanceOf(RetryableException.class);
        assertThat(item()).isEqualTo(newer);
    }

    @Test
    void release_whenItemIsApplied_keepsIt() {
        ClaimResult.Held claim = store.record(hold(ME), RECORD, at(NOW, UNTIL));

        assertThatThrownBy(() -> store.release(claim, at(NOW, UNTIL))).isInstanceOf(RetryableException.class);

        assertThat(item()).contains(entry("status", string("APPLIED")));
    }

    @Test
    void calls_whenTheBudgetIsCancelled_makeNoCallAtAll() {
        CallBudget cancelled = at(NOW, UNTIL);
        cancelled.cancel();

        assertThatThrownBy(() -> store.claim(token, HASH, ME, cancelled))
                .isInstanceOf(RetryableException.class).hasMessageContaining("already answered");
        assertThat(item()).isEmpty();
    }

    @RepeatedTest(5)
    void claim_whenEightThreadsRace_holdsExactlyOnce() throws Exception {
        int threads = 8;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<ClaimResult>> claims = new ArrayList<>();
            for (int thread = 0; thread < threads; thread++) {
                String owner = "owner-" + thread;
                claims.add(pool.submit(() -> {
                    start.await();
                    return store.claim(token, HASH, owner, at(NOW, UNTIL));
                }));
            }
            start.countDown();
            List<ClaimResult> results = new ArrayList<>();
            for (Future<ClaimResult> claim : claims) {
                results.add(claim.get());
            }

            List<ClaimResult.Held> winners = results.stream()
                    .filter(ClaimResult.Held.class::isInstance).map(ClaimResult.Held.class::cast).toList();
            assertThat(winners).hasSize(1);
            assertThat(results).filteredOn(ClaimResult.HeldElsewhere.class::isInstance).hasSize(threads - 1);
            assertThat(item()).contains(entry("owner", string(winners.get(0).owner())));
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void claim_whenItemVanishesBeforeItIsRead_claimsAgain() {
        PutItemHooks hooks = new PutItemHooks(() -> { }, () -> client.deleteItem(delete -> delete
                .tableName(table).key(Map.of("clientRequestToken", string(token)))));
        hold(OTHER);

        try (DynamoDbClient racing = clientWith(hooks)) {
            assertThat(new DynamoDbClaims(racing, table, TTL).claim(token, OTHER_HASH, ME, at(NOW, UNTIL)))
                    .isEqualTo(new ClaimResult.Held(token, OTHER_HASH, ME, UNTIL, null));
        }
        assertThat(hooks.failedPuts).hasValue(1);
    }

    @Test
    void claim_whenItemIsReadExpired_claimsAgain() {
        PutItemHooks hooks = new PutItemHooks(() -> { }, () -> putItem(Map.of(
                "clientRequestToken", string(token),
                "status", string("COMPLETED"),
                "owner", string(OTHER),
                "requestHash", string(HASH),
                "accessEntry", string(ENTRY),
                "expiresAt", number(NOW.getEpochSecond() - 1))));
        hold(OTHER);

        try (DynamoDbClient racing = clientWith(hooks)) {
            assertThat(new DynamoDbClaims(racing, table, TTL).claim(token, OTHER_HASH, ME, at(NOW, UNTIL)))
                    .isEqualTo(new ClaimResult.Held(token, OTHER_HASH, ME, UNTIL, null));
        }
        assertThat(hooks.failedPuts).hasValue(1);
    }

    @Test
    void claim_whenItemKeepsChanging_throwsRetryableAfterThreeWrites() {
        PutItemHooks hooks = new PutItemHooks(
                () -> putItem(Map.of(
                        "clientRequestToken", string(token),
                        "status", string("IN_PROGRESS"),
                        "owner", string(OTHER),
                        "requestHash", string(OTHER_HASH),
                        "inProgressUntil", number(UNTIL.toEpochMilli()),
                        "expiresAt", number(NOW.plus(TTL).getEpochSecond()))),
                () -> client.deleteItem(delete -> delete
                        .tableName(table).key(Map.of("clientRequestToken", string(token)))));

        try (DynamoDbClient racing = clientWith(hooks)) {
            DynamoDbClaims racingStore = new DynamoDbClaims(racing, table, TTL);
            assertThatThrownBy(() -> racingStore.claim(token, HASH, ME, at(NOW, UNTIL)))
                    .isInstanceOf(RetryableException.class)
                    .hasMessageContaining("changed");
        }
        assertThat(hooks.failedPuts).hasValue(3);
    }

    @Test
    void claim_whenTableIsMissing_throwsRetryableNamingTheOperationOnly() {
        DynamoDbClaims missing = new DynamoDbClaims(client, "missing-" + UUID.randomUUID(), TTL);

        assertThatThrownBy(() -> missing.claim(token, HASH, ME, at(NOW, UNTIL)))
                .isInstanceOf(RetryableException.class)
                .hasMessageContaining("PutItem (claim)")
                .hasMessageContaining("ResourceNotFoundException")
                .hasCauseInstanceOf(ResourceNotFoundException.class)
                .message().doesNotContain(token).doesNotContain(HASH);
    }

    @Test
    void ownedWrites_whenTableIsMissing_throwRetryableNamingTheOperation() {
        DynamoDbClaims missing = new DynamoDbClaims(client, "missing-" + UUID.randomUUID(), TTL);
        ClaimResult.Held claim = new ClaimResult.Held(token, HASH, ME, UNTIL, null);

        assertThatThrownBy(() -> missing.record(claim, RECORD, at(NOW, UNTIL)))
                .isInstanceOf(RetryableException.class).hasMessageContaining("UpdateItem (record)")
                .message().doesNotContain(ENTRY);
        assertThatThrownBy(() -> missing.complete(claim, at(NOW, UNTIL)))
                .isInstanceOf(RetryableException.class).hasMessageContaining("UpdateItem (complete)");
        assertThatThrownBy(() -> missing.release(claim, at(NOW, UNTIL)))
                .isInstanceOf(RetryableException.class).hasMessageContaining("DeleteItem (release)");
    }

    @Test
    void claim_whenEndpointRefusesConnections_throwsRetryable() throws IOException {
        URI closed;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = URI.create("http://127.0.0.1:" + socket.getLocalPort());
        }

        try (DynamoDbClient unreachable = impatientClient(closed)) {
            DynamoDbClaims unreachableStore = new DynamoDbClaims(unreachable, table, TTL);
            assertThatThrownBy(() -> unreachableStore.claim(token, HASH, ME, at(NOW, UNTIL)))
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
            DynamoDbClaims unansweredStore = new DynamoDbClaims(unanswered, table, TTL);
            assertThatThrownBy(() -> unansweredStore.claim(token, HASH, ME, at(NOW, UNTIL)))
                    .isInstanceOf(RetryableException.class)
                    .hasMessageContaining("PutItem (claim)")
                    .hasCauseInstanceOf(SdkClientException.class);
        }
    }

    @Test
    void claim_whenTheBudgetLeavesLittleTime_cutsTheCallToFit() throws IOException {
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
                DynamoDbClient unanswered = Dynalite.clientBuilder(
                        URI.create("http://127.0.0.1:" + silent.getLocalPort())).build()) {
            DynamoDbClaims unansweredStore = new DynamoDbClaims(unanswered, table, TTL);
            Clock clock = Clock.systemUTC();
            CallBudget budget = new CallBudget(clock.instant().plusMillis(800), clock);
            long start = System.nanoTime();

            assertThatThrownBy(() -> unansweredStore.claim(token, HASH, ME, budget))
                    .isInstanceOf(RetryableException.class);
            // 300 ms left for calls (800 ms less the 500 ms margin), not the usual 5 s.
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(1500));
        }
    }

    private ClaimResult.Held hold(String owner) {
        return (ClaimResult.Held) store.claim(token, HASH, owner, at(NOW, UNTIL));
    }

    /** A budget at {@code now} whose deadline is {@code deadline}. */
    private static CallBudget at(Instant now, Instant deadline) {
        return new CallBudget(deadline, Clock.fixed(now, ZoneOffset.UTC));
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
