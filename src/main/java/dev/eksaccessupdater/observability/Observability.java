package dev.eksaccessupdater.observability;

import com.amazonaws.services.lambda.runtime.logging.LogLevel;
import dev.eksaccessupdater.eks.AccessEntries;
import dev.eksaccessupdater.events.EventPublisher;
import dev.eksaccessupdater.failure.ConfigurationException;
import dev.eksaccessupdater.json.Json;
import dev.eksaccessupdater.processing.BatchResult;
import dev.eksaccessupdater.processing.MessageResult;
import dev.eksaccessupdater.processing.OutcomeLog;
import java.time.Clock;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * What the composition root needs for logs and metrics in Lambda: the outcome log (log lines and metrics) and the
 * timing decorators of the EKS and EventBridge ports, all writing through the runtime's logger.
 */
public final class Observability {

    public static final String METRICS_NAMESPACE = "METRICS_NAMESPACE";

    /** CloudWatch's namespace rules; "AWS/" is reserved for AWS services. */
    private static final Pattern NAMESPACE = Pattern.compile("[A-Za-z0-9._/#:\\- ]{1,255}");

    private Observability() {
    }

    /** One JSON line per message outcome and per batch, then the batch's metrics. */
    public static OutcomeLog outcomeLog(String metricsNamespace, Clock clock) {
        return both(new JsonOutcomeLog(LogOutput.lambdaRuntime(), clock), metrics(metricsNamespace, clock));
    }

    public static AccessEntries timed(AccessEntries accessEntries, String metricsNamespace, Clock clock) {
        return new TimedAccessEntries(accessEntries, metrics(metricsNamespace, clock), System::nanoTime);
    }

    public static EventPublisher timed(EventPublisher eventPublisher, String metricsNamespace, Clock clock) {
        return new TimedEventPublisher(eventPublisher, metrics(metricsNamespace, clock), System::nanoTime);
    }

    /** A {@code WARN} line at initialisation, for a setting that weakens a safety guard. */
    public static void initWarning(String message, Clock clock) {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("timestamp", DateTimeFormatter.ISO_INSTANT.format(clock.instant().truncatedTo(ChronoUnit.MILLIS)));
        line.put("level", LogLevel.WARN.name());
        line.put("event", "configuration");
        line.put("warning", message);
        LogOutput.lambdaRuntime().write(LogLevel.WARN, Json.write(line));
    }

    /**
     * The metrics namespace from {@code METRICS_NAMESPACE}, {@value EmfMetrics#DEFAULT_NAMESPACE} when unset or blank.
     *
     * @throws ConfigurationException naming the variable when the value is not a CloudWatch namespace
     */
    public static String metricsNamespace(String value) {
        if (value == null || value.isBlank()) {
            return EmfMetrics.DEFAULT_NAMESPACE;
        }
        String namespace = value.strip();
        if (!NAMESPACE.matcher(namespace).matches() || namespace.startsWith("AWS/")) {
            throw new ConfigurationException(METRICS_NAMESPACE + " must be 1-255 characters of [A-Za-z0-9._/#:- ]"
                    + " and must not start with 'AWS/'");
        }
        return namespace;
    }

    static OutcomeLog both(OutcomeLog first, OutcomeLog second) {
        return new OutcomeLog() {
            @Override
            public void message(MessageResult result) {
                first.message(result);
                second.message(result);
            }

            @Override
            public void batch(BatchResult result) {
                first.batch(result);
                second.batch(result);
            }

            @Override
            public void defect(MessageResult result, RuntimeException defect) {
                first.defect(result, defect);
                second.defect(result, defect);
            }
        };
    }

    private static EmfMetrics metrics(String namespace, Clock clock) {
        return new EmfMetrics(namespace, LogOutput.lambdaRuntime(), clock);
    }
}
