package dev.eksaccessupdater;

import dev.eksaccessupdater.dedup.DynamoDbClaims;
import dev.eksaccessupdater.dedup.DynamoDbEntryLeases;
import dev.eksaccessupdater.eks.AccessEntries;
import dev.eksaccessupdater.eks.EksAccessEntries;
import dev.eksaccessupdater.events.EventBridgePublisher;
import dev.eksaccessupdater.observability.Observability;
import dev.eksaccessupdater.processing.BatchProcessor;
import dev.eksaccessupdater.processing.LeaseWait;
import dev.eksaccessupdater.processing.MessageProcessor;
import dev.eksaccessupdater.request.RequestParser;
import dev.eksaccessupdater.schedule.EventBridgeExpirySchedules;
import dev.eksaccessupdater.schedule.ExpirySchedules;
import java.time.Clock;
import java.time.Duration;
import dev.eksaccessupdater.time.CallTimeouts;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import software.amazon.awssdk.awscore.client.builder.AwsClientBuilder;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.eks.EksClient;
import software.amazon.awssdk.services.eventbridge.EventBridgeClient;
import software.amazon.awssdk.services.scheduler.SchedulerClient;

/**
 * The composition root: builds, once per Lambda instance, the one HTTP client, the three SDK clients, their
 * adapters and the processors. Region, credentials and endpoints come from the standard AWS SDK settings
 * ({@code AWS_REGION}, {@code AWS_ENDPOINT_URL_*}, the default credentials chain).
 */
public final class Dependencies {

    /** One attempt may not take longer than this; the SDK retries within {@link #API_CALL_TIMEOUT}. */
    static final Duration API_CALL_ATTEMPT_TIMEOUT = CallTimeouts.ATTEMPT;
    static final Duration API_CALL_TIMEOUT = CallTimeouts.CALL;

    private final BatchProcessor batchProcessor;
    private final ClientPriming priming;
    private final Clock clock;
    private final Supplier<SchedulerClient> scheduler;

    private Dependencies(Configuration configuration, ClientCustomizer customizer, Clock clock) {
        this.clock = clock;
        allowKeepAliveConnections(configuration.maxConcurrency());
        SdkHttpClient httpClient = UrlConnectionHttpClient.builder()
                .connectionTimeout(Duration.ofSeconds(2))
                .socketTimeout(API_CALL_ATTEMPT_TIMEOUT)
                .build();
        ClientOverrideConfiguration timeouts = ClientOverrideConfiguration.builder()
                .apiCallAttemptTimeout(API_CALL_ATTEMPT_TIMEOUT)
                .apiCallTimeout(API_CALL_TIMEOUT)
                .build();
        DynamoDbClient dynamoDb = customized(DynamoDbClient.builder(), "dynamodb", customizer)
                .httpClient(httpClient).overrideConfiguration(timeouts).build();
        EksClient eks = customized(EksClient.builder(), "eks", customizer)
                .httpClient(httpClient).overrideConfiguration(timeouts).build();
        EventBridgeClient eventBridge = customized(EventBridgeClient.builder(), "eventbridge", customizer)
                .httpClient(httpClient).overrideConfiguration(timeouts).build();
        // Only time-bound grants need EventBridge Scheduler (docs/contract.md section 8): its client is built on
        // first use.
        this.scheduler = EventBridgeExpirySchedules.clientOnFirstUse(
                () -> customized(SchedulerClient.builder(), "scheduler", customizer), httpClient, timeouts);

        DynamoDbClaims claims = new DynamoDbClaims(dynamoDb, configuration.idempotencyTableName(),
                configuration.idempotencyTtl());
        DynamoDbEntryLeases leases = new DynamoDbEntryLeases(dynamoDb, configuration.idempotencyTableName(),
                configuration.maxGrant());
        AccessEntries accessEntries = Observability.timed(new EksAccessEntries(eks), configuration.metricsNamespace(),
                clock);
        EventBridgePublisher publisher = new EventBridgePublisher(eventBridge, configuration.eventBusName(),
                configuration.eventSource());
        MessageProcessor messageProcessor = new MessageProcessor(
                new RequestParser(),
                configuration.accessPolicy(),
                claims,
                leases,
                accessEntries,
                Observability.timed(publisher, configuration.metricsNamespace(), clock),
                expirySchedules(configuration),
                new LeaseWait(LeaseWait.Pause.SLEEP),
                pool("access-change-side-call", 2 * configuration.maxConcurrency()),
                () -> UUID.randomUUID().toString());
        this.batchProcessor = new BatchProcessor(messageProcessor,
                pool("access-change-worker", configuration.maxConcurrency()),
                Observability.outcomeLog(configuration.metricsNamespace(), clock), clock);
        this.priming = new ClientPriming(configuration, claims, leases, accessEntries, publisher, messageProcessor,
                clock);
        configuration.warnings().forEach(warning -> Observability.initWarning(warning, clock));
    }

