package dev.eksaccessupdater.reliability;

import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** SQS records and request bodies as the tests of this package send them. */
final class Messages {

    static final String CLUSTER = "demo";
    static final List<String> PRINCIPALS = List.of(
            "arn:aws:iam::111122223333:role/developers",
            "arn:aws:iam::111122223333:role/operators",
            "arn:aws:iam::111122223333:user/alice");

    private Messages() {
    }

    /** One SQS record; {@code groupId} {@code null} on a standard queue. */
    static SQSEvent.SQSMessage record(String messageId, String body, String groupId, int receiveCount) {
        SQSEvent.SQSMessage message = new SQSEvent.SQSMessage();
        message.setMessageId(messageId);
        message.setBody(body);
        message.setEventSource("aws:sqs");
        message.setEventSourceArn("arn:aws:sqs:us-east-1:111122223333:access-requests"
                + (groupId == null ? "" : ".fifo"));
        Map<String, String> attributes = new HashMap<>();
        attributes.put("ApproximateReceiveCount", Integer.toString(receiveCount));
        if (groupId != null) {
            attributes.put("MessageGroupId", groupId);
        }
        message.setAttributes(attributes);
        return message;
    }

    static SQSEvent event(List<SQSEvent.SQSMessage> records) {
        SQSEvent event = new SQSEvent();
        event.setRecords(new ArrayList<>(records));
        return event;
    }

    static SQSEvent event(SQSEvent.SQSMessage... records) {
        return event(List.of(records));
    }

    static String add(String principal, String group, String token) {
        return "{\"clusterName\":\"demo\",\"principalArn\":\"" + principal + "\",\"addKubernetesGroups\":[\"" + group
                + "\"],\"clientRequestToken\":\"" + token + "\"}";
    }
}
