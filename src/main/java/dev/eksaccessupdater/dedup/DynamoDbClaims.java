package dev.eksaccessupdater.dedup;

import static dev.eksaccessupdater.dedup.StateTable.ACCESS_ENTRY;
import static dev.eksaccessupdater.dedup.StateTable.EVENT_DETAIL;
import static dev.eksaccessupdater.dedup.StateTable.EXPIRES_AT;
import static dev.eksaccessupdater.dedup.StateTable.EXPIRY_SCHEDULE;
import static dev.eksaccessupdater.dedup.StateTable.GRANT_RECORDS;
import static dev.eksaccessupdater.dedup.StateTable.IN_PROGRESS_UNTIL;
import static dev.eksaccessupdater.dedup.StateTable.KEY;
import static dev.eksaccessupdater.dedup.StateTable.NAMES;
import static dev.eksaccessupdater.dedup.StateTable.OWNER;
import static dev.eksaccessupdater.dedup.StateTable.REQUEST_HASH;
import static dev.eksaccessupdater.dedup.StateTable.STATUS;
import static dev.eksaccessupdater.dedup.StateTable.number;
import static dev.eksaccessupdater.dedup.StateTable.numberIn;
import static dev.eksaccessupdater.dedup.StateTable.optionalStringIn;
import static dev.eksaccessupdater.dedup.StateTable.string;
import static dev.eksaccessupdater.dedup.StateTable.stringIn;

import dev.eksaccessupdater.failure.RetryableException;
import dev.eksaccessupdater.schedule.ExpirySchedule;
import dev.eksaccessupdater.time.CallBudget;
import dev.eksaccessupdater.time.CallTimeouts;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.ReturnValue;
import software.amazon.awssdk.services.dynamodb.model.ReturnValuesOnConditionCheckFailure;
import software.amazon.awssdk.services.dynamodb.model.UpdateItemRequest;

/** {@link Claims} on the DynamoDB state table, item layout and conditions as docs/contract.md section 4.1 gives them. */
public final class DynamoDbClaims implements Claims {

    /** New claim: the token is absent, expired (unless APPLIED: never replaced), or a lapsed IN_PROGRESS claim. */
    private static final String CLAIMABLE = "attribute_not_exists(clientRequestToken)"
            + " OR (expiresAt < :nowSeconds AND #status <> :applied)"
            + " OR (#status = :inProgress AND inProgressUntil < :nowMillis)";
    /**
     * A lapsed APPLIED claim of the same request, or one this attempt already took: an SDK retry of a take-over that
     * succeeded recognises its own, as a claim does (docs/contract.md section 4.1 names only the first part).
     */
    private static final String LAPSED_APPLIED =
            "#status = :applied AND requestHash = :hash AND (inProgressUntil < :nowMillis OR #owner = :me)";
    private static final String OWNED = "#owner = :me";
    private static final String OWNED_WITH_STATUS = "#owner = :me AND #status = :status";

    /** The first write and up to two more when the item changed between the failed write and the read. */
    private static final int CLAIM_ATTEMPTS = 3;

    private final StateTable table;
    private final Duration timeToLive;

    public DynamoDbClaims(DynamoDbClient client, String tableName, Duration timeToLive) {
        this.table = new StateTable(client, tableName);
        this.timeToLive = Objects.requireNonNull(timeToLive, "timeToLive");
        if (timeToLive.isNegative() || timeToLive.isZero()) {
            throw new IllegalArgumentException("timeToLive must be positive: " + timeToLive);
        }
    }

    @Override
    public ClaimResult claim(String token, String requestHash, String owner, CallBudget budget) {
        for (int attempt = 0; attempt < CLAIM_ATTEMPTS; attempt++) {
            ClaimResult result = tryClaim(token, requestHash, owner, budget);
            if (result != null) {
                return result;
            }
        }
        throw new RetryableException("DynamoDB claim on table " + table.tableName() + ": the item changed between"
                + " write and read " + CLAIM_ATTEMPTS + " times in a row");
    }