    /** What the Lambda runtime gets: settings from the process environment, endpoints from the SDK's own. */
    public static Dependencies fromEnvironment(Map<String, String> environment) {
        return new Dependencies(Configuration.fromEnvironment(environment), ClientCustomizer.NONE, Clock.systemUTC());
    }

    /** For tests and the local stack: the same graph, with each SDK client builder adjusted (endpoints, credentials). */
    public static Dependencies create(Configuration configuration, ClientCustomizer customizer, Clock clock) {
        return new Dependencies(configuration, customizer, clock);
    }

    public BatchProcessor batchProcessor() {
        return batchProcessor;
    }

    public Clock clock() {
        return clock;
    }

    /**
     * The expiry schedules of time-bound grants (docs/contract.md section 8) in {@code groupName}, sent to
     * {@code queueArn} as {@code roleArn}; all share one Scheduler client, built by the first call that reaches
     * Scheduler.
     */
    ExpirySchedules expirySchedules(String groupName, String queueArn, String roleArn) {
        return new EventBridgeExpirySchedules(scheduler, groupName, queueArn, roleArn);
    }

    /** Time-bound grants' schedules; without {@code SCHEDULE_GROUP_NAME} the policy rejects every grant first. */
    private ExpirySchedules expirySchedules(Configuration configuration) {
        if (!configuration.timeBoundGrantsEnabled()) {
            return (schedule, budget) -> {
                throw new IllegalStateException("time-bound grants are not enabled: SCHEDULE_GROUP_NAME is not set");
            };
        }
        return expirySchedules(configuration.scheduleGroupName(), configuration.requestQueueArn(),
                configuration.schedulerRoleArn());
    }

    /** The SnapStart hook: warms every client before the snapshot ({@link ClientPriming}). */
    void prime() {
        priming.prime();
    }

    private static <B extends AwsClientBuilder<B, ?>> B customized(B builder, String service, ClientCustomizer customizer) {
        customizer.customize(service, builder);
        return builder;
    }

    /**
     * The JDK keeps at most {@code http.maxConnections} (default 5) idle connections per host; with more messages in
     * flight than that, connections are closed and reopened on every call. Must be set before the first connection.
     */
    private static void allowKeepAliveConnections(int maxConcurrency) {
        if (System.getProperty("http.maxConnections") == null) {
            System.setProperty("http.maxConnections", Integer.toString(Math.max(5, maxConcurrency)));
        }
    }


    /**
     * Daemon threads, so that a lane still running when the handler answers never keeps a local JVM alive; in Lambda
     * the environment is frozen instead, and its calls are cancelled ({@link dev.eksaccessupdater.time.CallBudget}).
     */
    private static ExecutorService pool(String name, int threads) {
        return Executors.newFixedThreadPool(threads, task -> {
            Thread thread = new Thread(task, name);
            thread.setDaemon(true);
            return thread;
        });
    }

    /** Adjusts one SDK client builder before it is built; {@code service}: dynamodb, eks, eventbridge or scheduler. */
    @FunctionalInterface
    public interface ClientCustomizer {
        ClientCustomizer NONE = (service, builder) -> { };

        void customize(String service, AwsClientBuilder<?, ?> builder);
    }
}
