package dev.eksaccessupdater.standin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.jr.ob.JSON;
import dev.eksaccessupdater.eks.AccessEntry;
import dev.eksaccessupdater.testing.SteppingClock;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import software.amazon.awssdk.services.eks.EksClient;
import software.amazon.awssdk.services.eks.model.InvalidParameterException;
import software.amazon.awssdk.services.eks.model.InvalidRequestException;
import software.amazon.awssdk.services.eks.model.ResourceNotFoundException;
import software.amazon.awssdk.services.eks.model.ServerException;
import software.amazon.awssdk.services.eks.model.UpdateAccessEntryResponse;

class EksStandInTest {

    private static final String CLUSTER = "dev";
    private static final String ROLE = "arn:aws:iam::111122223333:role/teams/ops/deployer";
    private static final String USER = "arn:aws:iam::111122223333:user/alice";
    private static final String NODE_ROLE = "arn:aws:iam::111122223333:role/node-role";
    private static final String TOKEN = "token-00000000000000000000000000000001";
    private static final String OTHER_TOKEN = "token-00000000000000000000000000000002";
    private static final Instant START = Instant.parse("2026-03-01T10:00:00Z");

    private final SteppingClock clock = new SteppingClock(START);
    private EksStandIn eks;
    private EksClient client;

    @BeforeEach
    void start() {
        eks = new EksStandIn(clock).start();
        eks.putEntry(CLUSTER, ROLE, List.of("deployers", "viewers"), "deployer:{{SessionName}}");
        eks.putEntry(CLUSTER, USER);
        eks.putEntry(CLUSTER, NODE_ROLE, List.of("system:nodes"), null, "EC2_LINUX", Map.of());
        client = StandInClients.eks(eks.endpoint());
    }

    @AfterEach
    void stop() {
        client.close();
        eks.close();
    }

    @Test
    void putEntry_whenNoUsernameGiven_givesTheDefaultEksWouldGive() {
        assertThat(eks.entry(CLUSTER, ROLE).username()).isEqualTo("deployer:{{SessionName}}");
        assertThat(eks.entry(CLUSTER, USER).username()).isEqualTo(USER);
        assertThat(eks.entry(CLUSTER, NODE_ROLE).username()).isEqualTo("system:node:{{EC2PrivateDNSName}}");
        assertThat(EksStandIn.defaultUsername("arn:aws-cn:iam::111122223333:role/a/b/runner", "STANDARD"))
                .isEqualTo("arn:aws-cn:sts::111122223333:assumed-role/runner/{{SessionName}}");
        assertThat(EksStandIn.defaultUsername(NODE_ROLE, "FARGATE_LINUX")).isEqualTo("system:node:{{SessionName}}");
    }

    @Test
    void update_whenGroupsOmitted_resetsThemToEmpty() {
        UpdateAccessEntryResponse response = client.updateAccessEntry(request -> request.clusterName(CLUSTER)
                .principalArn(ROLE).username("deployer:{{SessionName}}").clientRequestToken(TOKEN));

        assertThat(response.accessEntry().kubernetesGroups()).isEmpty();
        assertThat(eks.entry(CLUSTER, ROLE).kubernetesGroups()).isEmpty();
    }

    @Test
    void update_whenUsernameOmitted_resetsItToTheRoleDefaultWithoutPath() {
        client.updateAccessEntry(request -> request.clusterName(CLUSTER).principalArn(ROLE)
                .kubernetesGroups("deployers").clientRequestToken(TOKEN));

        AccessEntry entry = eks.entry(CLUSTER, ROLE);
        assertThat(entry.kubernetesGroups()).containsExactly("deployers");
        assertThat(entry.username()).isEqualTo("arn:aws:sts::111122223333:assumed-role/deployer/{{SessionName}}");
    }

    @Test
    void update_movesModifiedAtButNotCreatedAt() {
        clock.advance(Duration.ofSeconds(90));

        AccessEntry before = eks.entry(CLUSTER, USER);
        var updated = client.updateAccessEntry(request -> request.clusterName(CLUSTER).principalArn(USER)
                .kubernetesGroups("viewers").clientRequestToken(TOKEN)).accessEntry();

        assertThat(updated.createdAt()).isEqualTo(before.createdAt());
        assertThat(updated.modifiedAt()).isEqualTo(START.plusSeconds(90));
        assertThat(updated.username()).isEqualTo(USER);
        assertThat(updated.accessEntryArn()).isEqualTo(before.accessEntryArn());
    }

