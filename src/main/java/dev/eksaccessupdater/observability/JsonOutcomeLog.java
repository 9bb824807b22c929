package dev.eksaccessupdater.observability;

import com.fasterxml.jackson.jr.ob.JSON;
import dev.eksaccessupdater.processing.BatchResult;
import dev.eksaccessupdater.processing.MessageResult;
import dev.eksaccessupdater.processing.Outcome;
import dev.eksaccessupdater.processing.OutcomeLog;
import dev.eksaccessupdater.request.RequestSummary;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * One JSON object per message outcome and one per batch. Values are written by a JSON generator, so untrusted
 * text is escaped and cannot forge a log line; message bodies and metadata are never logged.
 */
public final class JsonOutcomeLog implements OutcomeLog {

    private final Consumer<String> sink;

    public JsonOutcomeLog(Consumer<String> sink) {
        this.sink = sink;
    }

    @Override
    public void message(MessageResult result) {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("event", "message");
        line.put("messageId", result.message().messageId());
        RequestSummary request = result.request();
        if (request != null) {
            putIfPresent(line, "clientRequestToken", request.clientRequestToken());
            putIfPresent(line, "clusterName", request.clusterName());
            putIfPresent(line, "principalArn", request.principalArn());
        }
        putIfPresent(line, "messageGroupId", result.message().messageGroupId());
        Outcome outcome = result.outcome();
        line.put("outcome", outcome.name());
        if (outcome instanceof Outcome.Rejected rejected) {
            line.put("reasonCode", rejected.reasonCode().name());
            line.put("reason", rejected.message());
        } else if (outcome instanceof Outcome.Retry retry) {
            line.put("reason", retry.reason());
        }
        line.put("attempt", result.message().receiveCount());
        line.put("durationMs", result.duration().toMillis());
        write(line);
    }

    @Override
    public void batch(BatchResult result) {
        Map<String, Integer> counts = new TreeMap<>();
        result.results().forEach(message -> counts.merge(message.outcome().name(), 1, Integer::sum));
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("event", "batch");
        line.put("size", result.results().size());
        line.put("outcomes", counts);
        line.put("durationMs", result.duration().toMillis());
        write(line);
    }

    private void write(Map<String, Object> line) {
        try {
            sink.accept(JSON.std.asString(line));
        } catch (IOException impossible) {
            throw new UncheckedIOException(impossible);
        }
    }

    private static void putIfPresent(Map<String, Object> line, String key, String value) {
        if (value != null) {
            line.put(key, value);
        }
    }
}
