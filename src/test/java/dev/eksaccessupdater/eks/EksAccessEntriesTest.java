package dev.eksaccessupdater.eks;

import dev.eksaccessupdater.failure.FailureMessages;
import dev.eksaccessupdater.testing.TestBudgets;
import dev.eksaccessupdater.time.CallBudget;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.eksaccessupdater.failure.ReasonCode;
import dev.eksaccessupdater.failure.RejectionException;
import dev.eksaccessupdater.failure.RetryableException;
import dev.eksaccessupdater.standin.EksStandIn;
import dev.eksaccessupdater.standin.EksStandIn.Cluster;
import dev.eksaccessupdater.standin.EksStandIn.RecordedRequest;
import dev.eksaccessupdater.standin.StandInClients;
import dev.eksaccessupdater.testing.SteppingClock;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import software.amazon.awssdk.services.eks.EksClient;

class EksAccessEntriesTest {

    private static final String CLUSTER = "dev-cluster";
    private static final String ROLE = "arn:aws:iam::111122223333:role/ops/Admin+Team";
    private static final String ROLE_SEGMENT = "arn%3Aaws%3Aiam%3A%3A111122223333%3Arole%2Fops%2FAdmin%2BTeam";
    private static final String TOKEN = "eau-0123456789abcdef0123456789abcdef0123";
    private static final Instant CREATED = Instant.parse("2026-01-01T00:00:00.125Z");

    private final SteppingClock clock = new SteppingClock(CREATED);
    private EksStandIn eks;
    private EksClient client;
    private EksAccessEntries accessEntries;

    @BeforeEach
    void start() {
        eks = new EksStandIn(clock).start();
        eks.putEntry(CLUSTER, ROLE, List.of("viewers"), "ops-admin:{{SessionName}}", EksStandIn.STANDARD,
                Map.of("team", "platform"));
        client = StandInClients.eks(eks.endpoint());
        accessEntries = new EksAccessEntries(client);
    }

    @AfterEach
    void stop() {
        client.close();
        eks.close();
    }

    @Test
    void describe_whenEntryExists_returnsEveryField() {
        AccessEntry entry = accessEntries.describe(CLUSTER, ROLE, TestBudgets.aMinute());

        assertThat(entry.clusterName()).isEqualTo(CLUSTER);
        assertThat(entry.principalArn()).isEqualTo(ROLE);
        assertThat(entry.kubernetesGroups()).containsExactly("viewers");
        assertThat(entry.accessEntryArn()).startsWith(
                "arn:aws:eks:us-east-1:111122223333:access-entry/dev-cluster/role/111122223333/Admin+Team/");
        assertThat(entry.createdAt()).isEqualTo(CREATED);
        assertThat(entry.modifiedAt()).isEqualTo(CREATED);
        assertThat(entry.tags()).containsExactly(Map.entry("team", "platform"));
        assertThat(entry.username()).isEqualTo("ops-admin:{{SessionName}}");
        assertThat(entry.type()).isEqualTo("STANDARD");
    }

    @Test
    void describe_sendsPrincipalArnAsOnePercentEncodedSegment() {
        accessEntries.describe(CLUSTER, ROLE, TestBudgets.aMinute());

        RecordedRequest request = eks.requests().get(0);
        assertThat(request.operation()).isEqualTo(EksStandIn.DESCRIBE);
        assertThat(request.method()).isEqualTo("GET");
        assertThat(request.rawPath()).isEqualTo("/clusters/dev-cluster/access-entries/" + ROLE_SEGMENT);
        assertThat(request.principalArn()).isEqualTo(ROLE);
        assertThat(request.body()).isNull();
    }

    @Test
    void update_whenGroupsAndUsernameGiven_sendsExactlyThoseFieldsAndReturnsTheNewEntry() {
        clock.advance(Duration.ofMinutes(5));

        AccessEntry updated = accessEntries.update(
                new AccessEntryUpdate(CLUSTER, ROLE, List.of("viewers", "team-a"), "ops:{{SessionName}}", TOKEN), TestBudgets.aMinute());

        RecordedRequest request = eks.requests().get(0);
        assertThat(request.method()).isEqualTo("POST");
        assertThat(request.rawPath()).isEqualTo("/clusters/dev-cluster/access-entries/" + ROLE_SEGMENT);
        assertThat(request.body()).containsOnlyKeys("kubernetesGroups", "username", "clientRequestToken");
        assertThat(request.body()).containsEntry("kubernetesGroups", List.of("viewers", "team-a"))
                .containsEntry("username", "ops:{{SessionName}}")
                .containsEntry("clientRequestToken", TOKEN);
        assertThat(updated.kubernetesGroups()).containsExactly("viewers", "team-a");
        assertThat(updated.username()).isEqualTo("ops:{{SessionName}}");
        assertThat(updated.createdAt()).isEqualTo(CREATED);
        assertThat(updated.modifiedAt()).isEqualTo(CREATED.plus(Duration.ofMinutes(5)));
        assertThat(updated.tags()).containsExactly(Map.entry("team", "platform"));
    }

