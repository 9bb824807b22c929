package dev.eksaccessupdater.observability;

import com.amazonaws.services.lambda.runtime.logging.LogLevel;
import dev.eksaccessupdater.json.Json;
import dev.eksaccessupdater.processing.BatchResult;
import dev.eksaccessupdater.processing.MessageResult;
import dev.eksaccessupdater.processing.Outcome;
import dev.eksaccessupdater.processing.OutcomeLog;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Metrics as CloudWatch embedded metric format documents, printed to the log (no API call, nothing to wait for):
 * CloudWatch Logs extracts them from the log group. Per batch, one document with the outcome counts and the batch
 * size, and one per rejection reason code with {@code Rejected} by {@code ReasonCode}; per AWS call, one document
 * with its latency. Written at {@link LogLevel#UNDEFINED}, which the runtime never filters, so that the alarms do
 * not depend on the function's log level.
 * (Specification: https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html)
 */
public final class EmfMetrics implements OutcomeLog {

    public static final String DEFAULT_NAMESPACE = "EksAccessUpdater";

    static final String APPLIED = "Applied";
    static final String DUPLICATE = "Duplicate";
    static final String REJECTED = "Rejected";
    static final String RETRIED = "Retried";
    static final String BATCH_SIZE = "BatchSize";
    static final String EKS_LATENCY = "EksLatency";
    static final String EVENT_BRIDGE_LATENCY = "EventBridgeLatency";
    static final String REASON_CODE = "ReasonCode";
    static final String OPERATION = "Operation";
    /** Every metric name this class emits, for the dashboard and alarm tests. */
    public static final List<String> METRIC_NAMES =
            List.of(APPLIED, DUPLICATE, REJECTED, RETRIED, BATCH_SIZE, EKS_LATENCY, EVENT_BRIDGE_LATENCY);

    private final String namespace;
    private final LogOutput output;
    private final Clock clock;

    public EmfMetrics(String namespace, LogOutput output, Clock clock) {
        this.namespace = namespace;
        this.output = output;
        this.clock = clock;
    }

    @Override
    public void message(MessageResult result) {
        // Counted per batch: one document instead of one per message.
    }

    @Override
    public void defect(MessageResult result, RuntimeException defect) {
        // Counted as the retry it became, with the batch.
    }

    @Override
    public void batch(BatchResult result) {
        Map<String, Long> counts = new LinkedHashMap<>();
        List.of(APPLIED, DUPLICATE, REJECTED, RETRIED).forEach(metric -> counts.put(metric, 0L));
        Map<String, Long> rejectedByReason = new TreeMap<>();
        for (MessageResult message : result.results()) {
            Outcome outcome = message.outcome();
            counts.merge(metricOf(outcome), 1L, Long::sum);
            if (outcome instanceof Outcome.Rejected rejected) {
                rejectedByReason.merge(rejected.reasonCode().name(), 1L, Long::sum);
            }
        }
        Map<String, Object> totals = document("metrics", List.of(List.of()), metrics(counts.keySet(), BATCH_SIZE));
        totals.putAll(counts);
        totals.put(BATCH_SIZE, result.results().size());
        write(totals);
        rejectedByReason.forEach((reasonCode, count) -> {
            Map<String, Object> byReason =
                    document("metrics", List.of(List.of(REASON_CODE)), metrics(List.of(REJECTED), null));
            byReason.put(REASON_CODE, reasonCode);
            byReason.put(REJECTED, count);
            write(byReason);
        });
    }

    /** One AWS call's latency, as {@code metric} without dimensions and by {@code Operation}. */
    void latency(String metric, String operation, Duration latency, boolean failed) {
        Map<String, Object> document = document("call", List.of(List.of(), List.of(OPERATION)),
                List.of(Map.of("Name", metric, "Unit", "Milliseconds")));
        document.put(OPERATION, operation);
        document.put(metric, Math.round(latency.toNanos() / 1_000.0) / 1_000.0); // milliseconds, to the microsecond
        document.put("failed", failed);
        write(document);
    }

    private static String metricOf(Outcome outcome) {
        if (outcome instanceof Outcome.Applied) {
            return APPLIED;
        }
        if (outcome instanceof Outcome.Duplicate) {
            return DUPLICATE;
        }
        return outcome instanceof Outcome.Rejected ? REJECTED : RETRIED;
    }

    private static List<Map<String, String>> metrics(Iterable<String> counts, String extra) {
        List<Map<String, String>> metrics = new ArrayList<>();
        counts.forEach(name -> metrics.add(Map.of("Name", name, "Unit", "Count")));
        if (extra != null) {
            metrics.add(Map.of("Name", extra, "Unit", "Count"));
        }
        return metrics;
    }

    private Map<String, Object> document(String event, List<List<String>> dimensions,
                                         List<Map<String, String>> metrics) {
        Map<String, Object> directive = new LinkedHashMap<>();
        directive.put("Namespace", namespace);
        directive.put("Dimensions", dimensions);
        directive.put("Metrics", metrics);
        Map<String, Object> metadata = new LinkedHashMap<>();
        metadata.put("Timestamp", clock.millis());
        metadata.put("CloudWatchMetrics", List.of(directive));
        Map<String, Object> document = new LinkedHashMap<>();
        document.put("_aws", metadata);
        document.put("event", event);
        return document;
    }

    private void write(Map<String, Object> document) {
        output.write(LogLevel.UNDEFINED, Json.write(document));
    }
}