    /** {@code null} when the write failed but the item then read was gone or claimable: it changed meanwhile. */
    private ClaimResult tryClaim(String token, String requestHash, String owner, CallBudget budget) {
        Instant now = budget.clock().instant();
        long untilMillis = budget.deadline().toEpochMilli();
        Map<String, AttributeValue> item = Map.of(
                KEY, string(token),
                STATUS, string(ClaimStatus.IN_PROGRESS.name()),
                OWNER, string(owner),
                REQUEST_HASH, string(requestHash),
                IN_PROGRESS_UNTIL, number(untilMillis),
                EXPIRES_AT, number(expiresAt(now, untilMillis)));
        try {
            table.client().putItem(request -> request
                    .tableName(table.tableName())
                    .item(item)
                    .conditionExpression(CLAIMABLE)
                    .expressionAttributeNames(Map.of("#status", STATUS))
                    .expressionAttributeValues(Map.of(
                            ":nowSeconds", number(now.getEpochSecond()),
                            ":nowMillis", number(now.toEpochMilli()),
                            ":inProgress", string(ClaimStatus.IN_PROGRESS.name()),
                            ":applied", string(ClaimStatus.APPLIED.name())))
                    .returnValuesOnConditionCheckFailure(ReturnValuesOnConditionCheckFailure.ALL_OLD)
                    .overrideConfiguration(CallTimeouts.within(budget, "DynamoDB PutItem (claim)")));
            return new ClaimResult.Held(token, requestHash, owner, budget.deadline(), null);
        } catch (ConditionalCheckFailedException held) {
            // DynamoDB returns the item that failed the condition; dynalite does not, so read it then.
            Map<String, AttributeValue> existing = held.hasItem() ? held.item() : table.read(token, budget);
            return existing.isEmpty() ? null : classify(token, requestHash, owner, existing, budget);
        } catch (SdkException e) {
            throw table.unavailable("PutItem (claim)", e);
        }
    }

    /** What the item that failed the claim's condition means; {@code null} when it would pass it now. */
    private static ClaimResult classify(String token, String requestHash, String owner,
                                        Map<String, AttributeValue> item, CallBudget budget) {
        Instant now = budget.clock().instant();
        ClaimStatus status = status(item);
        long until = numberIn(item, IN_PROGRESS_UNTIL, 0);
        if (owner.equals(optionalStringIn(item, OWNER)) && status == ClaimStatus.IN_PROGRESS) {
            // An SDK retry of a put that had in fact succeeded: the claim is this attempt's.
            return new ClaimResult.Held(token, stringIn(item, REQUEST_HASH), owner, Instant.ofEpochMilli(until), null);
        }
        boolean expired = numberIn(item, EXPIRES_AT) < now.getEpochSecond();
        boolean lapsed = until < now.toEpochMilli();
        String heldHash = stringIn(item, REQUEST_HASH);
        return switch (status) {
            case COMPLETED -> expired ? null : new ClaimResult.Completed(heldHash);
            case IN_PROGRESS -> expired || lapsed ? null
                    : new ClaimResult.HeldElsewhere(token, heldHash, status, Instant.ofEpochMilli(until));
            case APPLIED -> lapsed ? new ClaimResult.AppliedLapsed(token, heldHash)
                    : new ClaimResult.HeldElsewhere(token, heldHash, status, Instant.ofEpochMilli(until));
        };
    }

