package dev.eksaccessupdater.dedup;

import dev.eksaccessupdater.failure.RetryableException;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.DeleteItemRequest;
import software.amazon.awssdk.services.dynamodb.model.GetItemRequest;
import software.amazon.awssdk.services.dynamodb.model.PutItemRequest;
import software.amazon.awssdk.services.dynamodb.model.ReturnValuesOnConditionCheckFailure;
import software.amazon.awssdk.services.dynamodb.model.UpdateItemRequest;

/** The {@link IdempotencyStore} on a DynamoDB table: one item per token, laid out as SPEC section 4 says. */
public final class DynamoDbIdempotencyStore implements IdempotencyStore {

    private static final String TOKEN = "clientRequestToken";
    private static final String STATUS = "status";
    private static final String REQUEST_HASH = "requestHash";
    private static final String IN_PROGRESS_UNTIL = "inProgressUntil";
    private static final String EXPIRES_AT = "expiresAt";
    private static final String ACCESS_ENTRY = "accessEntry";

    private static final String IN_PROGRESS = "IN_PROGRESS";
    private static final String COMPLETED = "COMPLETED";

    // "status" is a reserved word in expressions:
    // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ReservedWords.html
    private static final Map<String, String> NAMES = Map.of("#status", STATUS);

    /** Expiry is decided here, never by the TTL sweeper, which may run days late. */
    private static final String CLAIMABLE = "attribute_not_exists(clientRequestToken) OR expiresAt < :nowSeconds"
            + " OR (#status = :inProgress AND inProgressUntil < :nowMillis)";
    private static final String STILL_THIS_CLAIM =
            "#status = :inProgress AND requestHash = :hash AND inProgressUntil = :until";
    private static final String MARK_COMPLETED = "SET #status = :completed, accessEntry = :accessEntry,"
            + " expiresAt = :expiresAt REMOVE inProgressUntil";

    /** The first write and up to two more when the item changed between the failed write and the read. */
    private static final int CLAIM_ATTEMPTS = 3;

    private final DynamoDbClient client;
    private final String tableName;
    private final Duration timeToLive;

    public DynamoDbIdempotencyStore(DynamoDbClient client, String tableName, Duration timeToLive) {
        this.client = Objects.requireNonNull(client, "client");
        this.tableName = Objects.requireNonNull(tableName, "tableName");
        this.timeToLive = Objects.requireNonNull(timeToLive, "timeToLive");
        if (timeToLive.isNegative() || timeToLive.isZero()) {
            throw new IllegalArgumentException("timeToLive must be positive: " + timeToLive);
        }
    }

    @Override
    public ClaimResult claim(String token, String requestHash, Instant now, Instant inProgressUntil) {
        for (int attempt = 0; attempt < CLAIM_ATTEMPTS; attempt++) {
            Optional<ClaimResult> result = tryClaim(token, requestHash, now, inProgressUntil);
            if (result.isPresent()) {
                return result.get();
            }
        }
        throw new RetryableException("DynamoDB claim on table " + tableName + ": the record changed between write"
                + " and read " + CLAIM_ATTEMPTS + " times in a row");
    }

    /** Empty when the write failed but the item then read was gone or claimable: it changed meanwhile. */
    private Optional<ClaimResult> tryClaim(String token, String requestHash, Instant now, Instant inProgressUntil) {
        long untilMillis = inProgressUntil.toEpochMilli();
        PutItemRequest put = PutItemRequest.builder()
                .tableName(tableName)
                .item(Map.of(
                        TOKEN, string(token),
                        STATUS, string(IN_PROGRESS),
                        REQUEST_HASH, string(requestHash),
                        IN_PROGRESS_UNTIL, number(untilMillis),
                        EXPIRES_AT, number(claimExpiresAt(now, untilMillis))))
                .conditionExpression(CLAIMABLE)
                .expressionAttributeNames(NAMES)
                .expressionAttributeValues(Map.of(
                        ":nowSeconds", number(now.getEpochSecond()),
                        ":nowMillis", number(now.toEpochMilli()),
                        ":inProgress", string(IN_PROGRESS)))
                .returnValuesOnConditionCheckFailure(ReturnValuesOnConditionCheckFailure.ALL_OLD)
                .build();
        try {
            client.putItem(put);
            return Optional.of(new ClaimResult.Acquired(token, requestHash, Instant.ofEpochMilli(untilMillis)));
        } catch (ConditionalCheckFailedException held) {
            // DynamoDB returns the item that failed the condition; dynalite does not, so read it then.
            Map<String, AttributeValue> existing = held.hasItem() ? held.item() : read(token);
            if (existing.isEmpty() || isClaimable(existing, now)) {
                return Optional.empty();
            }
            return Optional.of(classify(token, existing));
        } catch (SdkException e) {
            throw unavailable("PutItem (claim)", e);
        }
    }

