package dev.eksaccessupdater.reliability;

import dev.eksaccessupdater.testing.TestContext;
import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import com.fasterxml.jackson.jr.ob.JSON;
import dev.eksaccessupdater.AccessChangeFunction;
import dev.eksaccessupdater.Configuration;
import dev.eksaccessupdater.Dependencies;
import dev.eksaccessupdater.LocalFunction;
import dev.eksaccessupdater.TestHandlers;
import dev.eksaccessupdater.eks.EksClientToken;
import dev.eksaccessupdater.standin.EksStandIn;
import dev.eksaccessupdater.standin.EventBridgeStandIn;
import dev.eksaccessupdater.testing.Dynalite;
import java.io.IOException;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * The real function (real composition root and SDK clients) on dynalite and the EKS/EventBridge stand-ins of a
 * {@link LocalFunction}, with every instance talking to the three services through its own {@link FaultyProxy}s.
 * Each instance has its own clock offset, so a redelivery "after the claim lapsed" needs no waiting.
 * <p>
 * Every EKS call any instance makes is checked against the table at the moment it is made: an
 * {@code UpdateAccessEntry} must be covered by a live {@code IN_PROGRESS} claim whose derived EKS token is the one
 * sent (invariant 2); a {@code DescribeAccessEntry} by some live claim.
 */
final class ProxiedStack implements AutoCloseable {

    static final String IN_PROGRESS = "IN_PROGRESS";

    private final LocalFunction local;
    private final URI dynaliteEndpoint;
    private final Map<String, String> settings;
    private final List<String> claimViolations = new CopyOnWriteArrayList<>();
    private final List<Instance> instances = new CopyOnWriteArrayList<>();

    private ProxiedStack(LocalFunction local, URI dynaliteEndpoint, Map<String, String> settings) {
        this.local = local;
        this.dynaliteEndpoint = dynaliteEndpoint;
        this.settings = settings;
    }

    static ProxiedStack start(Dynalite dynalite, Map<String, String> settings) {
        return new ProxiedStack(LocalFunction.start(dynalite, settings), dynalite.endpoint(), settings);
    }

    /** A new function instance whose clock runs {@code clockOffset} ahead of real time. */
    Instance instance(Duration clockOffset) {
        return instance(Clock.offset(Clock.systemUTC(), clockOffset));
    }

    /** A new function instance on the given clock. */
    Instance instance(Clock clock) {
        Instance instance = new Instance(clock);
        instances.add(instance);
        return instance;
    }

    EksStandIn eks() {
        return local.eks();
    }

    EventBridgeStandIn eventBridge() {
        return local.eventBridge();
    }

    String tableName() {
        return local.tableName();
    }

    List<String> claimViolations() {
        return List.copyOf(claimViolations);
    }

    /** Every item of the table, by token, read consistently. */
    Map<String, Map<String, AttributeValue>> items() {
        Map<String, Map<String, AttributeValue>> items = new LinkedHashMap<>();
        local.dynamoDb().scanPaginator(scan -> scan.tableName(local.tableName()).consistentRead(true))
                .items().forEach(item -> items.put(item.get("clientRequestToken").s(), item));
        return items;
    }

    Map<String, AttributeValue> item(String token) {
        return items().get(token);
    }

    /** Waits for calls the proxies still hold (delayed ones land late). */
    void awaitIdle() throws InterruptedException {
        for (Instance instance : instances) {
            instance.awaitIdle();
        }
    }

    @Override
    public void close() {
        instances.forEach(Instance::close);
        local.close();
    }