    @Override
    public ClaimResult.Held takeOver(ClaimResult.AppliedLapsed lapsed, String owner, CallBudget budget) {
        Instant now = budget.clock().instant();
        long untilMillis = budget.deadline().toEpochMilli();
        Map<String, AttributeValue> item;
        try {
            item = table.client().updateItem(request -> request
                    .tableName(table.tableName())
                    .key(table.key(lapsed.token()))
                    .updateExpression("SET #owner = :me, inProgressUntil = :until, expiresAt = :expiresAt")
                    .conditionExpression(LAPSED_APPLIED)
                    .expressionAttributeNames(NAMES)
                    .expressionAttributeValues(Map.of(
                            ":me", string(owner),
                            ":until", number(untilMillis),
                            ":expiresAt", number(expiresAt(now, untilMillis)),
                            ":applied", string(ClaimStatus.APPLIED.name()),
                            ":hash", string(lapsed.requestHash()),
                            ":nowMillis", number(now.toEpochMilli())))
                    .returnValues(ReturnValue.ALL_NEW)
                    .overrideConfiguration(CallTimeouts.within(budget, "DynamoDB UpdateItem (take over)")))
                    .attributes();
        } catch (ConditionalCheckFailedException takenFirst) {
            throw new RetryableException("the APPLIED claim was taken over by another attempt first");
        } catch (SdkException e) {
            throw table.unavailable("UpdateItem (take over)", e);
        }
        return new ClaimResult.Held(lapsed.token(), lapsed.requestHash(), owner, Instant.ofEpochMilli(untilMillis),
                new AppliedRecord(stringIn(item, ACCESS_ENTRY), stringIn(item, EVENT_DETAIL),
                        StateTable.grants(item.get(GRANT_RECORDS)), expirySchedule(item.get(EXPIRY_SCHEDULE))));
    }

    @Override
    public ClaimResult.Held record(ClaimResult.Held claim, AppliedRecord record, CallBudget budget) {
        Map<String, AttributeValue> values = new HashMap<>(Map.of(
                ":me", string(claim.owner()),
                ":applied", string(ClaimStatus.APPLIED.name()),
                ":accessEntry", string(record.accessEntryJson()),
                ":eventDetail", string(record.eventDetailJson()),
                ":expiresAt", number(expiresAt(budget.clock().instant(), claim.inProgressUntil().toEpochMilli()))));
        StringBuilder update = new StringBuilder("SET #status = :applied, accessEntry = :accessEntry,"
                + " eventDetail = :eventDetail, expiresAt = :expiresAt");
        if (record.changesGrants()) {
            update.append(", grantRecords = :grantRecords");
            values.put(":grantRecords", StateTable.grantsValue(record.grantRecords()));
        }
        if (record.expirySchedule() != null) {
            update.append(", expirySchedule = :expirySchedule");
            values.put(":expirySchedule", expiryScheduleValue(record));
        }
        ownedWrite("UpdateItem (record)", claim, budget, request -> request
                .updateExpression(update.toString())
                .conditionExpression(OWNED)
                .expressionAttributeValues(values));
        return new ClaimResult.Held(claim.token(), claim.requestHash(), claim.owner(), claim.inProgressUntil(), record);
    }

    @Override
    public void complete(ClaimResult.Held claim, CallBudget budget) {
        ownedWrite("UpdateItem (complete)", claim, budget, request -> request
                .updateExpression("SET #status = :completed, expiresAt = :expiresAt"
                        + " REMOVE eventDetail, grantRecords, expirySchedule")
                .conditionExpression(OWNED)
                .expressionAttributeValues(Map.of(
                        ":me", string(claim.owner()),
                        ":completed", string(ClaimStatus.COMPLETED.name()),
                        ":expiresAt", number(budget.clock().instant().plus(timeToLive).getEpochSecond()))));
    }

    @Override
    public void yield(ClaimResult.Held claim, CallBudget budget) {
        ownedWrite("UpdateItem (yield)", claim, budget, request -> request
                .updateExpression("SET inProgressUntil = :zero, expiresAt = :expiresAt REMOVE #owner")
                .conditionExpression(OWNED_WITH_STATUS)
                .expressionAttributeValues(Map.of(
                        ":me", string(claim.owner()),
                        ":status", string(ClaimStatus.APPLIED.name()),
                        ":zero", number(0),
                        ":expiresAt", number(budget.clock().instant().plus(timeToLive).getEpochSecond()))));
    }

    private void ownedWrite(String operation, ClaimResult.Held claim, CallBudget budget,
                            Consumer<UpdateItemRequest.Builder> expression) {
        try {
            table.client().updateItem(request -> {
                request.tableName(table.tableName())
                        .key(table.key(claim.token()))
                        .expressionAttributeNames(NAMES)
                        .overrideConfiguration(CallTimeouts.within(budget, "DynamoDB " + operation));
                expression.accept(request);
            });
        } catch (ConditionalCheckFailedException notOurs) {
            throw new RetryableException("DynamoDB " + operation + ": the claim is no longer this attempt's"
                    + " (it lapsed and was taken over)");
        } catch (SdkException e) {
            throw table.unavailable(operation, e);
        }
    }