    @Test
    void update_whenGroupStartsWithSystem_refusesWithTheMessageEksGives() {
        InvalidParameterException refusal = catchThrowableOfType(InvalidParameterException.class,
                () -> client.updateAccessEntry(request -> request.clusterName(CLUSTER).principalArn(ROLE)
                        .kubernetesGroups("viewers", "system:masters").clientRequestToken(TOKEN)));

        assertThat(refusal.awsErrorDetails().errorMessage())
                .isEqualTo("The kubernetes group name system:masters is invalid, it cannot start with system:");
        assertThat(eks.entry(CLUSTER, ROLE).kubernetesGroups()).containsExactly("deployers", "viewers");
        assertThat(eks.changeCount()).isZero();
    }

    @ParameterizedTest
    @ValueSource(strings = {"system:admin", "eks:me", "aws:me", "amazon:me", "iam:me"})
    void update_whenUsernameHasReservedPrefix_refuses(String username) {
        InvalidParameterException refusal = catchThrowableOfType(InvalidParameterException.class,
                () -> client.updateAccessEntry(request -> request.clusterName(CLUSTER).principalArn(ROLE)
                        .username(username).clientRequestToken(TOKEN)));

        assertThat(refusal.awsErrorDetails().errorMessage()).startsWith("The username must not begin with ");
    }

    @Test
    void update_whenSessionNameHasNoColonBeforeIt_refuses() {
        assertThatThrownBy(() -> client.updateAccessEntry(request -> request.clusterName(CLUSTER).principalArn(ROLE)
                .username("{{SessionName}}").clientRequestToken(TOKEN)))
                .isInstanceOf(InvalidParameterException.class);
    }

    @Test
    void update_whenNodeEntryGetsGroupsOrUsername_refuses() {
        assertThatThrownBy(() -> client.updateAccessEntry(request -> request.clusterName(CLUSTER)
                .principalArn(NODE_ROLE).kubernetesGroups("ops").clientRequestToken(TOKEN)))
                .isInstanceOf(InvalidParameterException.class).hasMessageContaining("STANDARD");
        assertThatThrownBy(() -> client.updateAccessEntry(request -> request.clusterName(CLUSTER)
                .principalArn(NODE_ROLE).username("node:{{SessionName}}").clientRequestToken(OTHER_TOKEN)))
                .isInstanceOf(InvalidParameterException.class).hasMessageContaining("STANDARD");
    }

    @Test
    void update_whenNodeEntrySendsItsOwnSystemUsernameBack_refusesAsEksDoes() {
        assertThatThrownBy(() -> client.updateAccessEntry(request -> request.clusterName(CLUSTER)
                .principalArn(NODE_ROLE).username("system:node:{{EC2PrivateDNSName}}").clientRequestToken(TOKEN)))
                .isInstanceOf(InvalidParameterException.class)
                .hasMessageContaining("The username must not begin with system:");
    }

    @Test
    void update_whenNodeEntryGetsNothing_keepsWhatEksManages() {
        var updated = client.updateAccessEntry(request -> request.clusterName(CLUSTER).principalArn(NODE_ROLE)
                .kubernetesGroups(List.of()).clientRequestToken(TOKEN)).accessEntry();

        assertThat(updated.kubernetesGroups()).containsExactly("system:nodes");
        assertThat(updated.username()).isEqualTo("system:node:{{EC2PrivateDNSName}}");
        assertThat(updated.type()).isEqualTo("EC2_LINUX");
    }

    @Test
    void update_whenTokenRepeatedWithSameParameters_answersTheFirstResultWithoutChangingAgain() {
        var first = client.updateAccessEntry(request -> request.clusterName(CLUSTER).principalArn(ROLE)
                .kubernetesGroups("ops").username("ops:{{SessionName}}").clientRequestToken(TOKEN)).accessEntry();
        clock.advance(Duration.ofMinutes(1));
        var second = client.updateAccessEntry(request -> request.clusterName(CLUSTER).principalArn(ROLE)
                .kubernetesGroups("ops").username("ops:{{SessionName}}").clientRequestToken(TOKEN)).accessEntry();

        assertThat(second).isEqualTo(first);
        assertThat(eks.changeCount()).isEqualTo(1);
        assertThat(eks.updateCount()).isEqualTo(2);
    }

