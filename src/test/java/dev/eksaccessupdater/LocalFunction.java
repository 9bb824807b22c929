package dev.eksaccessupdater;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import dev.eksaccessupdater.standin.EksStandIn;
import dev.eksaccessupdater.standin.EventBridgeStandIn;
import dev.eksaccessupdater.standin.SchedulerStandIn;
import dev.eksaccessupdater.testing.Dynalite;
import java.net.URI;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

/**
 * The real function, built by the real composition root, wired to local stand-ins: dynalite for DynamoDB and the
 * project's EKS, EventBridge and EventBridge Scheduler stand-ins. Each instance has its own table and its own
 * client stack, as one Lambda instance would. Used by end-to-end tests, the local stack and the benchmark.
 */
public final class LocalFunction implements RequestHandler<SQSEvent, SQSBatchResponse>, AutoCloseable {

    public static final String BUS = "access-events";
    /** Port 9 (discard) of the loopback interface: nothing listens there. */
    private static final URI NOWHERE = URI.create("http://127.0.0.1:9");

    private final Dynalite dynalite;
    private final EksStandIn eks;
    private final EventBridgeStandIn eventBridge;
    private final SchedulerStandIn scheduler;
    private final String tableName;
    private final AccessChangeFunction handler;

    private LocalFunction(Dynalite dynalite, EksStandIn eks, EventBridgeStandIn eventBridge, SchedulerStandIn scheduler,
                          String tableName, AccessChangeFunction handler) {
        this.dynalite = dynalite;
        this.eks = eks;
        this.eventBridge = eventBridge;
        this.scheduler = scheduler;
        this.tableName = tableName;
        this.handler = handler;
    }

    /**
     * The function with {@code ALLOWED_CLUSTER_NAMES=demo} and the given settings on top, on new EKS, EventBridge and
     * Scheduler stand-ins (the Scheduler stand-in has only its {@code default} group and delivers nowhere).
     */
    public static LocalFunction start(Dynalite dynalite, Map<String, String> settings) {
        EksStandIn eks = new EksStandIn().start();
        EventBridgeStandIn eventBridge = new EventBridgeStandIn().start();
        SchedulerStandIn scheduler = new SchedulerStandIn().start();
        String table = "idempotency-" + UUID.randomUUID();
        dynalite.createIdempotencyTable(table);
        return connect(dynalite, table, eks, eventBridge, scheduler, settings);
    }

    /**
     * The function with {@code ALLOWED_CLUSTER_NAMES=demo} and the given settings on top, on stand-ins and a table
     * that the caller started and created (the local stack, on fixed ports). Closing it stops the stand-ins.
     */
    public static LocalFunction on(Dynalite dynalite, String tableName, EksStandIn eks, EventBridgeStandIn eventBridge,
                                   SchedulerStandIn scheduler, Map<String, String> settings) {
        return connect(dynalite, tableName, eks, eventBridge, scheduler, settings);
    }

    /** Another function instance (a second Lambda instance: its own clients) on the same table and stand-ins. */
    public LocalFunction anotherInstance(Map<String, String> settings) {
        return connect(dynalite, tableName, eks, eventBridge, scheduler, settings);
    }

    private static LocalFunction connect(Dynalite dynalite, String table, EksStandIn eks, EventBridgeStandIn eventBridge,
                                         SchedulerStandIn scheduler, Map<String, String> settings) {
        return new LocalFunction(dynalite, eks, eventBridge, scheduler, table,
                new AccessChangeFunction(dependencies(dynalite, table, eks, eventBridge, scheduler, settings)));
    }

    /** The real composition root with these settings, its SDK clients pointed at the stand-ins. */
    static Dependencies dependencies(Dynalite dynalite, String table, EksStandIn eks, EventBridgeStandIn eventBridge,
                                     Map<String, String> settings) {
        return dependencies(dynalite, table, eks, eventBridge, null, settings);
    }

    /**
     * The real composition root with these settings, its SDK clients pointed at the stand-ins; without a Scheduler
     * stand-in ({@code null}), the Scheduler client points where nothing listens, so that it never reaches AWS.
     */
    static Dependencies dependencies(Dynalite dynalite, String table, EksStandIn eks, EventBridgeStandIn eventBridge,
                                     SchedulerStandIn scheduler, Map<String, String> settings) {
        Map<String, String> environment = new HashMap<>(Map.of(
                "IDEMPOTENCY_TABLE_NAME", table,
                "EVENT_BUS_NAME", BUS,
                "ALLOWED_CLUSTER_NAMES", "demo"));
        environment.putAll(settings);
        Map<String, URI> endpoints = Map.of(
                "dynamodb", dynalite.endpoint(), "eks", eks.endpoint(), "eventbridge", eventBridge.endpoint(),
                "scheduler", scheduler == null ? NOWHERE : scheduler.endpoint());
        return Dependencies.create(Configuration.fromEnvironment(environment),
                (service, builder) -> builder
                        .endpointOverride(endpoints.get(service))
                        .region(Region.US_EAST_1)
                        .credentialsProvider(StaticCredentialsProvider.create(
                                AwsBasicCredentials.create("local", "local-secret"))),
                Clock.systemUTC());
    }

    @Override
    public SQSBatchResponse handleRequest(SQSEvent event, Context context) {
        return handler.handleRequest(event, context);
    }

    public EksStandIn eks() {
        return eks;
    }

    public EventBridgeStandIn eventBridge() {
        return eventBridge;
    }

    public SchedulerStandIn scheduler() {
        return scheduler;
    }

    public DynamoDbClient dynamoDb() {
        return dynalite.dynamoDbClient();
    }

    public String tableName() {
        return tableName;
    }

    /** Stops the stand-ins (dynalite belongs to whoever started it). */
    @Override
    public void close() {
        eks.close();
        eventBridge.close();
        scheduler.close();
    }
}
