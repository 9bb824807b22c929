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
import dev.eksaccessupdater.dedup.DynamoDbEntryLeases;
import dev.eksaccessupdater.eks.EksClientToken;
import dev.eksaccessupdater.standin.EksStandIn;
import dev.eksaccessupdater.standin.EventBridgeStandIn;
import dev.eksaccessupdater.testing.Dynalite;
import java.io.IOException;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
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
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * The real function (real composition root and SDK clients) on dynalite and the EKS/EventBridge stand-ins of a
 * {@link LocalFunction}, with every instance talking to the three services through its own {@link FaultyProxy}s.
 * Each instance has its own clock offset, so a redelivery "after the claim lapsed" needs no waiting.
 * <p>
 * Every EKS call any instance makes is checked against the table at the moment it is made (invariant 2): an
 * {@code UpdateAccessEntry} must be covered by a live {@code IN_PROGRESS} claim whose token and hash derive the EKS
 * token sent with the groups and username sent, and by a live lease of the entry held by that claim's owner; a
 * {@code DescribeAccessEntry} by a live lease of the entry and a live claim of the lease's owner. An update whose
 * EKS token derives from a claim already {@code APPLIED} or {@code COMPLETED} is a recomputation (invariant 3).
 */
final class ProxiedStack implements AutoCloseable {

    static final String IN_PROGRESS = "IN_PROGRESS";
    private static final Pattern ENTRY_PATH = Pattern.compile("/clusters/([^/]+)/access-entries/([^/]+)");

    private final LocalFunction local;
    private final URI dynaliteEndpoint;
    private final Map<String, String> settings;
    private final List<String> claimViolations = new CopyOnWriteArrayList<>();
    private final List<String> recomputations = new CopyOnWriteArrayList<>();
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

    List<String> recomputations() {
        return List.copyOf(recomputations);
    }

    /** True for an entry lease's key, false for a claim's (a request token has no space). */
    static boolean isLease(String key) {
        return key.startsWith("lease ");
    }

    /** A claim's status; {@code null} for a lease item. */
    static String status(Map<String, AttributeValue> item) {
        AttributeValue status = item.get("status");
        return status == null ? null : status.s();
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

    /** Invariants 2 and 3 at the moment an EKS call reaches the proxy of a live instance. */
    @SuppressWarnings("unchecked")
    private void checkEksCall(FaultyProxy.Call call, Clock clock) {
        Matcher path = ENTRY_PATH.matcher(call.path());
        if (!path.matches()) {
            return;
        }
        String cluster = URLDecoder.decode(path.group(1), StandardCharsets.UTF_8);
        String principal = URLDecoder.decode(path.group(2), StandardCharsets.UTF_8);
        Instant now = clock.instant();
        Map<String, Map<String, AttributeValue>> items = items();
        Map<String, AttributeValue> lease = items.get(DynamoDbEntryLeases.key(cluster, principal));
        String leaseOwner = lease != null && live(lease, now) ? lease.get("owner").s() : null;
        if ("DescribeAccessEntry".equals(call.operation())) {
            if (leaseOwner == null) {
                claimViolations.add("DescribeAccessEntry " + call.path() + " without a live lease of the entry");
            } else if (items.entrySet().stream().noneMatch(item -> !isLease(item.getKey())
                    && IN_PROGRESS.equals(status(item.getValue())) && live(item.getValue(), now)
                    && leaseOwner.equals(item.getValue().get("owner").s()))) {
                claimViolations.add("DescribeAccessEntry " + call.path() + " without a live claim of the lease's"
                        + " owner " + leaseOwner);
            }
            return;
        }
        if (!"UpdateAccessEntry".equals(call.operation())) {
            return;
        }
        Map<String, Object> body;
        try {
            body = JSON.std.mapFrom(call.body());
        } catch (IOException e) {
            claimViolations.add("UpdateAccessEntry with an unreadable body: " + call.body());
            return;
        }
        String eksToken = String.valueOf(body.get("clientRequestToken"));
        List<String> groups = body.get("kubernetesGroups") == null ? List.of()
                : ((List<Object>) body.get("kubernetesGroups")).stream().map(String::valueOf).toList();
        String username = (String) body.get("username");
        String holder = null;
        String recorded = null;
        for (Map.Entry<String, Map<String, AttributeValue>> item : items.entrySet()) {
            if (isLease(item.getKey()) || item.getValue().get("requestHash") == null) {
                continue;
            }
            boolean derives = EksClientToken.derive(item.getKey(), item.getValue().get("requestHash").s(), groups,
                    username).equals(eksToken);
            if (!derives) {
                continue;
            }
            if (IN_PROGRESS.equals(status(item.getValue())) && live(item.getValue(), now)) {
                holder = item.getValue().get("owner").s();
            } else if (!IN_PROGRESS.equals(status(item.getValue()))) {
                recorded = item.getKey() + " (" + status(item.getValue()) + ")";
            }
        }
        if (holder == null) {
            if (recorded != null) {
                recomputations.add("UpdateAccessEntry " + call.path() + " with EKS token " + eksToken
                        + " for request " + recorded + ": a change EKS accepted was recomputed");
            } else {
                claimViolations.add("UpdateAccessEntry " + call.path() + " with EKS token " + eksToken
                        + " while no live claim derives it");
            }
        } else if (!holder.equals(leaseOwner)) {
            claimViolations.add("UpdateAccessEntry " + call.path() + " by claim owner " + holder
                    + " while the entry's live lease is held by " + leaseOwner);
        }
    }

    /** Held by an owner, not lapsed ({@code inProgressUntil}) and not expired ({@code expiresAt}). */
    private static boolean live(Map<String, AttributeValue> item, Instant now) {
        return item.get("owner") != null && item.get("inProgressUntil") != null
                && Long.parseLong(item.get("inProgressUntil").n()) > now.toEpochMilli()
                && (item.get("expiresAt") == null || Long.parseLong(item.get("expiresAt").n()) >= now.getEpochSecond());
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
            eks.onCall(call -> checkEksCall(call, clock));
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