    @Test
    void update_whenTokenRepeatedWithOtherParameters_refuses() {
        client.updateAccessEntry(request -> request.clusterName(CLUSTER).principalArn(ROLE)
                .kubernetesGroups("ops").clientRequestToken(TOKEN));

        assertThatThrownBy(() -> client.updateAccessEntry(request -> request.clusterName(CLUSTER).principalArn(ROLE)
                .kubernetesGroups("admins").clientRequestToken(TOKEN)))
                .isInstanceOf(InvalidParameterException.class);
        assertThat(eks.entry(CLUSTER, ROLE).kubernetesGroups()).containsExactly("ops");
    }

    @ParameterizedTest
    @ValueSource(ints = {32, 127})
    void update_whenTokenLengthOutside33To126_refuses(int length) {
        assertThatThrownBy(() -> client.updateAccessEntry(request -> request.clusterName(CLUSTER).principalArn(ROLE)
                .kubernetesGroups("ops").clientRequestToken("t".repeat(length))))
                .isInstanceOf(InvalidParameterException.class)
                .hasMessageContaining("between 33 and 126 characters");
    }

    @Test
    void describe_whenClusterOrEntryMissing_answersResourceNotFound() {
        assertThatThrownBy(() -> client.describeAccessEntry(request -> request.clusterName("prod").principalArn(ROLE)))
                .isInstanceOf(ResourceNotFoundException.class).hasMessageContaining("No cluster found for name: prod");
        eks.removeEntry(CLUSTER, ROLE);
        assertThatThrownBy(() -> client.describeAccessEntry(request -> request.clusterName(CLUSTER).principalArn(ROLE)))
                .isInstanceOf(ResourceNotFoundException.class).hasMessageContaining("could not be found");
    }

    @Test
    void describe_whenPrincipalIsNotAnIamArn_answersInvalidParameter() {
        assertThatThrownBy(() -> client.describeAccessEntry(request -> request.clusterName(CLUSTER)
                .principalArn("arn:aws:sts::111122223333:assumed-role/x/y")))
                .isInstanceOf(InvalidParameterException.class);
    }

    @Test
    void fromJson_whenSeeded_servesTheEntriesAndClusters() {
        try (EksStandIn seeded = EksStandIn.fromJson("""
                {"clusters": [{"name": "legacy", "accountId": "444455556666", "authenticationMode": "CONFIG_MAP"},
                              {"name": "prod", "accountId": "444455556666", "region": "eu-west-1"}],
                 "accessEntries": [{"clusterName": "prod", "principalArn": "arn:aws:iam::111122223333:role/ci",
                                    "kubernetesGroups": ["deployers"], "tags": {"owner": "ci"}}]}
                """).start();
             EksClient seededClient = StandInClients.eks(seeded.endpoint())) {
            var entry = seededClient.describeAccessEntry(request -> request.clusterName("prod")
                    .principalArn("arn:aws:iam::111122223333:role/ci")).accessEntry();

            assertThat(entry.kubernetesGroups()).containsExactly("deployers");
            assertThat(entry.tags()).containsEntry("owner", "ci");
            assertThat(entry.username()).isEqualTo("arn:aws:sts::111122223333:assumed-role/ci/{{SessionName}}");
            assertThat(entry.accessEntryArn()).startsWith("arn:aws:eks:eu-west-1:444455556666:access-entry/prod/role/");
            assertThatThrownBy(() -> seededClient.describeAccessEntry(request -> request.clusterName("legacy")
                    .principalArn("arn:aws:iam::111122223333:role/ci")))
                    .isInstanceOf(InvalidRequestException.class);
        }
    }

    @Test
    void failNext_whenTimesUsedUp_answersNormallyAgainAndSparesOtherPrincipals() {
        eks.failNext(ROLE, 2, "ServerException", 500);

        assertThatThrownBy(() -> client.describeAccessEntry(request -> request.clusterName(CLUSTER).principalArn(ROLE)))
                .isInstanceOf(ServerException.class);
        client.describeAccessEntry(request -> request.clusterName(CLUSTER).principalArn(USER));
        assertThatThrownBy(() -> client.updateAccessEntry(request -> request.clusterName(CLUSTER).principalArn(ROLE)
                .clientRequestToken(TOKEN))).isInstanceOf(ServerException.class);
        client.describeAccessEntry(request -> request.clusterName(CLUSTER).principalArn(ROLE));

        assertThat(eks.requests()).extracting(EksStandIn.RecordedRequest::status).containsExactly(500, 200, 500, 200);
        assertThat(eks.changeCount()).isZero();
    }