    /**
     * An in-progress claim must not expire before it lapses, or a TTL shorter than the invocation's remaining
     * time would let another invocation take over a live claim.
     */
    private long claimExpiresAt(Instant now, long untilMillis) {
        return Math.max(now.plus(timeToLive).getEpochSecond(), untilMillis / 1000 + 1);
    }

    private Map<String, AttributeValue> read(String token) {
        try {
            return client.getItem(GetItemRequest.builder()
                    .tableName(tableName)
                    .key(Map.of(TOKEN, string(token)))
                    .consistentRead(true)
                    .build())
                    .item();
        } catch (SdkException e) {
            throw unavailable("GetItem (claim)", e);
        }
    }

    /** The claim condition, evaluated on an item read after it failed. */
    private static boolean isClaimable(Map<String, AttributeValue> item, Instant now) {
        return numberIn(item, EXPIRES_AT) < now.getEpochSecond()
                || IN_PROGRESS.equals(stringIn(item, STATUS)) && numberIn(item, IN_PROGRESS_UNTIL) < now.toEpochMilli();
    }

    private static ClaimResult classify(String token, Map<String, AttributeValue> item) {
        return switch (stringIn(item, STATUS)) {
            case COMPLETED -> new ClaimResult.Completed(
                    token, stringIn(item, REQUEST_HASH), stringIn(item, ACCESS_ENTRY));
            case IN_PROGRESS -> new ClaimResult.InProgress(
                    token, Instant.ofEpochMilli(numberIn(item, IN_PROGRESS_UNTIL)));
            default -> throw malformed(STATUS);
        };
    }

    @Override
    public boolean complete(ClaimResult.Acquired claim, String accessEntryJson, Instant now) {
        UpdateItemRequest update = UpdateItemRequest.builder()
                .tableName(tableName)
                .key(Map.of(TOKEN, string(claim.token())))
                .updateExpression(MARK_COMPLETED)
                .conditionExpression(STILL_THIS_CLAIM)
                .expressionAttributeNames(NAMES)
                .expressionAttributeValues(Map.of(
                        ":completed", string(COMPLETED),
                        ":accessEntry", string(accessEntryJson),
                        ":expiresAt", number(now.plus(timeToLive).getEpochSecond()),
                        ":inProgress", string(IN_PROGRESS),
                        ":hash", string(claim.requestHash()),
                        ":until", number(claim.inProgressUntil().toEpochMilli())))
                .build();
        try {
            client.updateItem(update);
            return true;
        } catch (ConditionalCheckFailedException lost) {
            // Our claim lapsed and the token is someone else's now. The change is applied and its event published,
            // so throwing would only have SQS redeliver a finished message; the newer claim owns the record.
            return false;
        } catch (SdkException e) {
            throw unavailable("UpdateItem (complete)", e);
        }
    }

    @Override
    public void release(ClaimResult.Acquired claim) {
        DeleteItemRequest delete = DeleteItemRequest.builder()
                .tableName(tableName)
                .key(Map.of(TOKEN, string(claim.token())))
                .conditionExpression(STILL_THIS_CLAIM)
                .expressionAttributeNames(NAMES)
                .expressionAttributeValues(Map.of(
                        ":inProgress", string(IN_PROGRESS),
                        ":hash", string(claim.requestHash()),
                        ":until", number(claim.inProgressUntil().toEpochMilli())))
                .build();
        try {
            client.deleteItem(delete);
        } catch (ConditionalCheckFailedException notOurs) {
            // The record belongs to a newer claim (or is gone): it is not ours to delete.
        } catch (SdkException e) {
            throw unavailable("DeleteItem (release)", e);
        }
    }

    /** Names the operation and the error code, never the item: tokens and entries stay out of logs. */
    private RetryableException unavailable(String operation, SdkException cause) {
        String reason = cause.getClass().getSimpleName();
        if (cause instanceof AwsServiceException service && service.awsErrorDetails() != null) {
            reason = service.awsErrorDetails().errorCode() + " (HTTP " + service.statusCode() + ")";
        }
        return new RetryableException("DynamoDB " + operation + " on table " + tableName + " failed: " + reason, cause);
    }

    private static RetryableException malformed(String attribute) {
        return new RetryableException("DynamoDB idempotency record has no valid " + attribute);
    }

    private static AttributeValue string(String value) {
        return AttributeValue.fromS(value);
    }

    private static AttributeValue number(long value) {
        return AttributeValue.fromN(Long.toString(value));
    }

    private static String stringIn(Map<String, AttributeValue> item, String attribute) {
        AttributeValue value = item.get(attribute);
        if (value == null || value.s() == null) {
            throw malformed(attribute);
        }
        return value.s();
    }

    private static long numberIn(Map<String, AttributeValue> item, String attribute) {
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
}
