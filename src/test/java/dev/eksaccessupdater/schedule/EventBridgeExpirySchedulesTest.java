package dev.eksaccessupdater.schedule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.assertj.core.api.Assertions.tuple;

import dev.eksaccessupdater.failure.RetryableException;
import dev.eksaccessupdater.standin.SchedulerStandIn;
import dev.eksaccessupdater.standin.SchedulerStandIn.RecordedRequest;
import dev.eksaccessupdater.standin.StandInClients;
import dev.eksaccessupdater.time.CallBudget;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.scheduler.SchedulerClient;

/** The adapter against the Scheduler stand-in, driven by the real SDK client (no SDK retries, to see each call). */
class EventBridgeExpirySchedulesTest {

    /** The longest retry Scheduler allows, so that an expiry that cannot reach the queue is retried for a day. */
    private static final Map<String, Object> RETRY_FOR_A_DAY =
            Map.of("MaximumEventAgeInSeconds", 86_400, "MaximumRetryAttempts", 185);

    private static final String GROUP = "eks-access-updater-expiries";
    private static final String QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:access-requests";
    private static final String ROLE_ARN = "arn:aws:iam::123456789012:role/eks-access-updater-scheduler";
    private static final String NAME = "eau-0123456789abcdef0123456789abcdef01234567";
    private static final String INPUT = "{\"clusterName\":\"demo\",\"principalArn\":\"arn:aws:iam::111122223333:user/"
            + "alice\",\"removeKubernetesGroups\":[\"oncall\"],\"clientRequestToken\":\"exp-1\",\"expiryOf\":\"t-1\","
            + "\"metadata\":{\"ticket\":\"SECRET-TICKET-42\"}}";
    private static final ExpirySchedule SCHEDULE = new ExpirySchedule(NAME, "at(2026-12-04T18:00:00)", INPUT, null);
    private static final Instant NOW = Instant.parse("2026-12-04T10:00:00Z");

    private SchedulerStandIn scheduler;
    private SchedulerClient client;
    private final AtomicInteger clientsBuilt = new AtomicInteger();
    private EventBridgeExpirySchedules schedules;

    @BeforeEach
    void start() {
        scheduler = new SchedulerStandIn().createGroup(GROUP).start();
        client = StandInClients.scheduler(scheduler.endpoint());
        schedules = new EventBridgeExpirySchedules(counting(() -> client), GROUP, QUEUE_ARN, ROLE_ARN);
    }

    @AfterEach
    void stop() {
        client.close();
        scheduler.close();
    }

    @Test
    void create_whenNew_sendsExactlyTheScheduleTheContractDescribes() throws NoSuchAlgorithmException {
        schedules.create(SCHEDULE, budget());

        RecordedRequest request = scheduler.requests().get(0);
        assertThat(request.operation()).isEqualTo(SchedulerStandIn.CREATE);
        assertThat(request.rawPath()).isEqualTo("/schedules/" + NAME);
        assertThat(request.status()).isEqualTo(200);
        assertThat(request.body()).containsOnlyKeys("GroupName", "ScheduleExpression", "ScheduleExpressionTimezone",
                "FlexibleTimeWindow", "ActionAfterCompletion", "Target", "ClientToken");
        assertThat(request.body()).containsEntry("GroupName", GROUP)
                .containsEntry("ScheduleExpression", "at(2026-12-04T18:00:00)")
                .containsEntry("ScheduleExpressionTimezone", "UTC")
                .containsEntry("FlexibleTimeWindow", Map.of("Mode", "OFF"))
                .containsEntry("ActionAfterCompletion", "DELETE")
                .containsEntry("Target", Map.of("Arn", QUEUE_ARN, "RoleArn", ROLE_ARN, "Input", INPUT,
                        "RetryPolicy", RETRY_FOR_A_DAY));
        String clientToken = (String) request.body().get("ClientToken");
        assertThat(clientToken).isEqualTo(sha256Hex(NAME)).hasSize(64).matches("[a-zA-Z0-9-_]+");
        assertThat(scheduler.schedule(GROUP, NAME).fireAt()).isEqualTo(Instant.parse("2026-12-04T18:00:00Z"));
    }

