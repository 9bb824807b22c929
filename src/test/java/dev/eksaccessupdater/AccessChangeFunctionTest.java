package dev.eksaccessupdater;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import com.amazonaws.services.lambda.runtime.tests.EventLoader;
import dev.eksaccessupdater.events.EventSchemas;
import dev.eksaccessupdater.failure.ConfigurationException;
import dev.eksaccessupdater.standin.EksStandIn;
import dev.eksaccessupdater.standin.EventBridgeStandIn.PublishedEvent;
import dev.eksaccessupdater.testing.Dynalite;
import dev.eksaccessupdater.testing.WithDynalite;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/** The handler end to end on the files in {@code events/}, with every AWS service a local stand-in. */
@WithDynalite
class AccessChangeFunctionTest {

    private static final String DEVELOPERS = "arn:aws:iam::111122223333:role/developers";
    private static final String CI_DEPLOYER = "arn:aws:iam::111122223333:role/ci-deployer";
    private static final String ONCALL = "arn:aws:iam::111122223333:role/platform/oncall";
    private static final String ALICE = "arn:aws:iam::111122223333:user/alice";
    private static final String STANDARD_QUEUE =
            "arn:aws:sqs:us-east-1:111122223333:eks-access-updater-RequestQueue-1A2B3C4D5E6F";

    private final Dynalite dynalite;
    private LocalFunction function;

    AccessChangeFunctionTest(Dynalite dynalite) {
        this.dynalite = dynalite;
    }

    @BeforeEach
    void start() {
        function = LocalFunction.start(dynalite, Map.of(
                "ALLOWED_KUBERNETES_GROUPS", "dev-*,deployers,oncall-*",
                "PROTECTED_PRINCIPAL_ARNS", "arn:aws:iam::111122223333:role/cluster-admin"));
        for (String principal : List.of(DEVELOPERS, CI_DEPLOYER, ONCALL, ALICE)) {
            function.eks().putEntry("demo", principal, List.of("dev-editors"), null);
        }
    }

    @AfterEach
    void stop() {
        function.close();
    }

    /**
     * {@code sqs-fifo-batch.json} with its five records (three for developers, then two for ci-deployer) in one
     * message group, delivered from {@code queueArn}; a standard queue's records carry no FIFO sequence or
     * deduplication id.
     */
    private static SQSEvent inOneGroup(String queueArn) {
        SQSEvent event = EventLoader.loadSQSEvent("events/sqs-fifo-batch.json");
        for (SQSEvent.SQSMessage record : event.getRecords()) {
            Map<String, String> attributes = new HashMap<>(record.getAttributes());
            attributes.put("MessageGroupId", "demo/approvals");
            if (!queueArn.endsWith(".fifo")) {
                attributes.remove("SequenceNumber");
                attributes.remove("MessageDeduplicationId");
            }
            record.setAttributes(attributes);
            record.setEventSourceArn(queueArn);
        }
        return event;
    }

    private static List<String> failedIds(SQSBatchResponse response) {
        return response.getBatchItemFailures().stream().map(SQSBatchResponse.BatchItemFailure::getItemIdentifier)
                .toList();
    }

    private long updatesOf(String principal) {
        return function.eks().requests(EksStandIn.UPDATE).stream()
                .filter(request -> principal.equals(request.principalArn()))
                .count();
    }

    private SQSBatchResponse invoke(String file) {
        SQSEvent event = EventLoader.loadSQSEvent("events/" + file);
        return function.handleRequest(event, null);
    }