    private void checkClaim(FaultyProxy.Call call, Clock clock) {
        long now = clock.millis();
        List<Map<String, AttributeValue>> live = new ArrayList<>();
        for (Map<String, AttributeValue> item : items().values()) {
            if (IN_PROGRESS.equals(item.get("status").s())
                    && Long.parseLong(item.get("inProgressUntil").n()) > now) {
                live.add(item);
            }
        }
        if ("UpdateAccessEntry".equals(call.operation())) {
            String eksToken;
            try {
                eksToken = String.valueOf(JSON.std.mapFrom(call.body()).get("clientRequestToken"));
            } catch (IOException e) {
                claimViolations.add("UpdateAccessEntry with an unreadable body: " + call.body());
                return;
            }
            boolean held = live.stream().anyMatch(item -> EksClientToken.derive(
                    item.get("clientRequestToken").s(), item.get("requestHash").s()).equals(eksToken));
            if (!held) {
                claimViolations.add("UpdateAccessEntry " + call.path() + " with EKS token " + eksToken
                        + " while no live claim derives it");
            }
        } else if ("DescribeAccessEntry".equals(call.operation()) && live.isEmpty()) {
            claimViolations.add("DescribeAccessEntry " + call.path() + " while no claim was live");
        }
    }

    /** One Lambda instance: its own SDK clients, behind its own proxies, with its own clock. */
    final class Instance implements AutoCloseable {

        final AtomicBoolean crashed = new AtomicBoolean();
        final FaultyProxy dynamoDb;
        final FaultyProxy eks;
        final FaultyProxy eventBridge;
        final Clock clock;
        private final AccessChangeFunction handler;

        private Instance(Clock clock) {
            this.clock = clock;
            dynamoDb = new FaultyProxy(dynaliteEndpoint, FaultyProxy.ERROR_CONTENT_TYPES.get("dynamodb"), crashed);
            eks = new FaultyProxy(local.eks().endpoint(), FaultyProxy.ERROR_CONTENT_TYPES.get("eks"), crashed);
            eventBridge = new FaultyProxy(local.eventBridge().endpoint(),
                    FaultyProxy.ERROR_CONTENT_TYPES.get("eventbridge"), crashed);
            eks.onCall(call -> checkClaim(call, clock));
            Map<String, String> environment = new HashMap<>(Map.of(
                    "IDEMPOTENCY_TABLE_NAME", local.tableName(),
                    "EVENT_BUS_NAME", LocalFunction.BUS,
                    "ALLOWED_CLUSTER_NAMES", "demo"));
            environment.putAll(settings);
            Map<String, URI> endpoints = Map.of("dynamodb", dynamoDb.endpoint(), "eks", eks.endpoint(),
                    "eventbridge", eventBridge.endpoint());
            handler = TestHandlers.handler(Dependencies.create(Configuration.fromEnvironment(environment),
                    (service, builder) -> builder
                            .endpointOverride(endpoints.get(service))
                            .region(Region.US_EAST_1)
                            .credentialsProvider(StaticCredentialsProvider.create(
                                    AwsBasicCredentials.create("local", "local-secret"))),
                    clock));
        }

        /** Invokes the handler with {@code remaining} time left; notes the deadline by this instance's clock. */
        Invocation invoke(SQSEvent event, Duration remaining) {
            Instant deadline = clock.instant().plus(remaining);
            long start = System.nanoTime();
            SQSBatchResponse response = handler.handleRequest(event, TestContext.remaining(remaining));
            return new Invocation(response, deadline, Duration.ofNanos(System.nanoTime() - start));
        }

        void clearFaults() {
            dynamoDb.clearFaults();
            eks.clearFaults();
            eventBridge.clearFaults();
        }

        void awaitIdle() throws InterruptedException {
            dynamoDb.awaitIdle(Duration.ofSeconds(20));
            eks.awaitIdle(Duration.ofSeconds(20));
            eventBridge.awaitIdle(Duration.ofSeconds(20));
        }

        @Override
        public void close() {
            dynamoDb.close();
            eks.close();
            eventBridge.close();
        }
    }

    /** What one invocation returned, and its deadline by the instance's clock. */
    record Invocation(SQSBatchResponse response, Instant deadline, Duration took) {

        List<String> failedIds() {
            return response.getBatchItemFailures().stream()
                    .map(SQSBatchResponse.BatchItemFailure::getItemIdentifier).toList();
        }
    }
}
