package dev.eksaccessupdater.standin;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * A stand-in for EventBridge {@code PutEvents} on 127.0.0.1 (awsJson1.1, {@code X-Amz-Target:
 * AWSEvents.PutEvents}): accepts and records entries, answers per-entry failures with HTTP 200 as EventBridge
 * does, and can inject failed entries, failed calls and delays. Accepted events can also go to listeners and to
 * a JSON-lines file, in the envelope subscribers receive. Thread-safe.
 */
public final class EventBridgeStandIn implements AutoCloseable {

    public static final String ACCOUNT_ID = "123456789012";
    public static final String REGION = "us-east-1";
    private static final String TARGET = "AWSEvents.PutEvents";
    private static final String JSON_TYPE = "application/x-amz-json-1.1";

    /**
     * One accepted event.
     *
     * @param detail the {@code Detail} text parsed (objects keep their field order)
     * @param detailJson the {@code Detail} text exactly as sent
     * @param eventBusName as sent, {@code null} when the entry named none (the default bus)
     */
    public record PublishedEvent(String eventId, Instant time, String source, String detailType,
                                 Map<String, Object> detail, String detailJson, String eventBusName,
                                 List<String> resources) {

        /** The event as a rule target receives it. */
        public Map<String, Object> envelope() {
            Map<String, Object> envelope = new LinkedHashMap<>();
            envelope.put("version", "0");
            envelope.put("id", eventId);
            envelope.put("detail-type", detailType);
            envelope.put("source", source);
            envelope.put("account", ACCOUNT_ID);
            envelope.put("time", time.toString());
            envelope.put("region", REGION);
            envelope.put("resources", resources);
            envelope.put("detail", detail);
            return envelope;
        }
    }

    /** One call as received: its target header, raw body and the HTTP status and error type answered. */
    public record RecordedCall(String target, String body, int status, String errorType) {
    }

    private record CallFault(int status, String errorType) {
    }

    private final Clock clock;
    private final Object lock = new Object();
    private final List<PublishedEvent> events = new ArrayList<>();
    private final List<RecordedCall> calls = new ArrayList<>();
    private final List<String> entryFaults = new ArrayList<>();
    private final List<CallFault> callFaults = new ArrayList<>();
    private final List<Consumer<PublishedEvent>> listeners = new CopyOnWriteArrayList<>();
    private volatile Duration delay = Duration.ZERO;
    private volatile Path sink;
    private volatile StandInHttp http;

    public EventBridgeStandIn() {
        this(Clock.systemUTC());
    }

