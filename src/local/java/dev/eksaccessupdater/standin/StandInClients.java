package dev.eksaccessupdater.standin;

import java.net.URI;
import java.time.Duration;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.client.builder.AwsClientBuilder;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.client.builder.SdkSyncClientBuilder;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.eks.EksClient;
import software.amazon.awssdk.services.eventbridge.EventBridgeClient;
import software.amazon.awssdk.services.scheduler.SchedulerClient;

/**
 * Real SDK clients pointed at a stand-in: the function's HTTP client, dummy credentials, no retries (so a
 * failure injected once is seen once) and a bounded attempt time.
 */
public final class StandInClients {

    public static final String ACCESS_KEY_ID = "AKIDSTANDIN";
    public static final String SECRET_ACCESS_KEY = "stand-in-secret-not-a-real-key";
    public static final Duration DEFAULT_ATTEMPT_TIMEOUT = Duration.ofSeconds(5);

    private StandInClients() {
    }

    public static EksClient eks(URI endpoint) {
        return eks(endpoint, DEFAULT_ATTEMPT_TIMEOUT);
    }

    public static EksClient eks(URI endpoint, Duration attemptTimeout) {
        return build(EksClient.builder(), endpoint, overrides(attemptTimeout));
    }

    /**
     * As {@link #eks(URI)}, but with the SDK's standard retries, as the function's own client has them, cut to
     * {@code maxAttempts} attempts: for tests of what a failure means after an earlier attempt failed.
     */
    public static EksClient eksWithRetries(URI endpoint, int maxAttempts) {
        return build(EksClient.builder(), endpoint, overrides(DEFAULT_ATTEMPT_TIMEOUT).toBuilder()
                .retryStrategy(AwsRetryStrategy.standardRetryStrategy().toBuilder().maxAttempts(maxAttempts).build())
                .build());
    }

    public static EventBridgeClient eventBridge(URI endpoint) {
        return build(EventBridgeClient.builder(), endpoint, overrides(DEFAULT_ATTEMPT_TIMEOUT));
    }

    public static SchedulerClient scheduler(URI endpoint) {
        return build(SchedulerClient.builder(), endpoint, overrides(DEFAULT_ATTEMPT_TIMEOUT));
    }

    /** Any SDK client on the stand-in at {@code endpoint}: its own HTTP client, a fixed Region and credentials. */
    private static <B extends AwsClientBuilder<B, C> & SdkSyncClientBuilder<B, C>, C> C build(
            B builder, URI endpoint, ClientOverrideConfiguration overrides) {
        return builder
                .httpClient(httpClient())
                .endpointOverride(endpoint)
                .region(Region.US_EAST_1)
                .credentialsProvider(credentials())
                .overrideConfiguration(overrides)
                .build();
    }

    private static SdkHttpClient httpClient() {
        return UrlConnectionHttpClient.builder()
                .connectionTimeout(Duration.ofSeconds(2))
                .socketTimeout(Duration.ofSeconds(30))
                .build();
    }

    private static StaticCredentialsProvider credentials() {
        return StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY_ID, SECRET_ACCESS_KEY));
    }

    private static ClientOverrideConfiguration overrides(Duration attemptTimeout) {
        return ClientOverrideConfiguration.builder()
                .retryStrategy(AwsRetryStrategy.doNotRetry())
                .apiCallAttemptTimeout(attemptTimeout)
                .apiCallTimeout(attemptTimeout.plusSeconds(1))
                .build();
    }
}