    @Test
    void failNextOperation_whenSet_failsOnlyThatOperation() {
        eks.failNextOperation(EksStandIn.UPDATE, 1, "ThrottlingException", 429, "Rate exceeded");

        client.describeAccessEntry(request -> request.clusterName(CLUSTER).principalArn(ROLE));
        assertThatThrownBy(() -> client.updateAccessEntry(request -> request.clusterName(CLUSTER).principalArn(ROLE)
                .clientRequestToken(TOKEN))).hasMessageContaining("Rate exceeded");
    }

    @ParameterizedTest
    @CsvSource({"ResourceNotFoundException, 404", "InvalidRequestException, 400", "ThrottlingException, 429",
            "ServerException, 500"})
    void failNext_usesTheRestJsonErrorWireFormat(String errorType, int status)
            throws IOException, InterruptedException {
        eks.failNext(ROLE, 1, errorType, status);

        HttpResponse<String> response = rawGet("/clusters/dev/access-entries/"
                + "arn%3Aaws%3Aiam%3A%3A111122223333%3Arole%2Fteams%2Fops%2Fdeployer");

        assertThat(response.statusCode()).isEqualTo(status);
        assertThat(response.headers().firstValue("x-amzn-ErrorType")).contains(errorType);
        assertThat(JSON.std.mapFrom(response.body())).containsOnlyKeys("message");
    }

    @Test
    void describe_sendsTimestampsAsEpochSecondNumbers() throws IOException, InterruptedException {
        clock.set(Instant.parse("2026-03-01T10:00:00.250Z"));
        eks.putEntry(CLUSTER, "arn:aws:iam::111122223333:role/late");

        HttpResponse<String> response = rawGet("/clusters/dev/access-entries/"
                + "arn%3Aaws%3Aiam%3A%3A111122223333%3Arole%2Flate");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).contains("\"createdAt\":1772359200.250", "\"modifiedAt\":1772359200.250");
        assertThat(JSON.std.mapFrom(response.body())).containsOnlyKeys("accessEntry");
    }

    @Test
    void requests_recordTheDecodedPrincipalAndTheBody() {
        client.updateAccessEntry(request -> request.clusterName(CLUSTER).principalArn(ROLE)
                .kubernetesGroups("ops").clientRequestToken(TOKEN));

        EksStandIn.RecordedRequest request = eks.requests(EksStandIn.UPDATE).get(0);
        assertThat(request.principalArn()).isEqualTo(ROLE);
        assertThat(request.clusterName()).isEqualTo(CLUSTER);
        assertThat(request.body()).isEqualTo(Map.of("kubernetesGroups", List.of("ops"), "clientRequestToken", TOKEN));
        assertThat(request.status()).isEqualTo(200);
        assertThat(request.errorType()).isNull();
    }

    @Test
    void delay_whenSet_holdsEveryCallThatLong() {
        eks.delay(Duration.ofMillis(300));

        long started = System.nanoTime();
        client.describeAccessEntry(request -> request.clusterName(CLUSTER).principalArn(ROLE));

        assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(Duration.ofMillis(300));
    }

    @Test
    void update_whenCalledConcurrently_appliesEachChangeOnce() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> calls = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                String token = "concurrent-token-000000000000000000000" + (i % 8);
                calls.add(pool.submit(() -> client.updateAccessEntry(request -> request.clusterName(CLUSTER)
                        .principalArn(ROLE).kubernetesGroups("ops").clientRequestToken(token))));
            }
            for (Future<?> call : calls) {
                call.get();
            }
        } finally {
            pool.shutdownNow();
        }

        assertThat(eks.updateCount()).isEqualTo(16);
        assertThat(eks.changeCount()).isEqualTo(8);
    }

    private HttpResponse<String> rawGet(String path) throws IOException, InterruptedException {
        HttpClient http = HttpClient.newHttpClient();
        return http.send(HttpRequest.newBuilder(URI.create(eks.endpoint() + path)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
