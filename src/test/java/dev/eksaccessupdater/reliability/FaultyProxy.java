package dev.eksaccessupdater.reliability;

import com.fasterxml.jackson.jr.ob.JSON;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * An HTTP proxy on 127.0.0.1 in front of one AWS endpoint (dynalite or a stand-in) that can fail, delay, lose the
 * answer of, or "crash" at chosen operations. The operation is the {@code X-Amz-Target} suffix (awsJson protocols)
 * or, for the EKS access-entry paths, {@code DescribeAccessEntry} (GET) / {@code UpdateAccessEntry} (POST). A call to
 * the state table also has an action, the step of contract section 4 it takes ({@link #CLAIM}, {@link #ACQUIRE_LEASE},
 * ...), read from its key and expression values; a fault can be injected for an operation or for an action.
 * <p>
 * A crash is shared by the proxies of one function instance: once one of them crashed, every later call through
 * any of them is answered with an error without reaching the service, as if the process had died there. Hooks see
 * every call that a live instance made, before any fault is applied.
 */
final class FaultyProxy implements AutoCloseable {

    /** The state table's calls (contract section 4), as {@link Call#action()} names them. */
    static final String CLAIM = "Claim";
    static final String ACQUIRE_LEASE = "AcquireLease";
    static final String RECORD = "Record";
    static final String COMPLETE = "Complete";
    static final String YIELD = "Yield";
    static final String TAKE_OVER = "TakeOver";
    static final String RELEASE_CLAIM = "ReleaseClaim";
    static final String RELEASE_LEASE = "ReleaseLease";

    /**
     * One call as received.
     *
     * @param action for a write to the state table the step it takes ({@link #CLAIM}, {@link #RECORD}, ...), else
     *     the operation
     */
    record Call(String operation, String action, String method, String path, String body) {
    }

    /** What happens to a call. */
    record Fault(Kind kind, int status, String errorType, Duration delay) {

        enum Kind { FAIL, DELAY, LOSE_ANSWER, CRASH_BEFORE, CRASH_AFTER }

        static Fault fail(int status, String errorType) {
            return new Fault(Kind.FAIL, status, errorType, Duration.ZERO);
        }

        /** Holds the call this long, then forwards it: past the attempt timeout it lands after the caller left. */
        static Fault delay(Duration delay) {
            return new Fault(Kind.DELAY, 0, null, delay);
        }

        /** Forwards the call, then answers a server error: the change happened, the caller does not know. */
        static Fault loseAnswer() {
            return new Fault(Kind.LOSE_ANSWER, 500, "InternalServerError", Duration.ZERO);
        }

        static Fault crashBefore() {
            return new Fault(Kind.CRASH_BEFORE, 0, null, Duration.ZERO);
        }

        static Fault crashAfter() {
            return new Fault(Kind.CRASH_AFTER, 0, null, Duration.ZERO);
        }
    }

    /** What a call met, for assertions and failure messages. */
    record Handled(String operation, String action, String result) {
    }

    private static final Set<String> HOP_HEADERS =
            Set.of("connection", "content-length", "expect", "host", "upgrade", "transfer-encoding", "keep-alive");
    private static final AtomicInteger THREADS = new AtomicInteger();

    private final URI target;
    private final String errorContentType;
    private final AtomicBoolean crashed;
    private final HttpServer server;
    private final ExecutorService executor;
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private final List<Rule> rules = new ArrayList<>();
    private final List<Consumer<Call>> hooks = new CopyOnWriteArrayList<>();
    private final List<Handled> handled = new CopyOnWriteArrayList<>();
    private final AtomicInteger inFlight = new AtomicInteger();
    private volatile Function<Call, Fault> decider = call -> null;

    private static final class Rule {
        final String operation;
        final Fault fault;
        int remaining;

        Rule(String operation, int times, Fault fault) {
            this.operation = operation;
            this.remaining = times;
            this.fault = fault;
        }
    }

    /**
     * @param errorContentType the content type of the service's error answers
     * @param crashed shared by the proxies of one function instance
     */
    FaultyProxy(URI target, String errorContentType, AtomicBoolean crashed) {
        this.target = Objects.requireNonNull(target, "target");
        this.errorContentType = errorContentType;
        this.crashed = crashed;
        System.setProperty("sun.net.httpserver.nodelay", "true");
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        executor = Executors.newCachedThreadPool(runnable -> {
            Thread thread = new Thread(runnable, "faulty-proxy-" + THREADS.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
    }

    URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    /** The next {@code times} calls of {@code operation} meet {@code fault}. */
    FaultyProxy inject(String operation, int times, Fault fault) {
        synchronized (rules) {
            rules.add(new Rule(operation, times, fault));
        }
        return this;
    }

    /** Every call of {@code operation} meets {@code fault} until {@link #clearFaults}. */
    FaultyProxy always(String operation, Fault fault) {
        return inject(operation, Integer.MAX_VALUE, fault);
    }

    /** Asked for every call no rule matched; answers the fault or {@code null}. */
    FaultyProxy decideWith(Function<Call, Fault> decider) {
        this.decider = Objects.requireNonNull(decider, "decider");
        return this;
    }

    void clearFaults() {
        synchronized (rules) {
            rules.clear();
        }
        decider = call -> null;
    }

    FaultyProxy onCall(Consumer<Call> hook) {
        hooks.add(hook);
        return this;
    }

    List<Handled> handled() {
        return List.copyOf(handled);
    }

    long count(String operation) {
        return handled.stream()
                .filter(call -> call.operation().equals(operation) || call.action().equals(operation)).count();
    }

    /** Waits until no call is being held or forwarded (delayed calls land late). */
    void awaitIdle(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (inFlight.get() > 0) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("proxy to " + target + " still busy after " + timeout);
            }
            Thread.sleep(20);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }

    private Fault faultFor(Call call) {
        synchronized (rules) {
            for (Rule rule : rules) {
                boolean matches = rule.operation.equals(call.operation()) || rule.operation.equals(call.action());
                if (matches && rule.remaining > 0) {
                    rule.remaining--;
                    return rule.fault;
                }
            }
        }
        return decider.apply(call);
    }

    private void handle(HttpExchange exchange) throws IOException {
        inFlight.incrementAndGet();
        try (exchange) {
            byte[] body = exchange.getRequestBody().readAllBytes();
            String operation = operation(exchange);
            String text = new String(body, StandardCharsets.UTF_8);
            Call call = new Call(operation, action(operation, text), exchange.getRequestMethod(),
                    exchange.getRequestURI().getRawPath(), text);
            if (crashed.get()) {
                note(call, "after crash");
                answerCrashed(exchange);
                return;
            }
            hooks.forEach(hook -> hook.accept(call));
            Fault fault = faultFor(call);
            if (fault == null) {
                note(call, "passed");
                forward(exchange, body);
                return;
            }
            switch (fault.kind()) {
                case FAIL -> {
                    note(call, "failed " + fault.errorType());
                    answerError(exchange, fault.status(), fault.errorType());
                }
                case DELAY -> {
                    note(call, "delayed " + fault.delay().toMillis() + " ms");
                    Thread.sleep(fault.delay().toMillis());
                    forward(exchange, body);
                }
                case LOSE_ANSWER -> {
                    note(call, "answer lost");
                    forwardQuietly(exchange, body);
                    answerError(exchange, fault.status(), fault.errorType());
                }
                case CRASH_BEFORE -> {
                    crashed.set(true);
                    note(call, "crashed before");
                    answerCrashed(exchange);
                }
                case CRASH_AFTER -> {
                    forwardQuietly(exchange, body);
                    crashed.set(true);
                    note(call, "crashed after");
                    answerCrashed(exchange);
                }
            }
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
        } catch (IOException callerGone) {
            // The SDK gave up on the call (attempt timeout); what was forwarded stays forwarded.
        } finally {
            inFlight.decrementAndGet();
        }
    }

    private void note(Call call, String result) {
        handled.add(new Handled(call.operation(), call.action(), result));
    }

    private static String operation(HttpExchange exchange) {
        String awsTarget = exchange.getRequestHeaders().getFirst("X-Amz-Target");
        if (awsTarget != null) {
            return awsTarget.substring(awsTarget.indexOf('.') + 1);
        }
        String path = exchange.getRequestURI().getRawPath();
        if (path.contains("/access-entries/")) {
            return "GET".equals(exchange.getRequestMethod()) ? "DescribeAccessEntry" : "UpdateAccessEntry";
        }
        return exchange.getRequestMethod() + " " + path;
    }

    /**
     * The step of contract section 4 a DynamoDB write takes, told apart by its key (a lease key starts with
     * {@code lease }) and its expression values, as {@code DynamoDbClaims} and {@code DynamoDbEntryLeases} write
     * them; the operation itself for any other call.
     */
    @SuppressWarnings("unchecked")
    static String action(String operation, String body) {
        if (!Set.of("PutItem", "UpdateItem", "DeleteItem").contains(operation)) {
            return operation;
        }
        Map<String, Object> request;
        try {
            request = JSON.std.mapFrom(body);
        } catch (IOException unreadable) {
            return operation;
        }
        Map<String, Object> key = (Map<String, Object>) request.getOrDefault("Key", request.get("Item"));
        Object token = key == null || !(key.get("clientRequestToken") instanceof Map<?, ?> attribute)
                ? null : attribute.get("S");
        boolean lease = token instanceof String text && text.startsWith("lease ");
        Map<String, Object> values = (Map<String, Object>) request.getOrDefault("ExpressionAttributeValues", Map.of());
        return switch (operation) {
            case "PutItem" -> CLAIM;
            case "DeleteItem" -> lease ? RELEASE_LEASE : RELEASE_CLAIM;
            default -> {
                if (lease) {
                    yield values.containsKey(":grants") ? RELEASE_LEASE : ACQUIRE_LEASE;
                }
                if (values.containsKey(":eventDetail")) {
                    yield RECORD;
                }
                if (values.containsKey(":completed")) {
                    yield COMPLETE;
                }
                if (values.containsKey(":hash")) {
                    yield TAKE_OVER;
                }
                yield values.containsKey(":zero") ? YIELD : operation;
            }
        };
    }

    private HttpResponse<byte[]> send(HttpExchange exchange, byte[] body) throws IOException, InterruptedException {
        URI uri = target.resolve(exchange.getRequestURI().getRawPath()
                + (exchange.getRequestURI().getRawQuery() == null ? "" : "?" + exchange.getRequestURI().getRawQuery()));
        HttpRequest.Builder request = HttpRequest.newBuilder(uri)
                .timeout(Duration.ofSeconds(30))
                .method(exchange.getRequestMethod(), body.length == 0
                        ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        exchange.getRequestHeaders().forEach((name, values) -> {
            if (!HOP_HEADERS.contains(name.toLowerCase(Locale.ROOT))) {
                values.forEach(value -> request.header(name, value));
            }
        });
        return client.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private void forward(HttpExchange exchange, byte[] body) throws IOException, InterruptedException {
        HttpResponse<byte[]> response = send(exchange, body);
        response.headers().map().forEach((name, values) -> {
            if (!HOP_HEADERS.contains(name.toLowerCase(Locale.ROOT)) && !name.startsWith(":")) {
                exchange.getResponseHeaders().put(name, values);
            }
        });
        byte[] answer = response.body();
        exchange.sendResponseHeaders(response.statusCode(), answer.length == 0 ? -1 : answer.length);
        if (answer.length > 0) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(answer);
            }
        }
    }

    /** Forwards and forgets the answer; a service that cannot be reached is like a call that never landed. */
    private void forwardQuietly(HttpExchange exchange, byte[] body) throws InterruptedException {
        try {
            send(exchange, body);
        } catch (IOException unreachable) {
            // Nothing landed.
        }
    }

    /** A dead instance makes no more calls; a non-retryable error ends the SDK's attempts at once. */
    private void answerCrashed(HttpExchange exchange) throws IOException {
        answerError(exchange, 400, "SimulatedCrashException");
    }

    private void answerError(HttpExchange exchange, int status, String errorType) throws IOException {
        byte[] answer = ("{\"__type\":\"" + errorType + "\",\"message\":\"Injected " + errorType + " by the proxy\"}")
                .getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", errorContentType);
        exchange.getResponseHeaders().set("x-amzn-ErrorType", errorType);
        exchange.getResponseHeaders().set("x-amzn-RequestId", "proxy-" + System.nanoTime());
        exchange.sendResponseHeaders(status, answer.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(answer);
        }
    }

    /** Content types of the error answers of the three services. */
    static final Map<String, String> ERROR_CONTENT_TYPES = Map.of(
            "dynamodb", "application/x-amz-json-1.0",
            "eks", "application/json",
            "eventbridge", "application/x-amz-json-1.1");
}