    /** @param clock the source of the events' {@code time} */
    public EventBridgeStandIn(Clock clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** Starts on a free port of 127.0.0.1. */
    public EventBridgeStandIn start() {
        return start(0);
    }

    public EventBridgeStandIn start(int port) {
        if (http != null) {
            throw new IllegalStateException("already started");
        }
        http = StandInHttp.start("eventbridge-stand-in", port, this::handle);
        return this;
    }

    public URI endpoint() {
        return started().endpoint();
    }

    public int port() {
        return started().port();
    }

    @Override
    public void close() {
        StandInHttp running = http;
        if (running != null) {
            running.close();
        }
    }

    // Inspection.

    /** Accepted events, in order. */
    public List<PublishedEvent> events() {
        synchronized (lock) {
            return List.copyOf(events);
        }
    }

    public List<PublishedEvent> events(String detailType) {
        return events().stream().filter(event -> event.detailType().equals(detailType)).toList();
    }

    /** Every PutEvents call received, whatever its answer. */
    public List<RecordedCall> calls() {
        synchronized (lock) {
            return List.copyOf(calls);
        }
    }

    /** Waits until at least {@code count} events were accepted; returns them, or throws after {@code timeout}. */
    public List<PublishedEvent> awaitEvents(int count, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (lock) {
            while (events.size() < count) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new IllegalStateException("expected " + count + " events within " + timeout + ", got "
                            + events.size());
                }
                lock.wait(Math.max(1, left / 1_000_000));
            }
            return List.copyOf(events);
        }
    }

    public void clear() {
        synchronized (lock) {
            events.clear();
            calls.clear();
        }
    }

    // Delivery to the outside.

    /** Called on the serving thread for each accepted event, after it is recorded and before the call is answered. */
    public EventBridgeStandIn onEvent(Consumer<PublishedEvent> listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
        return this;
    }

    /** Appends each accepted event's envelope to {@code file}, one JSON object a line ({@code null} to stop). */
    public EventBridgeStandIn writeJsonLines(Path file) {
        this.sink = file;
        return this;
    }

    // Fault injection.

    /** The next {@code n} entries fail with this {@code ErrorCode}, in an HTTP 200 answer as EventBridge gives. */
    public void failNextEntries(int n, String errorCode) {
        Objects.requireNonNull(errorCode, "errorCode");
        synchronized (lock) {
            entryFaults.addAll(Collections.nCopies(n, errorCode));
        }
    }

    /** The next {@code n} calls fail as a whole with this HTTP status and error type. */
    public void failNextCalls(int n, int status, String errorType) {
        Objects.requireNonNull(errorType, "errorType");
        synchronized (lock) {
            callFaults.addAll(Collections.nCopies(n, new CallFault(status, errorType)));
        }
    }

    /** Every call waits this long before it is answered (zero to stop). */
    public void delay(Duration delay) {
        this.delay = Objects.requireNonNull(delay, "delay");
    }

    public void clearFaults() {
        synchronized (lock) {
            entryFaults.clear();
            callFaults.clear();
        }
        delay = Duration.ZERO;
    }

    // Serving.

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String body = StandInHttp.body(exchange);
            if (!StandInHttp.pause(delay)) {
                return;
            }
            String target = exchange.getRequestHeaders().getFirst("X-Amz-Target");
            List<PublishedEvent> accepted = new ArrayList<>();
            int status;
            String errorType = null;
            Object answer;
            synchronized (lock) {
                CallFault fault = callFaults.isEmpty() ? null : callFaults.remove(0);
                if (fault != null) {
                    status = fault.status();
                    errorType = fault.errorType();
                    answer = error(errorType, "Injected " + errorType + " by the stand-in");
                } else if (!"POST".equals(exchange.getRequestMethod()) || !TARGET.equals(target)) {
                    status = 400;
                    errorType = "UnknownOperationException";
                    answer = error(errorType, "Only POST with X-Amz-Target: " + TARGET + " is served");
                } else {
                    Object result = putEvents(body, accepted);
                    if (result instanceof String validation) {
                        status = 400;
                        errorType = "ValidationException";
                        answer = error(errorType, validation);
                    } else {
                        status = 200;
                        answer = result;
                    }
                }
                calls.add(new RecordedCall(target, body, status, errorType));
                events.addAll(accepted);
                lock.notifyAll();
            }
            // Before answering, so that whoever sent the event finds it delivered once PutEvents returns.
            accepted.forEach(this::deliver);
            StandInHttp.respond(exchange, status, JSON_TYPE,
                    errorType == null ? Map.of() : Map.of("x-amzn-ErrorType", errorType), answer);
        }
    }

    /** The PutEvents answer, or a validation message when the request as a whole is invalid. */
    @SuppressWarnings("unchecked")
    private Object putEvents(String body, List<PublishedEvent> accepted) {
        Object entries;
        try {
            entries = StandInHttp.parseObject(body).get("Entries");
        } catch (IOException e) {
            return "The request body is not a JSON object";
        }
        if (!(entries instanceof List<?> list) || list.isEmpty() || list.size() > 10) {
            return "Entries must hold 1 to 10 entries";
        }
        Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        List<Map<String, Object>> results = new ArrayList<>();
        int failed = 0;
        int incomplete = 0;
        for (Object item : list) {
            Map<String, Object> entry = item instanceof Map<?, ?> ? (Map<String, Object>) item : Map.of();
            String failure = entryFaults.isEmpty() ? null : entryFaults.remove(0);
            String message = failure == null ? null : "Injected " + failure + " by the stand-in";
            Map<String, Object> detail = null;
            if (failure == null) {
                if (!(entry.get("Source") instanceof String source) || !(entry.get("DetailType") instanceof String)
                        || !(entry.get("Detail") instanceof String detailJson)) {
                    incomplete++;
                    failure = "InvalidArgument";
                    message = "Parameter(s) Source, DetailType and Detail are required.";
                } else if (source.startsWith("aws.")) {
                    failure = "NotAuthorizedForSourceException";
                    message = "Not authorized for the source.";
                } else {
                    detail = parseDetail(detailJson);
                    if (detail == null) {
                        failure = "MalformedDetail";
                        message = "Detail is malformed.";
                    }
                }
            }
            Map<String, Object> result = new LinkedHashMap<>();
            if (failure != null) {
                failed++;
                result.put("ErrorCode", failure);
                result.put("ErrorMessage", message);
            } else {
                PublishedEvent event = new PublishedEvent(UUID.randomUUID().toString(), now,
                        (String) entry.get("Source"), (String) entry.get("DetailType"), detail,
                        (String) entry.get("Detail"), (String) entry.get("EventBusName"),
                        entry.get("Resources") instanceof List<?> resources
                                ? resources.stream().map(String::valueOf).toList() : List.of());
                accepted.add(event);
                result.put("EventId", event.eventId());
            }
            results.add(result);
        }
        if (incomplete == list.size()) {
            // EventBridge fails the whole request only when no entry has Source, DetailType and Detail.
            accepted.clear();
            return "Parameter(s) Source, DetailType and Detail are required in every entry.";
        }
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("FailedEntryCount", failed);
        answer.put("Entries", results);
        return answer;
    }

    private void deliver(PublishedEvent event) {
        listeners.forEach(listener -> listener.accept(event));
        Path file = sink;
        if (file != null) {
            synchronized (this) {
                try {
                    Files.writeString(file, StandInHttp.toJson(event.envelope()) + "\n", StandardCharsets.UTF_8,
                            StandardOpenOption.CREATE, StandardOpenOption.APPEND);
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot append to " + file, e);
                }
            }
        }
    }

    private static Map<String, Object> parseDetail(String detailJson) {
        try {
            return Collections.unmodifiableMap(StandInHttp.parseObject(detailJson));
        } catch (IOException e) {
            return null;
        }
    }

    private static Map<String, Object> error(String errorType, String message) {
        Map<String, Object> error = new LinkedHashMap<>();
        error.put("__type", errorType);
        error.put("message", message);
        return error;
    }

    private StandInHttp started() {
        StandInHttp running = http;
        if (running == null) {
            throw new IllegalStateException("not started");
        }
        return running;
    }
}
