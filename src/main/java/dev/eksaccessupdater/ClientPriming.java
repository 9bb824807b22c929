package dev.eksaccessupdater;

import dev.eksaccessupdater.eks.AccessEntry;
import dev.eksaccessupdater.events.AccessEvents;
import dev.eksaccessupdater.processing.MessageProcessor;
import dev.eksaccessupdater.processing.ParsedMessage;
import dev.eksaccessupdater.processing.QueueMessage;
import dev.eksaccessupdater.request.CanonicalForm;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.GetItemResponse;
import software.amazon.awssdk.services.dynamodb.model.PutItemResponse;
import software.amazon.awssdk.services.dynamodb.model.ReturnValuesOnConditionCheckFailure;
import software.amazon.awssdk.services.dynamodb.model.UpdateItemResponse;
import software.amazon.awssdk.services.eks.EksClient;
import software.amazon.awssdk.services.eks.model.DescribeAccessEntryResponse;
import software.amazon.awssdk.services.eks.model.UpdateAccessEntryRequest;
import software.amazon.awssdk.services.eks.model.UpdateAccessEntryResponse;
import software.amazon.awssdk.services.eventbridge.EventBridgeClient;
import software.amazon.awssdk.services.eventbridge.model.PutEventsRequest;
import software.amazon.awssdk.services.eventbridge.model.PutEventsRequestEntry;
import software.amazon.awssdk.services.eventbridge.model.PutEventsResponse;
import software.amazon.awssdk.services.eventbridge.model.PutEventsResultEntry;

/** SnapStart priming: calls that change nothing, so the snapshot holds warmed clients (see {@link #prime}). */
final class ClientPriming {

    /**
     * The idempotency key {@link #prime} reads: 129 characters, one more than a client request token may have, and
     * not a message id either, so no item can ever have it.
     */
    static final String PRIMING_TOKEN = "snapstart-priming-" + "x".repeat(111);
    /** A principal of account 000000000000, which is no one's: no access entry of a real cluster names it. */
    static final String PRIMING_PRINCIPAL = "arn:aws:iam::000000000000:role/eks-access-updater-priming";
    /** The priming entry: EventBridge refuses a {@code Detail} that is not a JSON object, so it is never published. */
    static final String MALFORMED_DETAIL_TYPE = "eks-access-updater priming";
    static final String MALFORMED_DETAIL = "priming: not a JSON object";
    /** How often the SnapStart hook primes; measured by the benchmark (README, "Performance"). */
    static final int CHECKPOINT_PRIMING_ROUNDS = 10;

    private final Configuration configuration;
    private final DynamoDbClient dynamoDb;
    private final EksClient eks;
    private final EventBridgeClient eventBridge;
    private final MessageProcessor messageProcessor;
    private final Clock clock;

    ClientPriming(Configuration configuration, DynamoDbClient dynamoDb, EksClient eks, EventBridgeClient eventBridge,
                  MessageProcessor messageProcessor, Clock clock) {
        this.configuration = configuration;
        this.dynamoDb = dynamoDb;
        this.eks = eks;
        this.eventBridge = eventBridge;
        this.messageProcessor = messageProcessor;
        this.clock = clock;
    }

    /**
     * Warms every client and the message path with calls that change nothing, so that the first invocation does not
     * pay for lazy SDK set-up (marshallers, model classes and their lambdas, signer, endpoint rules, connections: AWS
     * SDK issues #1340, #3167). The SnapStart hook runs it {@link #CHECKPOINT_PRIMING_ROUNDS} times before the
     * snapshot; an ordinary cold start does not, because its calls would reach the services at every start.
     * Each call expects an error or an empty answer:
     * <ul>
     * <li>DynamoDB {@code PutItem}, {@code UpdateItem} and {@code DeleteItem} of {@link #PRIMING_TOKEN} on the
     *     idempotency table, each on condition that the item exists, which it never does, so each fails its condition
     *     and changes nothing; and a {@code GetItem} of it.</li>
     * <li>EKS {@code DescribeAccessEntry} of {@link #PRIMING_PRINCIPAL} on an allowed cluster: a read that answers
     *     {@code ResourceNotFoundException}. No {@code UpdateAccessEntry}: its request and response are only built.</li>
     * <li>EventBridge {@code PutEvents} of one entry with the function's own source whose {@code Detail} is not JSON:
     *     EventBridge refuses that entry ({@code MalformedDetail}), so nothing reaches the bus, and the role needs no
     *     permission beyond the one it has.</li>
     * <li>Parsing, policy, canonical hash and event JSON of a sample request, without I/O.</li>
     * </ul>
     * Never throws: a failed priming call only means that call stays cold.
     */
    void prime() {
        // A few rounds, not one: the JIT compiles a method only after it ran often enough, and a snapshot of
        // compiled SDK code is what makes the first invocation after a restore as fast as a warm one.
        for (int round = 0; round < CHECKPOINT_PRIMING_ROUNDS; round++) {
            primeClients();
        }
    }