    @Override
    public void release(ClaimResult.Held claim, CallBudget budget) {
        try {
            table.client().deleteItem(request -> request
                    .tableName(table.tableName())
                    .key(table.key(claim.token()))
                    .conditionExpression(OWNED_WITH_STATUS)
                    .expressionAttributeNames(NAMES)
                    .expressionAttributeValues(Map.of(
                            ":me", string(claim.owner()),
                            ":status", string(ClaimStatus.IN_PROGRESS.name())))
                    .returnValuesOnConditionCheckFailure(ReturnValuesOnConditionCheckFailure.ALL_OLD)
                    .overrideConfiguration(CallTimeouts.within(budget, "DynamoDB DeleteItem (release)")));
        } catch (ConditionalCheckFailedException failed) {
            Map<String, AttributeValue> existing = failed.hasItem() ? failed.item() : table.read(claim.token(), budget);
            if (!existing.isEmpty()) {
                throw new RetryableException("DynamoDB DeleteItem (release): the claim is no longer this attempt's");
            }
            // Already gone: an SDK retry of a delete that had succeeded.
        } catch (SdkException e) {
            throw table.unavailable("DeleteItem (release)", e);
        }
    }

    /**
     * SnapStart priming: a put of {@code key} on condition that it exists, which fails and writes nothing, then the
     * consistent read that follows a failed claim. {@code key} must be a key no item can have.
     */
    public void prime(String key, CallBudget budget) {
        try {
            table.client().putItem(request -> request
                    .tableName(table.tableName())
                    .item(table.key(key))
                    .conditionExpression("attribute_exists(clientRequestToken)")
                    .returnValuesOnConditionCheckFailure(ReturnValuesOnConditionCheckFailure.ALL_OLD)
                    .overrideConfiguration(CallTimeouts.within(budget, "DynamoDB PutItem (priming)")));
        } catch (SdkException expected) {
            // ConditionalCheckFailedException: nothing was written.
        }
        table.read(key, budget);
    }

    /** {@code IDEMPOTENCY_TTL_SECONDS} after this write, and never before the claim lapses. */
    private long expiresAt(Instant now, long untilMillis) {
        return Math.max(now.plus(timeToLive).getEpochSecond(), untilMillis / 1000 + 1);
    }

    private static ClaimStatus status(Map<String, AttributeValue> item) {
        try {
            return ClaimStatus.valueOf(stringIn(item, STATUS));
        } catch (IllegalArgumentException unknown) {
            throw StateTable.malformed(STATUS);
        }
    }

    /** Section 8's {@code expirySchedule}: name, expression, groups, FIFO group id (when any) and input. */
    private static AttributeValue expiryScheduleValue(AppliedRecord record) {
        ExpirySchedule schedule = record.expirySchedule();
        Map<String, AttributeValue> fields = new HashMap<>();
        fields.put("name", string(schedule.name()));
        fields.put("expression", string(schedule.expression()));
        fields.put("groups", AttributeValue.fromL(record.grantRecords().keySet().stream().sorted()
                .map(StateTable::string).toList()));
        fields.put("input", string(schedule.input()));
        if (schedule.messageGroupId() != null) {
            fields.put("messageGroupId", string(schedule.messageGroupId()));
        }
        return AttributeValue.fromM(fields);
    }

    private static ExpirySchedule expirySchedule(AttributeValue value) {
        if (value == null || !value.hasM()) {
            return null;
        }
        Map<String, AttributeValue> fields = value.m();
        AttributeValue groupId = fields.get("messageGroupId");
        return new ExpirySchedule(stringIn(fields, "name"), stringIn(fields, "expression"), stringIn(fields, "input"),
                groupId == null ? null : groupId.s());
    }
}
