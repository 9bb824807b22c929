package dev.eksaccessupdater.dedup;

import static dev.eksaccessupdater.dedup.StateTable.GRANTS;
import static dev.eksaccessupdater.dedup.StateTable.number;
import static dev.eksaccessupdater.dedup.StateTable.string;

import dev.eksaccessupdater.digest.Sha256;
import dev.eksaccessupdater.failure.RetryableException;
import dev.eksaccessupdater.time.CallBudget;
import dev.eksaccessupdater.time.CallTimeouts;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.ReturnValue;

/** {@link EntryLeases} on the DynamoDB state table, as docs/contract.md section 4.2 lays the lease item out. */
public final class DynamoDbEntryLeases implements EntryLeases {

    private static final String FREE = "attribute_not_exists(clientRequestToken) OR inProgressUntil < :nowMillis"
            + " OR expiresAt < :nowSeconds OR #owner = :me";
    private static final Duration SWEEP_MARGIN = Duration.ofDays(1);

    private final StateTable table;
    /** {@code MAX_GRANT_SECONDS}: a lease item outlives every grant it may hold (section 4.2, last rule). */
    private final Duration maxGrant;

    public DynamoDbEntryLeases(DynamoDbClient client, String tableName, Duration maxGrant) {
        this.table = new StateTable(client, tableName);
        this.maxGrant = Objects.requireNonNull(maxGrant, "maxGrant");
    }

    /** {@code lease } and the lower-case hex SHA-256 of the cluster name, a line feed and the principal ARN. */
    public static String key(String clusterName, String principalArn) {
        return "lease " + Sha256.hex((clusterName + "\n" + principalArn).getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public Optional<Lease> acquire(String clusterName, String principalArn, String owner, CallBudget budget) {
        String key = key(clusterName, principalArn);
        Instant now = budget.clock().instant();
        Map<String, AttributeValue> item;
        try {
            item = table.client().updateItem(request -> request
                    .tableName(table.tableName())
                    .key(table.key(key))
                    .updateExpression("SET #owner = :me, inProgressUntil = :until, expiresAt = :expiresAt")
                    .conditionExpression(FREE)
                    .expressionAttributeNames(StateTable.OWNER_NAME)
                    .expressionAttributeValues(Map.of(
                            ":me", string(owner),
                            ":until", number(budget.deadline().toEpochMilli()),
                            ":expiresAt", number(sweepableAfter(now)),
                            ":nowMillis", number(now.toEpochMilli()),
                            ":nowSeconds", number(now.getEpochSecond())))
                    .returnValues(ReturnValue.ALL_NEW)
                    .overrideConfiguration(CallTimeouts.within(budget, "DynamoDB UpdateItem (acquire lease)")))
                    .attributes();
        } catch (ConditionalCheckFailedException heldByAnother) {
            return Optional.empty();
        } catch (SdkException e) {
            throw table.unavailable("UpdateItem (acquire lease)", e);
        }
        return Optional.of(new Lease(key, owner, budget.deadline(), StateTable.grants(item.get(GRANTS))));
    }

    @Override
    public void release(Lease lease, Map<String, GrantRecord> grants, CallBudget budget) {
        try {
            if (grants.isEmpty()) {
                table.client().deleteItem(request -> request
                        .tableName(table.tableName())
                        .key(table.key(lease.key()))
                        .conditionExpression("#owner = :me")
                        .expressionAttributeNames(StateTable.OWNER_NAME)
                        .expressionAttributeValues(Map.of(":me", string(lease.owner())))
                        .overrideConfiguration(CallTimeouts.within(budget, "DynamoDB DeleteItem (release lease)")));
                return;
            }
            Instant now = budget.clock().instant();
            long expiresAt = sweepableAfter(now);
            for (GrantRecord grant : grants.values()) {
                if (grant.until() != null) {
                    expiresAt = Math.max(expiresAt, grant.until() + SWEEP_MARGIN.toSeconds());
                }
            }
            long itemExpiresAt = expiresAt;
            table.client().updateItem(request -> request
                    .tableName(table.tableName())
                    .key(table.key(lease.key()))
                    .updateExpression("SET grants = :grants, inProgressUntil = :zero, expiresAt = :expiresAt"
                            + " REMOVE #owner")
                    .conditionExpression("#owner = :me")
                    .expressionAttributeNames(StateTable.OWNER_NAME)
                    .expressionAttributeValues(Map.of(
                            ":me", string(lease.owner()),
                            ":grants", StateTable.grantsValue(grants),
                            ":zero", number(0),
                            ":expiresAt", number(itemExpiresAt)))
                    .overrideConfiguration(CallTimeouts.within(budget, "DynamoDB UpdateItem (release lease)")));
        } catch (ConditionalCheckFailedException notOurs) {
            throw new RetryableException("DynamoDB lease release: the lease is no longer this attempt's");
        } catch (SdkException e) {
            throw table.unavailable("release lease", e);
        }
    }

    /** The earliest {@code expiresAt} of any write: the item outlives every grant it may hold (section 4.2). */
    private long sweepableAfter(Instant now) {
        return now.plus(maxGrant).plus(SWEEP_MARGIN).getEpochSecond();
    }
}