    @Test
    void create_whenFifo_setsOnlyTheMessageGroupIdOfTheSqsParameters() {
        schedules.create(new ExpirySchedule(NAME, SCHEDULE.expression(), INPUT, "alice"), budget());

        assertThat(scheduler.requests().get(0).body().get("Target")).isEqualTo(Map.of("Arn", QUEUE_ARN,
                "RoleArn", ROLE_ARN, "Input", INPUT, "RetryPolicy", RETRY_FOR_A_DAY,
                "SqsParameters", Map.of("MessageGroupId", "alice")));
        assertThat(scheduler.schedule(GROUP, NAME).messageGroupId()).isEqualTo("alice");
    }

    @Test
    void create_whenAnEarlierAttemptCreatedItWithAnotherTime_succeedsAfterGetScheduleShowsTheSameInput() {
        schedules.create(SCHEDULE, budget());

        schedules.create(new ExpirySchedule(NAME, "at(2026-12-04T18:05:00)", INPUT, null), budget());

        assertThat(scheduler.requests()).extracting(RecordedRequest::operation, RecordedRequest::status)
                .containsExactly(tuple(SchedulerStandIn.CREATE, 200),
                        tuple(SchedulerStandIn.CREATE, 409),
                        tuple(SchedulerStandIn.GET, 200));
        assertThat(scheduler.requests(SchedulerStandIn.GET).get(0).query()).isEqualTo(Map.of("groupName", GROUP));
        assertThat(scheduler.schedule(GROUP, NAME).expression()).as("the first attempt's schedule stays")
                .isEqualTo("at(2026-12-04T18:00:00)");
    }

    @Test
    void create_whenRetriedWithTheSameRequest_isAnsweredByTheClientTokenWithoutGetSchedule() {
        schedules.create(SCHEDULE, budget());

        schedules.create(SCHEDULE, budget());

        assertThat(scheduler.requests()).extracting(RecordedRequest::status).containsExactly(200, 200);
        assertThat(scheduler.schedules()).hasSize(1);
    }

    @Test
    void create_whenTheNameHoldsAnotherInput_throwsRetryableCallingItADefect() {
        String otherInput = INPUT.replace("exp-1", "exp-2");
        new EventBridgeExpirySchedules(() -> client, GROUP, QUEUE_ARN, ROLE_ARN)
                .create(new ExpirySchedule(NAME, SCHEDULE.expression(), otherInput, null), budget());

        RetryableException failure = catchThrowableOfType(RetryableException.class,
                () -> schedules.create(SCHEDULE, budget()));

        assertThat(failure).hasMessageContaining("Scheduler CreateSchedule: the schedule " + NAME + " in group "
                        + GROUP + " exists with another input")
                .hasMessageContaining("defect to alarm on")
                .hasMessageNotContaining("SECRET-TICKET-42");
        assertThat(scheduler.schedule(GROUP, NAME).input()).isEqualTo(otherInput);
        assertThat(scheduler.requests()).extracting(RecordedRequest::operation).endsWith(SchedulerStandIn.GET);
    }

    @ParameterizedTest
    @CsvSource({"500, InternalServerException", "429, ThrottlingException", "402, ServiceQuotaExceededException",
            "400, ValidationException", "403, AccessDeniedException", "503, ServiceUnavailable"})
    void create_whenSchedulerFails_throwsRetryableNamingTheCallAndTheErrorCode(int status, String errorType) {
        scheduler.failNextCalls(1, status, errorType);

        RetryableException failure = catchThrowableOfType(RetryableException.class,
                () -> schedules.create(SCHEDULE, budget()));

        assertThat(failure).hasMessageStartingWith("Scheduler CreateSchedule failed for the schedule " + NAME + ": "
                        + errorType + " (HTTP " + status + "): Injected " + errorType)
                .hasMessageNotContaining("SECRET-TICKET-42");
        assertThat(scheduler.schedules()).isEmpty();
    }

