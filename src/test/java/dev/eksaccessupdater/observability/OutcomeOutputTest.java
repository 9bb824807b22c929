package dev.eksaccessupdater.observability;

import static dev.eksaccessupdater.observability.ObservedPipeline.Line;
import static org.assertj.core.api.Assertions.assertThat;

import com.amazonaws.services.lambda.runtime.logging.LogLevel;
import dev.eksaccessupdater.processing.BatchResult;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What the function prints for a batch with every outcome: the log lines an operator queries and the metrics. */
class OutcomeOutputTest {

    private ObservedPipeline pipeline;
    private BatchResult result;

    @BeforeEach
    void processEveryOutcome() {
        pipeline = new ObservedPipeline();
        pipeline.accessEntries.failFor(ObservedPipeline.OPERATORS, new dev.eksaccessupdater.failure.RetryableException("EKS ThrottlingException"));
        result = pipeline.process(ObservedPipeline.everyOutcome());
    }

    @AfterEach
    void close() {
        pipeline.close();
    }

    private List<Line> lines(String event) {
        return pipeline.lines.stream().filter(line -> event.equals(line.fields().get("event"))).toList();
    }

    private Map<String, Map<String, Object>> messageLinesById() {
        Map<String, Map<String, Object>> byId = new LinkedHashMap<>();
        lines("message").forEach(line -> byId.put((String) line.fields().get("messageId"), line.fields()));
        return byId;
    }

    @Test
    void batch_withEveryOutcome_coversEveryOutcomeOfTheSpec() {
        assertThat(result.results().stream().map(message -> message.outcome().name()).toList())
                .containsExactly("APPLIED", "DUPLICATE", "REJECTED", "REJECTED", "REJECTED", "RETRY");
    }

    @Test
    void messageLines_areOneJsonObjectPerMessageWithTheRunbookFields() {
        assertThat(lines("message")).hasSize(6);
        Map<String, Map<String, Object>> byId = messageLinesById();
        assertThat(byId).containsOnlyKeys("m-applied", "m-duplicate", "m-invalid", "m-denied", "m-not-found",
                "m-retry");
        byId.values().forEach(fields -> assertThat(fields)
                .containsKeys("timestamp", "level", "event", "messageId", "outcome", "attempt", "durationMs"));

        assertThat(byId.get("m-applied")).containsEntry("clientRequestToken", "t-1")
                .containsEntry("clusterName", "demo").containsEntry("principalArn", ObservedPipeline.DEVELOPERS)
                .containsEntry("outcome", "APPLIED").containsEntry("attempt", 1).doesNotContainKey("reasonCode");
        assertThat(byId.get("m-duplicate")).containsEntry("clientRequestToken", "t-1")
                .containsEntry("outcome", "DUPLICATE").containsEntry("attempt", 2);
        assertThat(byId.get("m-invalid")).containsEntry("outcome", "REJECTED")
                .containsEntry("reasonCode", "INVALID_MESSAGE").containsKey("reason");
        assertThat(byId.get("m-denied")).containsEntry("clusterName", "prod").containsEntry("clientRequestToken", "t-2")
                .containsEntry("reasonCode", "POLICY_DENIED");
        assertThat(byId.get("m-not-found")).containsEntry("principalArn", ObservedPipeline.NOBODY)
                .containsEntry("reasonCode", "NOT_FOUND");
        assertThat(byId.get("m-retry")).containsEntry("outcome", "RETRY").containsEntry("attempt", 3)
                .containsEntry("clientRequestToken", "t-4").doesNotContainKey("reasonCode");
        assertThat((String) byId.get("m-retry").get("reason")).contains("ThrottlingException");
        assertThat(byId.get("m-applied").get("timestamp")).isEqualTo("2026-11-29T12:00:00Z");
    }

    @Test
    void messageLines_whenRejectedOrRetried_areWarnings() {
        Map<String, LogLevel> levels = lines("message").stream().collect(Collectors.toMap(
                line -> (String) line.fields().get("messageId"), Line::level));

        assertThat(levels).containsEntry("m-applied", LogLevel.INFO).containsEntry("m-duplicate", LogLevel.INFO)
                .containsEntry("m-invalid", LogLevel.WARN).containsEntry("m-denied", LogLevel.WARN)
                .containsEntry("m-not-found", LogLevel.WARN).containsEntry("m-retry", LogLevel.WARN);
        lines("message").forEach(line -> assertThat(line.fields().get("level")).isEqualTo(line.level().name()));
        assertThat(lines("batch")).singleElement().extracting(Line::level).isEqualTo(LogLevel.INFO);
    }

