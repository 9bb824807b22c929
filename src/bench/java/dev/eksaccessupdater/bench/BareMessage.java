package dev.eksaccessupdater.bench;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ReturnValue;
import software.amazon.awssdk.services.dynamodb.model.ReturnValuesOnConditionCheckFailure;
import software.amazon.awssdk.services.eks.EksClient;
import software.amazon.awssdk.services.eks.model.AccessEntry;
import software.amazon.awssdk.services.eventbridge.EventBridgeClient;
import software.amazon.awssdk.services.eventbridge.model.PutEventsRequestEntry;
import software.amazon.awssdk.services.eventbridge.model.PutEventsResponse;

/**
 * The AWS calls of one message under version 2 of docs/contract.md, made by bare SDK clients and nothing else: the
 * floor that no implementation on SDK v2 clients can beat without changing the JVM. {@value #CALLS} calls in
 * {@value #ROUND_TRIPS} sequential round trips (docs/contract.md section 1):
 * <ol>
 * <li>claim (conditional {@code PutItem}) beside the lease acquire (conditional upsert {@code UpdateItem});</li>
 * <li>{@code DescribeAccessEntry};</li>
 * <li>{@code UpdateAccessEntry} with the described groups plus one;</li>
 * <li>record ({@code UpdateItem} to {@code APPLIED} with the entry and event detail);</li>
 * <li>{@code PutEvents} beside the lease release (conditional {@code DeleteItem});</li>
 * <li>complete ({@code UpdateItem} to {@code COMPLETED}).</li>
 * </ol>
 * Conditions and attributes are those of docs/contract.md section 4; JSON is concatenated, not serialised. The calls
 * beside another run on {@code beside}.
 */
final class BareMessage {

    static final int ROUND_TRIPS = 6;
    static final int CALLS = 8;
    static final String GROUP = "bench-readers";
    private static final String KEY = "clientRequestToken";

    private final DynamoDbClient dynamoDb;
    private final EksClient eks;
    private final EventBridgeClient eventBridge;
    private final String table;
    private final String bus;
    private final Executor beside;

    BareMessage(DynamoDbClient dynamoDb, EksClient eks, EventBridgeClient eventBridge, String table, String bus,
                Executor beside) {
        this.dynamoDb = dynamoDb;
        this.eks = eks;
        this.eventBridge = eventBridge;
        this.table = table;
        this.bus = bus;
        this.beside = beside;
    }

    void process(String cluster, String principal, String token) {
        String owner = UUID.randomUUID().toString();
        long nowMillis = System.currentTimeMillis();
        AttributeValue me = AttributeValue.fromS(owner);
        AttributeValue now = number(nowMillis);
        AttributeValue nowSeconds = number(nowMillis / 1000);
        AttributeValue until = number(nowMillis + 60_000);
        AttributeValue expires = number(nowMillis / 1000 + 86_400);
        Map<String, AttributeValue> claimKey = Map.of(KEY, AttributeValue.fromS(token));
        Map<String, AttributeValue> leaseKey = Map.of(KEY, AttributeValue.fromS("lease " + sha256(cluster + "\n"
                + principal)));

        CompletableFuture<Void> lease = CompletableFuture.runAsync(() -> dynamoDb.updateItem(request -> request
                .tableName(table).key(leaseKey)
                .updateExpression("SET #owner = :me, inProgressUntil = :until, expiresAt = :expires")
                .conditionExpression("attribute_not_exists(clientRequestToken) OR inProgressUntil < :now"
                        + " OR expiresAt < :nowSeconds OR #owner = :me")
                .expressionAttributeNames(Map.of("#owner", "owner"))
                .expressionAttributeValues(Map.of(":me", me, ":until", until, ":expires", expires, ":now", now,
                        ":nowSeconds", nowSeconds))
                .returnValues(ReturnValue.ALL_NEW)), beside);
        dynamoDb.putItem(request -> request.tableName(table)
                .item(Map.of(KEY, AttributeValue.fromS(token), "status", AttributeValue.fromS("IN_PROGRESS"),
                        "owner", me, "requestHash", AttributeValue.fromS(sha256(token)), "inProgressUntil", until,
                        "expiresAt", expires))
                .conditionExpression("attribute_not_exists(clientRequestToken)"
                        + " OR (expiresAt < :nowSeconds AND #status <> :applied)"
                        + " OR (#status = :inProgress AND inProgressUntil < :now)")
                .expressionAttributeNames(Map.of("#status", "status"))
                .expressionAttributeValues(Map.of(":nowSeconds", nowSeconds, ":now", now,
                        ":applied", AttributeValue.fromS("APPLIED"),
                        ":inProgress", AttributeValue.fromS("IN_PROGRESS")))
                .returnValuesOnConditionCheckFailure(ReturnValuesOnConditionCheckFailure.ALL_OLD));
        lease.join();

        AccessEntry described = eks.describeAccessEntry(request -> request.clusterName(cluster)
                .principalArn(principal)).accessEntry();
        List<String> groups = new ArrayList<>(described.kubernetesGroups());
        if (!groups.contains(GROUP)) {
            groups.add(GROUP);
        }
        AccessEntry updated = eks.updateAccessEntry(request -> request.clusterName(cluster).principalArn(principal)
                .kubernetesGroups(groups).clientRequestToken(token)).accessEntry();
        String entry = "{\"clusterName\":\"" + updated.clusterName() + "\",\"principalArn\":\""
                + updated.principalArn() + "\",\"kubernetesGroups\":" + updated.kubernetesGroups().size() + "}";
        String detail = "{\"clientRequestToken\":\"" + token + "\",\"accessEntry\":" + entry + "}";

        Map<String, String> ownerName = Map.of("#owner", "owner", "#status", "status");
        dynamoDb.updateItem(request -> request.tableName(table).key(claimKey)
                .updateExpression("SET #status = :applied, accessEntry = :entry, eventDetail = :detail,"
                        + " expiresAt = :expires")
                .conditionExpression("#owner = :me")
                .expressionAttributeNames(ownerName)
                .expressionAttributeValues(Map.of(":applied", AttributeValue.fromS("APPLIED"),
                        ":entry", AttributeValue.fromS(entry), ":detail", AttributeValue.fromS(detail),
                        ":expires", expires, ":me", me)));

        CompletableFuture<Void> release = CompletableFuture.runAsync(() -> dynamoDb.deleteItem(request -> request
                .tableName(table).key(leaseKey)
                .conditionExpression("#owner = :me")
                .expressionAttributeNames(Map.of("#owner", "owner"))
                .expressionAttributeValues(Map.of(":me", me))), beside);
        PutEventsResponse published = eventBridge.putEvents(request -> request.entries(PutEventsRequestEntry.builder()
                .source("bench").detailType("Access Entry Updated").detail(detail).eventBusName(bus).build()));
        if (published.failedEntryCount() > 0) {
            throw new IllegalStateException("PutEvents refused the entry: " + published.entries());
        }
        release.join();

        dynamoDb.updateItem(request -> request.tableName(table).key(claimKey)
                .updateExpression("SET #status = :completed REMOVE eventDetail")
                .conditionExpression("#owner = :me")
                .expressionAttributeNames(ownerName)
                .expressionAttributeValues(Map.of(":completed", AttributeValue.fromS("COMPLETED"), ":me", me)));
    }

    private static AttributeValue number(long value) {
        return AttributeValue.fromN(Long.toString(value));
    }

    private static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException impossible) {
            throw new IllegalStateException(impossible);
        }
    }
}