    @Test
    void create_whenSchedulerEchoesTheInputInItsError_leavesTheInputOutOfTheMessage() {
        scheduler.failNextOperation(SchedulerStandIn.CREATE, 1, 400, "ValidationException",
                "Invalid request provided: Target.Input " + INPUT + " is invalid");

        RetryableException failure = catchThrowableOfType(RetryableException.class,
                () -> schedules.create(SCHEDULE, budget()));

        assertThat(failure).hasMessageContaining("ValidationException (HTTP 400): Invalid request provided: "
                        + "Target.Input <the expiry message> is invalid")
                .hasMessageNotContaining("SECRET-TICKET-42");
    }

    @Test
    void create_whenTheGroupDoesNotExist_throwsRetryableNamingResourceNotFound() {
        EventBridgeExpirySchedules elsewhere = new EventBridgeExpirySchedules(() -> client, "never-created",
                QUEUE_ARN, ROLE_ARN);

        RetryableException failure = catchThrowableOfType(RetryableException.class,
                () -> elsewhere.create(SCHEDULE, budget()));

        assertThat(failure).hasMessageContaining("ResourceNotFoundException (HTTP 404): Schedule group never-created "
                + "does not exist.");
    }

    @Test
    void create_whenGetScheduleFailsAfterAConflict_throwsRetryableNamingGetSchedule() {
        schedules.create(SCHEDULE, budget());
        scheduler.failNextOperation(SchedulerStandIn.GET, 1, 429, "ThrottlingException", "Rate exceeded");

        RetryableException failure = catchThrowableOfType(RetryableException.class,
                () -> schedules.create(new ExpirySchedule(NAME, "at(2026-12-04T18:05:00)", INPUT, null), budget()));

        assertThat(failure).hasMessage("Scheduler GetSchedule failed for the schedule " + NAME
                + ": ThrottlingException (HTTP 429): Rate exceeded");
    }

    @Test
    void create_whenLittleOfTheInvocationIsLeft_cutsTheCallToWhatTheBudgetAllows() {
        scheduler.delay(Duration.ofSeconds(2));
        // 0.6 s before the deadline, the budget leaves 0.1 s: calls end 0.5 s before it.
        CallBudget nearlySpent = new CallBudget(NOW.plusMillis(600), Clock.fixed(NOW, ZoneOffset.UTC));

        long start = System.nanoTime();
        RetryableException failure = catchThrowableOfType(RetryableException.class,
                () -> schedules.create(SCHEDULE, nearlySpent));
        Duration took = Duration.ofNanos(System.nanoTime() - start);

        assertThat(failure).hasMessageContaining("Scheduler CreateSchedule failed for the schedule " + NAME)
                .hasMessageContaining("100 millis");
        assertThat(took).isLessThan(Duration.ofMillis(1500));
    }

    @Test
    void create_whenTheInvocationHasAnswered_makesNoCallAndBuildsNoClient() {
        CallBudget cancelled = budget();
        cancelled.cancel();

        RetryableException failure = catchThrowableOfType(RetryableException.class,
                () -> schedules.create(SCHEDULE, cancelled));

        assertThat(failure).hasMessage("Scheduler CreateSchedule not started: the invocation has already answered");
        assertThat(scheduler.requests()).isEmpty();
        assertThat(clientsBuilt).hasValue(0);
    }

    @Test
    void create_whenTheBudgetRunsOutAfterAConflict_makesNoGetSchedule() {
        schedules.create(SCHEDULE, budget());
        scheduler.clearRequests();
        // The budget's first reading is in time; the next one is past the deadline.
        CallBudget runsOut = new CallBudget(NOW.plusSeconds(10), new JumpingClock(NOW, NOW.plusSeconds(20)));

        RetryableException failure = catchThrowableOfType(RetryableException.class,
                () -> schedules.create(new ExpirySchedule(NAME, "at(2026-12-04T18:05:00)", INPUT, null), runsOut));

        assertThat(failure).hasMessageStartingWith("Scheduler GetSchedule not started: less than 500 ms");
        assertThat(scheduler.requests()).extracting(RecordedRequest::operation)
                .containsExactly(SchedulerStandIn.CREATE);
    }