    @Test
    void output_holdsNoBodyNoMetadataAndNoForgedLine() {
        for (Line line : pipeline.lines) {
            assertThat(line.json()).doesNotContain("\n", "\r")
                    .doesNotContain(ObservedPipeline.SECRET_APPROVER, ObservedPipeline.SECRET_TICKET)
                    .doesNotContain("metadata", "addKubernetesGroups", "team-a");
            assertThat(line.fields()).doesNotContainKeys("body", "metadata");
        }
        // The forged line inside the field name stayed text inside the reason.
        assertThat(lines("message")).filteredOn(line -> "APPLIED".equals(line.fields().get("outcome"))).hasSize(1);
        assertThat((String) messageLinesById().get("m-invalid").get("reason")).contains("unknown field");
    }

    @Test
    void batchLine_countsEveryOutcomeOnce() {
        assertThat(lines("batch")).singleElement().satisfies(line -> {
            assertThat(line.fields()).containsEntry("size", 6).containsKey("durationMs")
                    .containsEntry("outcomes", Map.of("APPLIED", 1, "DUPLICATE", 1, "REJECTED", 3, "RETRY", 1));
        });
        assertThat(pipeline.lines.indexOf(lines("batch").get(0)))
                .as("the batch line follows every message line")
                .isGreaterThan(pipeline.lines.indexOf(lines("message").get(5)));
    }

    @Test
    void metrics_areValidEmbeddedMetricFormatNeverFilteredByLevel() {
        List<Line> documents = pipeline.lines.stream()
                .filter(line -> EmbeddedMetricFormat.isDocument(line.fields())).toList();

        assertThat(documents).isNotEmpty();
        documents.forEach(document -> {
            assertThat(EmbeddedMetricFormat.violations(document)).as(document.json()).isEmpty();
            assertThat(document.level()).isEqualTo(LogLevel.UNDEFINED);
        });
        assertThat(pipeline.lines).filteredOn(line -> !EmbeddedMetricFormat.isDocument(line.fields()))
                .allSatisfy(line -> assertThat(line.level()).isIn(LogLevel.INFO, LogLevel.WARN));
    }

    @Test
    void metrics_perBatch_countEachOutcomeAndEachRejectionReason() {
        List<Map<String, Object>> batchMetrics = lines("metrics").stream().map(Line::fields).toList();
        Map<String, Object> totals = batchMetrics.stream().filter(fields -> !fields.containsKey("ReasonCode"))
                .findFirst().orElseThrow();

        assertThat(totals).containsEntry("Applied", 1).containsEntry("Duplicate", 1).containsEntry("Rejected", 3)
                .containsEntry("Retried", 1).containsEntry("BatchSize", 6);
        assertThat(directive(totals)).containsEntry("Namespace", ObservedPipeline.NAMESPACE)
                .containsEntry("Dimensions", List.of(List.of()));
        Map<Object, Object> byReason = batchMetrics.stream().filter(fields -> fields.containsKey("ReasonCode"))
                .collect(Collectors.toMap(fields -> fields.get("ReasonCode"), fields -> fields.get("Rejected")));
        assertThat(byReason).isEqualTo(Map.of("INVALID_MESSAGE", 1, "POLICY_DENIED", 1, "NOT_FOUND", 1));
        batchMetrics.stream().filter(fields -> fields.containsKey("ReasonCode")).forEach(fields ->
                assertThat(directive(fields)).containsEntry("Dimensions", List.of(List.of("ReasonCode"))));
    }

    @Test
    void metrics_perAwsCall_reportLatencyByOperationFailuresIncluded() {
        List<Map<String, Object>> calls = lines("call").stream().map(Line::fields).toList();

        // applied: describe, update, publish; not found: describe, publish; denied and invalid: publish;
        // retried: describe (fails); duplicate: nothing.
        assertThat(calls).filteredOn(fields -> fields.containsKey("EksLatency")).hasSize(4)
                .allSatisfy(fields -> assertThat(fields.get("EksLatency")).isEqualTo(3.0));
        assertThat(calls).filteredOn(fields -> fields.containsKey("EventBridgeLatency")).hasSize(4)
                .allSatisfy(fields -> assertThat(fields).containsEntry("Operation", "PutEvents")
                        .containsEntry("EventBridgeLatency", 2.0).containsEntry("failed", false));
        assertThat(calls).filteredOn(fields -> Boolean.TRUE.equals(fields.get("failed")))
                .extracting(fields -> fields.get("Operation")).containsExactlyInAnyOrder("DescribeAccessEntry",
                        "DescribeAccessEntry");
        assertThat(calls).extracting(fields -> fields.get("Operation"))
                .contains("DescribeAccessEntry", "UpdateAccessEntry", "PutEvents");
        calls.forEach(fields -> assertThat(directive(fields))
                .containsEntry("Dimensions", List.of(List.of(), List.of("Operation"))));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> directive(Map<String, Object> document) {
        Map<String, Object> metadata = (Map<String, Object>) document.get("_aws");
        return ((List<Map<String, Object>>) metadata.get("CloudWatchMetrics")).get(0);
    }
}