    @Test
    void update_whenUsernameNull_leavesItOutAndEksResetsItToTheDefault() {
        AccessEntry updated = accessEntries.update(new AccessEntryUpdate(CLUSTER, ROLE, List.of(), null, TOKEN), TestBudgets.aMinute());

        assertThat(eks.requests().get(0).body()).containsOnlyKeys("kubernetesGroups", "clientRequestToken");
        assertThat(updated.username()).isEqualTo("arn:aws:sts::111122223333:assumed-role/Admin+Team/{{SessionName}}");
    }

    @Test
    void update_whenGroupsEmpty_sendsAnEmptyListRatherThanNothing() {
        AccessEntry updated = accessEntries.update(
                new AccessEntryUpdate(CLUSTER, ROLE, List.of(), "ops:{{SessionName}}", TOKEN), TestBudgets.aMinute());

        assertThat(eks.requests().get(0).rawBody()).contains("\"kubernetesGroups\":[]");
        assertThat(updated.kubernetesGroups()).isEmpty();
    }

    @Test
    void describe_whenEntryMissing_rejectsWithNotFound() {
        RejectionException rejection = catchThrowableOfType(RejectionException.class,
                () -> accessEntries.describe(CLUSTER, "arn:aws:iam::111122223333:role/unknown", TestBudgets.aMinute()));

        assertThat(rejection.reasonCode()).isEqualTo(ReasonCode.NOT_FOUND);
        assertThat(rejection).hasMessageStartingWith("EKS DescribeAccessEntry: ResourceNotFoundException (HTTP 404): ")
                .hasMessageContaining("could not be found");
    }

    @Test
    void update_whenClusterMissing_rejectsWithNotFound() {
        RejectionException rejection = catchThrowableOfType(RejectionException.class, () -> accessEntries.update(
                new AccessEntryUpdate("other-cluster", ROLE, List.of(), null, TOKEN), TestBudgets.aMinute()));

        assertThat(rejection.reasonCode()).isEqualTo(ReasonCode.NOT_FOUND);
        assertThat(rejection).hasMessageContaining("No cluster found for name: other-cluster");
    }

    @Test
    void update_whenGroupStartsWithSystem_rejectsWithInvalidParameterCarryingEksMessage() {
        RejectionException rejection = catchThrowableOfType(RejectionException.class, () -> accessEntries.update(
                new AccessEntryUpdate(CLUSTER, ROLE, List.of("system:masters"), null, TOKEN), TestBudgets.aMinute()));

        assertThat(rejection.reasonCode()).isEqualTo(ReasonCode.INVALID_PARAMETER);
        assertThat(rejection).hasMessage("EKS UpdateAccessEntry: InvalidParameterException (HTTP 400): The kubernetes"
                + " group name system:masters is invalid, it cannot start with system:");
    }

    @Test
    void update_whenClusterUsesConfigMapAuthentication_rejectsWithInvalidRequest() {
        eks.putCluster(new Cluster("legacy", "111122223333", null, EksStandIn.CONFIG_MAP));

        RejectionException rejection = catchThrowableOfType(RejectionException.class, () -> accessEntries.update(
                new AccessEntryUpdate("legacy", ROLE, List.of(), null, TOKEN), TestBudgets.aMinute()));

        assertThat(rejection.reasonCode()).isEqualTo(ReasonCode.INVALID_REQUEST);
        assertThat(rejection).hasMessageContaining("authentication mode");
    }

    @ParameterizedTest
    @CsvSource({
            "ResourceNotFoundException, 404, NOT_FOUND",
            "InvalidParameterException, 400, INVALID_PARAMETER",
            "InvalidRequestException,   400, INVALID_REQUEST"})
    void update_whenEksAnswersPermanentError_rejectsWithItsReasonCode(String errorType, int status,
                                                                      ReasonCode expected) {
        eks.failNext(ROLE, 1, errorType, status);

        RejectionException rejection = catchThrowableOfType(RejectionException.class, () -> accessEntries.update(
                new AccessEntryUpdate(CLUSTER, ROLE, List.of("viewers"), null, TOKEN), TestBudgets.aMinute()));

        assertThat(rejection.reasonCode()).isEqualTo(expected);
        assertThat(rejection).hasMessageContaining(errorType);
    }