    @Test
    void create_whenCalledFromManyThreadsFirst_buildsTheClientOnce() throws Exception {
        Supplier<SchedulerClient> slowFactory = counting(() -> {
            pause(Duration.ofMillis(100));
            return client;
        });
        EventBridgeExpirySchedules shared = new EventBridgeExpirySchedules(slowFactory, GROUP, QUEUE_ARN, ROLE_ARN);
        ExecutorService threads = Executors.newFixedThreadPool(8);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Void>> results = new ArrayList<>();
        try {
            for (int index = 0; index < 8; index++) {
                String name = NAME.substring(0, NAME.length() - 1) + index;
                Callable<Void> create = () -> {
                    go.await();
                    shared.create(new ExpirySchedule(name, SCHEDULE.expression(), INPUT, null), budget());
                    return null;
                };
                results.add(threads.submit(create));
            }
            go.countDown();
            for (Future<Void> result : results) {
                result.get();
            }
        } finally {
            threads.shutdownNow();
        }

        assertThat(clientsBuilt).hasValue(1);
        assertThat(scheduler.schedules()).hasSize(8);
    }

    @Test
    void create_whenBuildingTheClientFails_throwsRetryableAndBuildsItOnTheNextCall() {
        AtomicInteger attempts = new AtomicInteger();
        EventBridgeExpirySchedules flaky = new EventBridgeExpirySchedules(() -> {
            if (attempts.incrementAndGet() == 1) {
                throw SdkClientException.create("Unable to load region");
            }
            return client;
        }, GROUP, QUEUE_ARN, ROLE_ARN);

        RetryableException failure = catchThrowableOfType(RetryableException.class,
                () -> flaky.create(SCHEDULE, budget()));
        flaky.create(SCHEDULE, budget());

        assertThat(failure).hasMessage("Scheduler CreateSchedule failed for the schedule " + NAME
                + ": SdkClientException: Unable to load region");
        assertThat(attempts).hasValue(2);
        assertThat(scheduler.schedules()).hasSize(1);
    }

    @Test
    void create_whenNothingListens_throwsRetryable() throws IOException {
        URI closed;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = URI.create("http://127.0.0.1:" + socket.getLocalPort());
        }
        try (SchedulerClient unreachable = StandInClients.scheduler(closed)) {
            RetryableException failure = catchThrowableOfType(RetryableException.class,
                    () -> new EventBridgeExpirySchedules(() -> unreachable, GROUP, QUEUE_ARN, ROLE_ARN)
                            .create(SCHEDULE, budget()));

            assertThat(failure).hasMessageContaining("Unable to execute HTTP request");
        }
    }

    @Test
    void clientToken_whenNameIsTheLongestAllowed_staysWithinTheModelsLimit() {
        String longest = "a.b-c_" + "x".repeat(58);

        assertThat(longest).hasSize(64);
        assertThat(EventBridgeExpirySchedules.clientToken(longest)).hasSize(64).matches("[a-zA-Z0-9-_]+")
                .isEqualTo(EventBridgeExpirySchedules.clientToken(longest))
                .isNotEqualTo(EventBridgeExpirySchedules.clientToken(longest.replace('x', 'y')));
    }

    private Supplier<SchedulerClient> counting(Supplier<SchedulerClient> factory) {
        return () -> {
            clientsBuilt.incrementAndGet();
            return factory.get();
        };
    }

    private static CallBudget budget() {
        return new CallBudget(NOW.plusSeconds(60), Clock.fixed(NOW, ZoneOffset.UTC));
    }

    private static String sha256Hex(String text) throws NoSuchAlgorithmException {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                .digest(text.getBytes(StandardCharsets.UTF_8)));
    }

    private static void pause(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Reads {@code first} once, then {@code later} for ever. */
    private static final class JumpingClock extends Clock {

        private final Instant first;
        private final Instant later;
        private final AtomicInteger readings = new AtomicInteger();

        JumpingClock(Instant first, Instant later) {
            this.first = first;
            this.later = later;
        }

        @Override
        public Instant instant() {
            return readings.getAndIncrement() == 0 ? first : later;
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            throw new UnsupportedOperationException();
        }
    }
}
