package dev.eksaccessupdater.bench;

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
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An HTTP proxy on 127.0.0.1 that forwards every request, unchanged, to one upstream (dynalite) and answers no
 * sooner than an injected delay after the request arrived: how the benchmark gives DynamoDB the same latency as the
 * EKS and EventBridge stand-ins.
 */
final class DelayingProxy implements AutoCloseable {

    /** Headers the JDK client sets itself or refuses, and hop-by-hop headers. */
    private static final Set<String> NOT_FORWARDED = Set.of("host", "content-length", "connection", "expect",
            "upgrade", "keep-alive", "transfer-encoding", "date");

    private final HttpServer server;
    private final ExecutorService executor;
    private final HttpClient client;
    private final URI upstream;
    private final AtomicLong requests = new AtomicLong();
    private volatile Duration delay = Duration.ZERO;

    private DelayingProxy(URI upstream) {
        this.upstream = upstream;
        // Node closes idle keep-alive connections after 5 s; drop ours first rather than send into a closing one.
        System.setProperty("jdk.httpclient.keepalive.timeout", "3");
        System.setProperty("sun.net.httpserver.nodelay", "true");
        this.client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 256);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        executor = Executors.newCachedThreadPool(task -> {
            Thread thread = new Thread(task, "delaying-proxy");
            thread.setDaemon(true);
            return thread;
        });
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
    }

    static DelayingProxy start(URI upstream) {
        return new DelayingProxy(upstream);
    }

    URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    void delay(Duration delay) {
        this.delay = delay;
    }

    /** Requests received so far. */
    long requests() {
        return requests.get();
    }

    private void handle(HttpExchange exchange) throws IOException {
        long arrived = System.nanoTime();
        requests.incrementAndGet();
        try (exchange) {
            byte[] body = exchange.getRequestBody().readAllBytes();
            HttpRequest.Builder request = HttpRequest.newBuilder(upstream.resolve(exchange.getRequestURI()))
                    .method(exchange.getRequestMethod(), HttpRequest.BodyPublishers.ofByteArray(body));
            exchange.getRequestHeaders().forEach((name, values) -> {
                if (!NOT_FORWARDED.contains(name.toLowerCase(Locale.ROOT))) {
                    values.forEach(value -> request.header(name, value));
                }
            });
            HttpResponse<byte[]> response = send(request.build());
            // The service answers `delay` after the request arrived, its own work included, as a remote service
            // with that latency would; only what dynalite takes beyond it shows.
            long remainingNanos = delay.toNanos() - (System.nanoTime() - arrived);
            if (remainingNanos > 0) {
                Thread.sleep(remainingNanos / 1_000_000, (int) (remainingNanos % 1_000_000));
            }
            response.headers().map().forEach((name, values) -> {
                if (!NOT_FORWARDED.contains(name.toLowerCase(Locale.ROOT)) && !name.startsWith(":")) {
                    exchange.getResponseHeaders().put(name, List.copyOf(values));
                }
            });
            byte[] answer = response.body();
            exchange.sendResponseHeaders(response.statusCode(), answer.length == 0 ? -1 : answer.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(answer);
            }
        } catch (InterruptedException closing) {
            Thread.currentThread().interrupt();
        }
    }

    /** One more try when the upstream closed a pooled connection just as we used it. */
    private HttpResponse<byte[]> send(HttpRequest request) throws IOException, InterruptedException {
        try {
            return client.send(request, HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException closedUnderUs) {
            return client.send(request, HttpResponse.BodyHandlers.ofByteArray());
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