    @ParameterizedTest
    @CsvSource({
            "ServerException,             500",
            "ServiceUnavailableException, 503",
            "ThrottlingException,         429",
            "AccessDeniedException,       403",
            "ClientException,             400",
            "ResourceLimitExceededException, 400",
            "SomethingNewException,       502"})
    void update_whenEksAnswersAnyOtherError_isRetryable(String errorType, int status) {
        eks.failNext(ROLE, 1, errorType, status);

        assertThatThrownBy(() -> accessEntries.update(
                new AccessEntryUpdate(CLUSTER, ROLE, List.of("viewers"), null, TOKEN), TestBudgets.aMinute()))
                .isInstanceOf(RetryableException.class)
                .hasMessageStartingWith("EKS UpdateAccessEntry failed: " + errorType + " (HTTP " + status + "): ")
                .hasMessageNotContaining(StandInClients.SECRET_ACCESS_KEY);
        assertThat(eks.changeCount()).isZero();
    }

    @ParameterizedTest
    @CsvSource({"ServerException, 500", "ThrottlingException, 429", "AccessDeniedException, 403"})
    void describe_whenEksAnswersTransientError_isRetryable(String errorType, int status) {
        eks.failNext(ROLE, 1, errorType, status);

        assertThatThrownBy(() -> accessEntries.describe(CLUSTER, ROLE, TestBudgets.aMinute()))
                .isInstanceOf(RetryableException.class)
                .hasMessageStartingWith("EKS DescribeAccessEntry failed: " + errorType);
    }

    @Test
    void update_whenEksMessageIsHuge_truncatesIt() {
        eks.failNextOperation(EksStandIn.UPDATE, 1, "InvalidParameterException", 400, "x".repeat(5_000));

        RejectionException rejection = catchThrowableOfType(RejectionException.class, () -> accessEntries.update(
                new AccessEntryUpdate(CLUSTER, ROLE, List.of(), null, TOKEN), TestBudgets.aMinute()));

        assertThat(rejection.getMessage()).hasSizeLessThan(FailureMessages.MAX_LENGTH + 100).endsWith("...");
    }