    @Test
    void handleRequest_whenStandardBatch_appliesEveryRequestAndPublishesValidEvents() {
        SQSBatchResponse response = invoke("sqs-standard-batch.json");

        assertThat(response.getBatchItemFailures()).isEmpty();
        assertThat(function.eks().entry("demo", DEVELOPERS).kubernetesGroups())
                .containsExactlyInAnyOrder("dev-editors", "dev-readers");
        assertThat(function.eks().entry("demo", DEVELOPERS).username()).isEqualTo("developers:{{SessionName}}");
        assertThat(function.eks().entry("demo", CI_DEPLOYER).kubernetesGroups()).containsExactly("deployers");
        assertThat(function.eks().entry("demo", ALICE).kubernetesGroups()).isEmpty();
        List<PublishedEvent> events = function.eventBridge().events("Access Entry Updated");
        assertThat(events).hasSize(5);
        events.forEach(event -> {
            assertThat(EventSchemas.violations(EventSchemas.ACCESS_ENTRY_UPDATED, event.detailJson())).isEmpty();
            assertThat(event.source()).isEqualTo("eks-access-updater");
            assertThat(event.eventBusName()).isEqualTo(LocalFunction.BUS);
            assertThat(event.resources()).hasSize(1);
        });
        Map<String, AttributeValue> completed = function.dynamoDb().getItem(get -> get
                .tableName(function.tableName())
                .key(Map.of("clientRequestToken", AttributeValue.fromS("CHG-2026-0142-oncall")))
                .consistentRead(true)).item();
        assertThat(completed.get("status").s()).isEqualTo("COMPLETED");
        assertThat(completed.get("accessEntry").s()).contains("oncall-admins");
    }

    @Test
    void handleRequest_whenSameBatchDeliveredAgain_changesNothingAndPublishesNothing() {
        invoke("sqs-standard-batch.json");
        int changes = function.eks().changeCount();
        int events = function.eventBridge().events().size();

        SQSBatchResponse response = invoke("sqs-standard-batch.json");

        assertThat(response.getBatchItemFailures()).isEmpty();
        assertThat(function.eks().changeCount()).isEqualTo(changes);
        assertThat(function.eventBridge().events()).hasSize(events);
    }

    @Test
    void handleRequest_whenFifoBatch_appliesEachGroupInOrder() {
        SQSBatchResponse response = invoke("sqs-fifo-batch.json");

        assertThat(response.getBatchItemFailures()).isEmpty();
        assertThat(function.eks().entry("demo", DEVELOPERS).kubernetesGroups())
                .containsExactlyInAnyOrder("dev-editors", "dev-readers");
        assertThat(function.eks().entry("demo", DEVELOPERS).username()).isEqualTo("developers:{{SessionName}}");
        assertThat(function.eks().entry("demo", CI_DEPLOYER).kubernetesGroups()).containsExactly("dev-editors");
    }

    @Test
    void handleRequest_whenFifoGroupFails_retriesTheRestOfThatGroupOnly() {
        function.eks().failNext(DEVELOPERS, 10, "ServerException", 500);

        SQSBatchResponse response = invoke("sqs-fifo-batch.json");

        assertThat(response.getBatchItemFailures()).extracting(SQSBatchResponse.BatchItemFailure::getItemIdentifier)
                .containsExactly("9b2e4f60-1c3d-4e5f-8a7b-6c5d4e3f2a01", "9b2e4f60-1c3d-4e5f-8a7b-6c5d4e3f2a02",
                        "9b2e4f60-1c3d-4e5f-8a7b-6c5d4e3f2a03");
        assertThat(function.eks().entry("demo", CI_DEPLOYER).kubernetesGroups()).containsExactly("dev-editors");
        assertThat(function.eventBridge().events("Access Entry Updated")).hasSize(2);
    }

    @Test
    void handleRequest_whenAStandardQueuesRecordsCarryAMessageGroupId_failsOnlyTheMessagesThatFailed() {
        // SQS fair queues put a MessageGroupId on standard-queue records; only a .fifo ARN makes a FIFO batch.
        function.eks().failNext(DEVELOPERS, 10, "AccessDeniedException", 403);

        SQSBatchResponse response = function.handleRequest(inOneGroup(STANDARD_QUEUE), null);

        assertThat(failedIds(response)).containsExactly("9b2e4f60-1c3d-4e5f-8a7b-6c5d4e3f2a01",
                "9b2e4f60-1c3d-4e5f-8a7b-6c5d4e3f2a02", "9b2e4f60-1c3d-4e5f-8a7b-6c5d4e3f2a03");
        assertThat(updatesOf(CI_DEPLOYER)).isEqualTo(2);
        assertThat(function.eventBridge().events("Access Entry Updated")).hasSize(2);
    }

