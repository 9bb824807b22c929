package dev.eksaccessupdater.bench;

import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The requests the benchmark sends: each adds a group to one of {@link #PRINCIPALS} seeded entries on cluster
 * {@link #CLUSTER}, with a fresh token, so every message takes the full path of docs/contract.md section 1: claim and
 * lease, describe, update, record, publish and release, complete ({@link #ROUND_TRIPS_PER_MESSAGE} sequential round
 * trips, {@link #CALLS_PER_MESSAGE} AWS calls).
 */
final class Messages {

    static final String CLUSTER = "demo";
    static final int PRINCIPALS = 100;
    static final int ROUND_TRIPS_PER_MESSAGE = BareMessage.ROUND_TRIPS;
    static final int CALLS_PER_MESSAGE = BareMessage.CALLS;

    private Messages() {
    }

    static String principal(int index) {
        return "arn:aws:iam::111122223333:role/bench-" + index;
    }

    static String body(int principalIndex) {
        return "{\"clusterName\":\"" + CLUSTER + "\",\"principalArn\":\"" + principal(principalIndex) + "\","
                + "\"addKubernetesGroups\":[\"" + BareMessage.GROUP + "\"],\"clientRequestToken\":\"bench-"
                + UUID.randomUUID()
                + "\",\"metadata\":{\"ticket\":\"BENCH-1\",\"approver\":\"bench@example.com\"}}";
    }

    /** A standard-queue batch of {@code size} messages, each about another principal. */
    static SQSEvent standardBatch(int size) {
        List<SQSEvent.SQSMessage> records = new ArrayList<>();
        for (int index = 0; index < size; index++) {
            records.add(record(body(index % PRINCIPALS), null));
        }
        return event(records);
    }

    /** A FIFO batch of {@code size} messages in {@code groups} groups, each group about one principal. */
    static SQSEvent fifoBatch(int size, int groups) {
        List<SQSEvent.SQSMessage> records = new ArrayList<>();
        for (int index = 0; index < size; index++) {
            int group = index % groups;
            records.add(record(body(group), "group-" + group));
        }
        return event(records);
    }

    private static SQSEvent.SQSMessage record(String body, String groupId) {
        SQSEvent.SQSMessage record = new SQSEvent.SQSMessage();
        record.setMessageId(UUID.randomUUID().toString());
        record.setBody(body);
        record.setAttributes(groupId == null ? Map.of("ApproximateReceiveCount", "1")
                : Map.of("ApproximateReceiveCount", "1", "MessageGroupId", groupId));
        record.setEventSource("aws:sqs");
        return record;
    }

    private static SQSEvent event(List<SQSEvent.SQSMessage> records) {
        SQSEvent event = new SQSEvent();
        event.setRecords(records);
        return event;
    }

    /** One standard-queue message as the Lambda service delivers it, for the cold-start runs. */
    static String sqsEventJson(int principalIndex) {
        String body = body(principalIndex).replace("\"", "\\\"");
        return "{\"Records\":[{\"messageId\":\"" + UUID.randomUUID() + "\","
                + "\"receiptHandle\":\"AQEBbench\",\"body\":\"" + body + "\","
                + "\"attributes\":{\"ApproximateReceiveCount\":\"1\",\"SentTimestamp\":\"1767225600000\","
                + "\"SenderId\":\"AROAEXAMPLEAPPROVALS1:approval-service\","
                + "\"ApproximateFirstReceiveTimestamp\":\"1767225600037\"},"
                + "\"messageAttributes\":{},\"md5OfBody\":\"6b26d2c8117e5cc24ecf05af2d1012c1\","
                + "\"eventSource\":\"aws:sqs\","
                + "\"eventSourceARN\":\"arn:aws:sqs:us-east-1:111122223333:eks-access-updater-RequestQueue\","
                + "\"awsRegion\":\"us-east-1\"}]}";
    }
}