    @Test
    void describe_whenNothingListens_isRetryable() throws IOException {
        URI closed;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = URI.create("http://127.0.0.1:" + socket.getLocalPort());
        }
        try (EksClient unreachable = StandInClients.eks(closed)) {
            assertThatThrownBy(() -> new EksAccessEntries(unreachable).describe(CLUSTER, ROLE, TestBudgets.aMinute()))
                    .isInstanceOf(RetryableException.class)
                    .hasMessageStartingWith("EKS DescribeAccessEntry failed: SdkClientException: ")
                    .hasMessageNotContaining(StandInClients.SECRET_ACCESS_KEY);
        }
    }

    @Test
    void update_whenEksAnswersTooLate_isRetryable() {
        eks.delay(Duration.ofSeconds(2));
        try (EksClient impatient = StandInClients.eks(eks.endpoint(), Duration.ofMillis(200))) {
            assertThatThrownBy(() -> new EksAccessEntries(impatient).update(
                    new AccessEntryUpdate(CLUSTER, ROLE, List.of(), null, TOKEN), TestBudgets.aMinute()))
                    .isInstanceOf(RetryableException.class)
                    .hasMessageContaining("Timeout");
        }
    }

    // What an update failure says about the entry (docs/contract.md section 4.1, "Release"): EKS checks a request
    // before changing anything, so a 4xx answer to the first attempt means "not applied"; a 5xx, a timeout, or any
    // answer after an earlier attempt got one, may hide an applied change.

    @ParameterizedTest
    @CsvSource({
            "AccessDeniedException, 403",
            "ThrottlingException,   429",
            "ClientException,       400"})
    void update_whenEksRefusesTheFirstAttemptWith4xx_isRetryableWithAKnownOutcome(String errorType, int status) {
        eks.failNext(ROLE, 1, errorType, status);

        RetryableException failure = catchThrowableOfType(RetryableException.class,
                () -> accessEntries.update(addViewers(), TestBudgets.aMinute()));

        assertThat(failure.outcomeUnknown()).isFalse();
        assertThat(eks.updateCount()).isEqualTo(1);
        assertThat(eks.changeCount()).isZero();
    }

    @ParameterizedTest
    @CsvSource({
            "InvalidParameterException, 400, INVALID_PARAMETER",
            "AccessDeniedException,     403, ",
            "ClientException,           400, "})
    void update_whenARetryingClientIsRefusedAtOnce_outcomeIsKnown(String errorType, int status, ReasonCode rejected) {
        eks.failNext(ROLE, 1, errorType, status);

        try (EksClient retrying = StandInClients.eksWithRetries(eks.endpoint(), 3)) {
            Throwable failure = catchThrowableOfType(RuntimeException.class,
                    () -> new EksAccessEntries(retrying).update(addViewers(), TestBudgets.aMinute()));

            if (rejected != null) {
                assertThat(failure).isInstanceOfSatisfying(RejectionException.class,
                        rejection -> assertThat(rejection.reasonCode()).isEqualTo(rejected));
            } else {
                assertThat(failure).isInstanceOfSatisfying(RetryableException.class,
                        retry -> assertThat(retry.outcomeUnknown()).isFalse());
            }
        }
        // The SDK does not retry these: one attempt, refused before anything changed.
        assertThat(eks.updateCount()).isEqualTo(1);
        assertThat(eks.changeCount()).isZero();
    }

    @ParameterizedTest
    @CsvSource({
            "ServerException,             500",
            "ServiceUnavailableException, 503",
            "SomethingNewException,       502"})
    void update_whenEksAnswers5xx_isRetryableWithAnUnknownOutcome(String errorType, int status) {
        eks.failNext(ROLE, 1, errorType, status);

        RetryableException failure = catchThrowableOfType(RetryableException.class,
                () -> accessEntries.update(addViewers(), TestBudgets.aMinute()));

        assertThat(failure.outcomeUnknown()).isTrue();
        assertThat(failure).hasMessageContaining("may have been applied");
    }

    @Test
    void update_whenEveryAttemptOfARetryingClientGets5xx_isRetryableWithAnUnknownOutcome() {
        eks.failNext(ROLE, 3, "ServerException", 500);

        try (EksClient retrying = StandInClients.eksWithRetries(eks.endpoint(), 3)) {
            RetryableException failure = catchThrowableOfType(RetryableException.class,
                    () -> new EksAccessEntries(retrying).update(addViewers(), TestBudgets.aMinute()));

            assertThat(failure.outcomeUnknown()).isTrue();
        }
        assertThat(eks.updateCount()).isEqualTo(3);
    }

    @Test
    void update_whenEksAnswersTooLate_isRetryableWithAnUnknownOutcomeBecauseTheUpdateMayLandAfterwards()
            throws InterruptedException {
        eks.delay(Duration.ofMillis(1500));
        // A second left: the call is cut to end 0.5 s before the deadline, long before EKS answers.
        CallBudget budget = new CallBudget(Instant.now().plusSeconds(1), Clock.systemUTC());

        RetryableException failure = catchThrowableOfType(RetryableException.class,
                () -> accessEntries.update(addViewers(), budget));

        assertThat(failure.outcomeUnknown()).isTrue();
        assertThat(failure).hasMessageContaining("Timeout");
        assertThat(eks.changeCount()).isZero();
        // The stand-in goes on with the request the client gave up on, as EKS may: the entry does change.
        long giveUp = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (eks.changeCount() == 0 && System.nanoTime() < giveUp) {
            Thread.sleep(50);
        }
        assertThat(eks.changeCount()).isEqualTo(1);
    }

    @ParameterizedTest
    @CsvSource({
            "ThrottlingException,       429",
            "AccessDeniedException,     403",
            "InvalidParameterException, 400"})
    void update_when4xxFollowsAnAttemptThatGot5xx_isRetryableWithAnUnknownOutcome(String errorType, int status) {
        eks.failNext(ROLE, 1, "ServerException", 500);
        eks.failNext(ROLE, 1, errorType, status);

        try (EksClient retrying = StandInClients.eksWithRetries(eks.endpoint(), 2)) {
            RetryableException failure = catchThrowableOfType(RetryableException.class,
                    () -> new EksAccessEntries(retrying).update(addViewers(), TestBudgets.aMinute()));

            // The first attempt may have changed the entry, whatever the second one was told.
            assertThat(failure.outcomeUnknown()).isTrue();
            assertThat(failure).hasMessageContaining(errorType);
        }
        assertThat(eks.requests(EksStandIn.UPDATE)).extracting(RecordedRequest::status).containsExactly(500, status);
    }

    private static AccessEntryUpdate addViewers() {
        return new AccessEntryUpdate(CLUSTER, ROLE, List.of("viewers", "team-a"), null, TOKEN);
    }
}