    private void primeClients() {
        String cluster = configuration.accessPolicy().anyCluster() ? "eks-access-updater-priming"
                : configuration.accessPolicy().allowedClusterNames().iterator().next();
        primeMessagePath(cluster);
        Map<String, AttributeValue> key = Map.of("clientRequestToken", AttributeValue.fromS(PRIMING_TOKEN));
        primeQuietly(() -> dynamoDb.putItem(request -> request
                .tableName(configuration.idempotencyTableName())
                .item(key)
                .conditionExpression("attribute_exists(clientRequestToken)")
                .returnValuesOnConditionCheckFailure(ReturnValuesOnConditionCheckFailure.ALL_OLD)));
        primeQuietly(() -> eks.describeAccessEntry(request -> request
                .clusterName(cluster).principalArn(PRIMING_PRINCIPAL)));
        // The answers the priming calls do not get (they fail or find nothing): their classes are loaded here.
        primeQuietly(() -> PutItemResponse.builder().attributes(key).build()
                .equalsBySdkFields(UpdateItemResponse.builder().attributes(key).build()));
        primeQuietly(() -> GetItemResponse.builder().item(key).build()
                .equalsBySdkFields(DescribeAccessEntryResponse.builder()
                        .accessEntry(software.amazon.awssdk.services.eks.model.AccessEntry.builder()
                                .clusterName(cluster).tags(Map.of()).build())
                        .build()));
        primeQuietly(() -> UpdateAccessEntryResponse.builder()
                .accessEntry(software.amazon.awssdk.services.eks.model.AccessEntry.builder()
                        .clusterName(cluster).principalArn(PRIMING_PRINCIPAL).kubernetesGroups("priming").build())
                .build()
                .equalsBySdkFields(UpdateAccessEntryRequest.builder().clusterName(cluster)
                        .principalArn(PRIMING_PRINCIPAL).kubernetesGroups("priming").clientRequestToken("priming")
                        .build()));
        primeQuietly(() -> PutEventsResponse.builder().failedEntryCount(0)
                .entries(PutEventsResultEntry.builder().eventId("priming").build()).build()
                .equalsBySdkFields(PutEventsRequest.builder().entries(PutEventsRequestEntry.builder()
                        .source("priming").detailType("priming").detail("{}").eventBusName("priming")
                        .resources(List.of()).build()).build()));
        primeQuietly(() -> eventBridge.putEvents(request -> request.entries(PutEventsRequestEntry.builder()
                .source(configuration.eventSource())
                .detailType(MALFORMED_DETAIL_TYPE)
                .detail(MALFORMED_DETAIL)
                .eventBusName(configuration.eventBusName())
                .build())));
        primeQuietly(() -> dynamoDb.updateItem(request -> request
                .tableName(configuration.idempotencyTableName())
                .key(key)
                .conditionExpression("attribute_exists(clientRequestToken)")
                .updateExpression("SET #status = :status")
                .expressionAttributeNames(Map.of("#status", "status"))
                .expressionAttributeValues(Map.of(":status", AttributeValue.fromS("PRIMING")))));
        primeQuietly(() -> dynamoDb.getItem(request -> request
                .tableName(configuration.idempotencyTableName()).key(key)));
        // Releasing a claim or an entry lease is a conditional DeleteItem (SPEC section 4); this one fails its
        // condition too.
        primeQuietly(() -> dynamoDb.deleteItem(request -> request
                .tableName(configuration.idempotencyTableName())
                .key(key)
                .conditionExpression("attribute_exists(clientRequestToken)")));
    }

    private void primeMessagePath(String cluster) {
        String body = "{\"clusterName\":\"" + cluster + "\",\"principalArn\":\"" + PRIMING_PRINCIPAL + "\","
                + "\"addKubernetesGroups\":[\"priming\"],\"clientRequestToken\":\"priming\","
                + "\"metadata\":{\"ticket\":\"priming\"}}";
        primeQuietly(() -> {
            ParsedMessage parsed = messageProcessor.parse(new QueueMessage("priming", body, null, 1));
            if (parsed instanceof ParsedMessage.Valid valid) {
                CanonicalForm.hash(valid.request());
            }
            Instant now = clock.instant();
            AccessEvents.accessEntryJson(new AccessEntry(cluster,
                    PRIMING_PRINCIPAL, List.of("priming"), null, now, now, Map.of(), null, AccessEntry.STANDARD));
        });
    }

    /** Priming is best effort: nothing it meets may fail the checkpoint. */
    private static void primeQuietly(Runnable call) {
        try {
            call.run();
        } catch (RuntimeException expected) {
            // The expected answer of a call that finds nothing, or a call this role may not make: either way the
            // client's code paths are loaded, which is all priming is for.
        }
    }
}
