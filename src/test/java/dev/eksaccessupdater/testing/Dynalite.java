package dev.eksaccessupdater.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.DynamoDbClientBuilder;
import software.amazon.awssdk.services.dynamodb.model.AttributeDefinition;
import software.amazon.awssdk.services.dynamodb.model.BillingMode;
import software.amazon.awssdk.services.dynamodb.model.KeySchemaElement;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;
import software.amazon.awssdk.services.dynamodb.model.TableStatus;

/**
 * A dynalite process, the DynamoDB stand-in installed by {@code npm ci}, on a loopback port (a free one unless
 * given), with a real SDK client for it. Tables live in memory and die with the process; items never expire by
 * themselves.
 */
public final class Dynalite implements AutoCloseable {

    private static final String READY = "Dynalite listening";
    private static final Duration START_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration TABLE_TIMEOUT = Duration.ofSeconds(10);
    /** The free port we found may be taken before dynalite binds it; then it exits with EADDRINUSE. */
    private static final int START_ATTEMPTS = 3;

    private final Process process;
    private final URI endpoint;
    private final DynamoDbClient client;
    private final Thread stopOnExit;

    private Dynalite(Process process, URI endpoint) {
        this.process = process;
        this.endpoint = endpoint;
        this.client = clientBuilder(endpoint)
                .overrideConfiguration(config -> config.apiCallTimeout(Duration.ofSeconds(10)))
                .build();
        // A test run that ends without closing us (a crash, a forgotten close) must not leave node running.
        this.stopOnExit = new Thread(process::destroyForcibly, "dynalite-stop");
        Runtime.getRuntime().addShutdownHook(stopOnExit);
    }

    /** Starts dynalite from {@code node_modules} of the project directory (Maven's {@code basedir}). */
    public static Dynalite start() {
        return start(Path.of(System.getProperty("basedir", "")).toAbsolutePath());
    }

    public static Dynalite start(Path projectDirectory) {
        return start(projectDirectory, 0);
    }

    /**
     * Starts dynalite on {@code port} of 127.0.0.1, for a local run that other tools point at; 0 picks a free port.
     *
     * @throws IllegalStateException when the port is taken
     */
    public static Dynalite start(Path projectDirectory, int port) {
        Path cli = projectDirectory.resolve("node_modules/dynalite/cli.js");
        if (!Files.isRegularFile(cli)) {
            throw new IllegalStateException("dynalite is not installed in " + projectDirectory.resolve("node_modules")
                    + "; run: npm ci");
        }
        String output = "";
        int attempts = port == 0 ? START_ATTEMPTS : 1;
        for (int attempt = 0; attempt < attempts; attempt++) {
            int listenPort = port == 0 ? freePort() : port;
            Process process = launch(cli, listenPort, projectDirectory);
            OutputWatcher watcher = new OutputWatcher(process);
            try {
                if (watcher.awaitReady(START_TIMEOUT)) {
                    return new Dynalite(process, URI.create("http://127.0.0.1:" + listenPort));
                }
            } catch (TimeoutException notReady) {
                stop(process);
                throw new IllegalStateException("dynalite did not print '" + READY + "' within " + START_TIMEOUT
                        + "; its output:\n" + watcher.output());
            }
            output = watcher.output();
            if (!output.contains("EADDRINUSE")) {
                break;
            }
            if (port != 0) {
                throw new IllegalStateException("dynalite cannot listen on 127.0.0.1:" + port
                        + ": the port is in use by another program");
            }
        }
        throw new IllegalStateException("dynalite exited before listening (if node_modules is incomplete, run: npm ci)"
                + "; its output:\n" + output);
    }

    /** A builder for a client of any DynamoDB endpoint, set up as for dynalite: us-east-1, dummy credentials. */
    public static DynamoDbClientBuilder clientBuilder(URI endpoint) {
        return DynamoDbClient.builder()
                .endpointOverride(endpoint)
                .region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("dummy", "dummy")))
                .httpClientBuilder(UrlConnectionHttpClient.builder());
    }

    /** Where dynalite listens, e.g. for {@code AWS_ENDPOINT_URL_DYNAMODB}. */
    public URI endpoint() {
        return endpoint;
    }

    /** A client shared by everyone using this dynalite; closed with it, so do not close it yourself. */
    public DynamoDbClient dynamoDbClient() {
        return client;
    }

    /**
     * Creates an on-demand table keyed by {@code clientRequestToken} (S), as the template declares it, and waits
     * until it is active. Dynalite has no {@code UpdateTimeToLive}, so no TTL is set.
     *
     * @return {@code name}
     */
    public String createIdempotencyTable(String name) {
        client.createTable(table -> table
                .tableName(name)
                .billingMode(BillingMode.PAY_PER_REQUEST)
                .attributeDefinitions(AttributeDefinition.builder()
                        .attributeName("clientRequestToken").attributeType(ScalarAttributeType.S).build())
                .keySchema(KeySchemaElement.builder()
                        .attributeName("clientRequestToken").keyType(KeyType.HASH).build()));
        awaitActive(name);
        return name;
    }

    private void awaitActive(String name) {
        long deadline = System.nanoTime() + TABLE_TIMEOUT.toNanos();
        while (client.describeTable(table -> table.tableName(name)).table().tableStatus() != TableStatus.ACTIVE) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("table " + name + " not active after " + TABLE_TIMEOUT);
            }
            pause(Duration.ofMillis(10));
        }
    }

    @Override
    public void close() {
        client.close();
        stop(process);
        try {
            Runtime.getRuntime().removeShutdownHook(stopOnExit);
        } catch (IllegalStateException shuttingDown) {
            // The hook is running or about to; it only repeats what we did.
        }
    }

    private static Process launch(Path cli, int port, Path projectDirectory) {
        List<String> command = List.of("node", cli.toString(), "--host", "127.0.0.1", "--port", Integer.toString(port),
                "--createTableMs", "0", "--deleteTableMs", "0", "--updateTableMs", "0");
        try {
            return new ProcessBuilder(command)
                    .directory(projectDirectory.toFile())
                    .redirectErrorStream(true)
                    .start();
        } catch (IOException e) {
            throw new IllegalStateException("could not run node (Node.js 20 is needed for the dynalite tests;"
                    + " then run: npm ci)", e);
        }
    }

    private static void stop(Process process) {
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free loopback port", e);
        }
    }

    private static void pause(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** Drains the process's output for as long as it runs, so it never blocks on a full pipe. */
    private static final class OutputWatcher {

        private final StringBuffer output = new StringBuffer();
        /** True once dynalite is listening, false when its output ended first. */
        private final CompletableFuture<Boolean> ready = new CompletableFuture<>();

        OutputWatcher(Process process) {
            Thread reader = new Thread(() -> read(process), "dynalite-output");
            reader.setDaemon(true);
            reader.start();
        }

        private void read(Process process) {
            try (BufferedReader lines = new BufferedReader(
                    new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                    output.append(line).append('\n');
                    if (line.contains(READY)) {
                        ready.complete(true);
                    }
                }
            } catch (IOException streamClosed) {
                // The process was destroyed; nothing more to read.
            }
            ready.complete(false);
        }

        boolean awaitReady(Duration timeout) throws TimeoutException {
            try {
                return ready.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (ExecutionException e) {
                throw new IllegalStateException(e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while starting dynalite", e);
            }
        }

        String output() {
            return output.toString();
        }
    }
}
