package dev.eksaccessupdater.dedup;

import dev.eksaccessupdater.failure.RetryableException;
import dev.eksaccessupdater.time.CallBudget;
import dev.eksaccessupdater.time.CallTimeouts;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.GetItemRequest;

/**
 * The layout of the state table (docs/contract.md section 4), shared by its two adapters: one table, partition
 * key {@code clientRequestToken}, holding claims (key: the request token) and entry leases (key: {@code lease }
 * and a hash). An item whose {@code expiresAt} has passed counts as absent: expiry is decided in the condition
 * expressions, never by the TTL sweeper, which may run days late.
 */
final class StateTable {

    static final String KEY = "clientRequestToken";
    static final String STATUS = "status";
    static final String OWNER = "owner";
    static final String REQUEST_HASH = "requestHash";
    static final String IN_PROGRESS_UNTIL = "inProgressUntil";
    static final String EXPIRES_AT = "expiresAt";
    static final String ACCESS_ENTRY = "accessEntry";
    static final String EVENT_DETAIL = "eventDetail";
    static final String GRANTS = "grants";
    static final String GRANT_RECORDS = "grantRecords";
    static final String EXPIRY_SCHEDULE = "expirySchedule";

    /**
     * {@code owner}, {@code status} and {@code grant} are reserved words in expressions, so every expression names
     * them through placeholders: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ReservedWords.html
     */
    static final Map<String, String> NAMES = Map.of("#owner", OWNER, "#status", STATUS);
    /** For expressions that name only {@code owner}: DynamoDB refuses a placeholder an expression leaves unused. */
    static final Map<String, String> OWNER_NAME = Map.of("#owner", OWNER);

    private final DynamoDbClient client;
    private final String tableName;

    StateTable(DynamoDbClient client, String tableName) {
        this.client = Objects.requireNonNull(client, "client");
        this.tableName = Objects.requireNonNull(tableName, "tableName");
    }

    DynamoDbClient client() {
        return client;
    }

    String tableName() {
        return tableName;
    }

    Map<String, AttributeValue> key(String key) {
        return Map.of(KEY, string(key));
    }

    /** A strongly consistent read; an absent item is an empty map. */
    Map<String, AttributeValue> read(String key, CallBudget budget) {
        try {
            return client.getItem(GetItemRequest.builder()
                    .tableName(tableName)
                    .key(key(key))
                    .consistentRead(true)
                    .overrideConfiguration(CallTimeouts.within(budget, "DynamoDB GetItem"))
                    .build())
                    .item();
        } catch (SdkException e) {
            throw unavailable("GetItem", e);
        }
    }

    /** Names the operation and the error code, never the item: tokens and entries stay out of logs. */
    RetryableException unavailable(String operation, SdkException cause) {
        String reason = cause.getClass().getSimpleName();
        if (cause instanceof AwsServiceException service && service.awsErrorDetails() != null) {
            reason = service.awsErrorDetails().errorCode() + " (HTTP " + service.statusCode() + ")";
        }
        return new RetryableException("DynamoDB " + operation + " on table " + tableName + " failed: " + reason, cause);
    }

    static RetryableException malformed(String attribute) {
        return new RetryableException("DynamoDB state table item has no valid " + attribute);
    }

    static AttributeValue string(String value) {
        return AttributeValue.fromS(value);
    }

    static AttributeValue number(long value) {
        return AttributeValue.fromN(Long.toString(value));
    }

    static String stringIn(Map<String, AttributeValue> item, String attribute) {
        AttributeValue value = item.get(attribute);
        if (value == null || value.s() == null) {
            throw malformed(attribute);
        }
        return value.s();
    }

    /** The attribute's string, or {@code null} when it is absent. */
    static String optionalStringIn(Map<String, AttributeValue> item, String attribute) {
        AttributeValue value = item.get(attribute);
        return value == null ? null : value.s();
    }

    static long numberIn(Map<String, AttributeValue> item, String attribute) {
        AttributeValue value = item.get(attribute);
        if (value == null || value.n() == null) {
            throw malformed(attribute);
        }
        try {
            return Long.parseLong(value.n());
        } catch (NumberFormatException notAWholeNumber) {
            throw malformed(attribute);
        }
    }

    /** The attribute's number, or {@code fallback} when it is absent. */
    static long numberIn(Map<String, AttributeValue> item, String attribute, long fallback) {
        return item.containsKey(attribute) ? numberIn(item, attribute) : fallback;
    }

    /** The {@code grants} map of a lease item, or a claim's {@code grantRecords}; absent is empty. */
    static Map<String, GrantRecord> grants(AttributeValue value) {
        if (value == null || !value.hasM()) {
            return Map.of();
        }
        Map<String, GrantRecord> grants = new TreeMap<>();
        value.m().forEach((group, record) -> {
            if (record.hasM()) {
                Map<String, AttributeValue> fields = record.m();
                grants.put(group, new GrantRecord(stringIn(fields, "token"),
                        fields.containsKey("until") ? numberIn(fields, "until") : null,
                        numberIn(fields, "grantedAt")));
            }
        });
        return grants;
    }

    /** Group to {@code {token, until, grantedAt}}, {@code until} left out when there is none. */
    static AttributeValue grantsValue(Map<String, GrantRecord> grants) {
        Map<String, AttributeValue> item = new HashMap<>();
        grants.forEach((group, grant) -> {
            Map<String, AttributeValue> fields = new HashMap<>();
            fields.put("token", string(grant.token()));
            fields.put("grantedAt", number(grant.grantedAt()));
            if (grant.until() != null) {
                fields.put("until", number(grant.until()));
            }
            item.put(group, AttributeValue.fromM(fields));
        });
        return AttributeValue.fromM(item);
    }
}
