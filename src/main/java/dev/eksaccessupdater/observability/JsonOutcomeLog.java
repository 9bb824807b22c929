package dev.eksaccessupdater.observability;

import com.amazonaws.services.lambda.runtime.logging.LogLevel;
import dev.eksaccessupdater.json.Json;
import dev.eksaccessupdater.processing.BatchResult;
import dev.eksaccessupdater.processing.MessageResult;
import dev.eksaccessupdater.processing.Outcome;
import dev.eksaccessupdater.processing.OutcomeLog;
import dev.eksaccessupdater.request.RequestSummary;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Clock;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * One JSON object per message outcome and one per batch, with the field names the README's Logs Insights queries
 * use. Values are written by a JSON generator, so untrusted text is escaped and cannot forge a log line; message
 * bodies and metadata are never logged. Applied and duplicate outcomes are {@code INFO}; rejections and retries are
 * {@code WARN}, so that they still reach CloudWatch when the function's log level is raised to {@code WARN}. A
 * defect is one more line, at {@code ERROR}, with its stack trace.
 */
public final class JsonOutcomeLog implements OutcomeLog {

    /** The outcome names of docs/contract.md section 3, in the order the batch line counts them. */
    static final List<String> OUTCOMES = List.of("APPLIED", "DUPLICATE", "REJECTED", "RETRY");

    private final LogOutput output;
    private final Clock clock;

    public JsonOutcomeLog(LogOutput output, Clock clock) {
        this.output = output;
        this.clock = clock;
    }

    /** Every line to {@code sink}, whatever its level: for tests and local runs. */
    public JsonOutcomeLog(Consumer<String> sink) {
        this((level, line) -> sink.accept(line), Clock.systemUTC());
    }

    @Override
    public void message(MessageResult result) {
        Outcome outcome = result.outcome();
        LogLevel level = outcome instanceof Outcome.Applied || outcome instanceof Outcome.Duplicate
                ? LogLevel.INFO : LogLevel.WARN;
        Map<String, Object> line = start(level, "message");
        identify(line, result);
        line.put("outcome", outcome.name());
        if (outcome instanceof Outcome.Rejected rejected) {
            line.put("reasonCode", rejected.reasonCode().name());
            line.put("reason", rejected.message());
        } else if (outcome instanceof Outcome.Retry retry) {
            line.put("reason", retry.reason());
        }
        line.put("attempt", result.message().receiveCount());
        line.put("durationMs", result.duration().toMillis());
        output.write(level, Json.write(line));
    }

    @Override
    public void batch(BatchResult result) {
        Map<String, Integer> counts = new LinkedHashMap<>();
        OUTCOMES.forEach(outcome -> counts.put(outcome, 0));
        result.results().forEach(message -> counts.merge(message.outcome().name(), 1, Integer::sum));
        Map<String, Object> line = start(LogLevel.INFO, "batch");
        line.put("size", result.results().size());
        line.put("outcomes", counts);
        line.put("durationMs", result.duration().toMillis());
        output.write(LogLevel.INFO, Json.write(line));
    }

    /**
     * One {@code ERROR} line with the defect's class and stack trace (causes included) and the message's identifiers;
     * the message's own line, with its retry, follows.
     */
    @Override
    public void defect(MessageResult result, RuntimeException defect) {
        Map<String, Object> line = start(LogLevel.ERROR, "defect");
        identify(line, result);
        line.put("exception", defect.getClass().getName());
        StringWriter stackTrace = new StringWriter();
        defect.printStackTrace(new PrintWriter(stackTrace));
        line.put("stackTrace", stackTrace.toString());
        output.write(LogLevel.ERROR, Json.write(line));
    }

    /** What identifies the message without its body: its id, and the request's token, cluster and principal. */
    private static void identify(Map<String, Object> line, MessageResult result) {
        line.put("messageId", result.message().messageId());
        RequestSummary request = result.request();
        if (request != null) {
            putIfPresent(line, "clientRequestToken", request.clientRequestToken());
            putIfPresent(line, "clusterName", request.clusterName());
            putIfPresent(line, "principalArn", request.principalArn());
        }
        putIfPresent(line, "messageGroupId", result.message().messageGroupId());
    }

    private Map<String, Object> start(LogLevel level, String event) {
        Map<String, Object> line = new LinkedHashMap<>();
        // The runtime adds neither to a line it is given as bytes (see LogOutput#lambdaRuntime).
        line.put("timestamp", DateTimeFormatter.ISO_INSTANT.format(clock.instant().truncatedTo(ChronoUnit.MILLIS)));
        line.put("level", level.name());
        line.put("event", event);
        return line;
    }

    private static void putIfPresent(Map<String, Object> line, String key, String value) {
        if (value != null) {
            line.put(key, value);
        }
    }
}