    @Test
    void handleRequest_whenTheSameRecordsComeFromAFifoQueue_failsTheRestOfTheGroupUnprocessed() {
        function.eks().failNext(DEVELOPERS, 10, "AccessDeniedException", 403);

        SQSBatchResponse response = function.handleRequest(inOneGroup(STANDARD_QUEUE + ".fifo"), null);

        assertThat(failedIds(response)).containsExactly("9b2e4f60-1c3d-4e5f-8a7b-6c5d4e3f2a01",
                "9b2e4f60-1c3d-4e5f-8a7b-6c5d4e3f2a02", "9b2e4f60-1c3d-4e5f-8a7b-6c5d4e3f2a03",
                "9b2e4f60-1c3d-4e5f-8a7b-6c5d4e3f2a04", "9b2e4f60-1c3d-4e5f-8a7b-6c5d4e3f2a05");
        assertThat(updatesOf(CI_DEPLOYER)).isZero();
        assertThat(function.eks().requests()).extracting(EksStandIn.RecordedRequest::principalArn)
                .containsOnly(DEVELOPERS);
        assertThat(function.eventBridge().events()).isEmpty();
    }

    @Test
    void handleRequest_whenSnsWrapped_unwrapsAndApplies() {
        SQSBatchResponse response = invoke("sqs-sns-wrapped.json");

        assertThat(response.getBatchItemFailures()).isEmpty();
        assertThat(function.eventBridge().events("Access Entry Updated")).hasSize(1);
    }

    @Test
    void handleRequest_whenBatchHasInvalidMessages_rejectsEachWithItsReasonAndAppliesTheValidOne() {
        SQSBatchResponse response = invoke("sqs-invalid-batch.json");

        assertThat(response.getBatchItemFailures()).isEmpty();
        List<PublishedEvent> rejections = function.eventBridge().events("Access Change Rejected");
        assertThat(rejections).hasSize(4);
        rejections.forEach(event -> assertThat(
                EventSchemas.violations(EventSchemas.ACCESS_CHANGE_REJECTED, event.detailJson())).isEmpty());
        assertThat(rejections).extracting(event -> ((Map<?, ?>) event.detail().get("reason")).get("message").toString())
                .anySatisfy(message -> assertThat(message).contains("kubernetesGroup"))
                .anySatisfy(message -> assertThat(message).contains("system:"))
                .anySatisfy(message -> assertThat(message).contains("principalArn"));
        assertThat(function.eventBridge().events("Access Entry Updated")).hasSize(1);
        assertThat(function.eks().updateCount()).isEqualTo(1);
    }

    @Test
    void handleRequest_whenEventBridgeFailsAnEntry_yieldsTheAppliedClaimAndTheRetryPublishesItWithoutEks() {
        function.eventBridge().failNextEntries(1, "InternalFailure");
        SQSEvent event = EventLoader.loadSQSEvent("events/sqs-sns-wrapped.json");

        SQSBatchResponse response = function.handleRequest(event, null);

        assertThat(response.getBatchItemFailures()).hasSize(1);
        List<Map<String, AttributeValue>> items =
                function.dynamoDb().scan(scan -> scan.tableName(function.tableName())).items();
        assertThat(items).hasSize(1);
        assertThat(items.get(0).get("status").s()).isEqualTo("APPLIED");
        assertThat(items.get(0)).containsKeys("accessEntry", "eventDetail").doesNotContainKey("owner");
        assertThat(function.handleRequest(event, null).getBatchItemFailures()).isEmpty();
        assertThat(function.eventBridge().events("Access Entry Updated")).hasSize(1);
        assertThat(function.eks().updateCount()).isEqualTo(1);
    }

    @Test
    void handleRequest_whenEventOrRecordsMissing_returnsNoFailures() {
        assertThat(function.handleRequest(null, null).getBatchItemFailures()).isEmpty();
        assertThat(function.handleRequest(new SQSEvent(), null).getBatchItemFailures()).isEmpty();
    }

    @Test
    void constructor_whenConfigurationMissing_failsNamingTheVariable() {
        assertThatThrownBy(() -> Dependencies.fromEnvironment(Map.of("EVENT_BUS_NAME", "bus")))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("IDEMPOTENCY_TABLE_NAME");
    }
}
