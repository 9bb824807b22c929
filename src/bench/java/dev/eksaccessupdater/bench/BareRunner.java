package dev.eksaccessupdater.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.eks.EksClient;
import software.amazon.awssdk.services.eventbridge.EventBridgeClient;

/**
 * Child JVM, the reference for the warm batches: the AWS calls of one message under version 2 of docs/contract.md
 * ({@link BareMessage}: six round trips) made by bare SDK clients, set up as the function sets them up, from a fixed
 * pool of {@code MAX_CONCURRENCY} threads, with none of the function's own work. What it
 * measures above the theoretical floor is the cost of the SDK, the loopback stand-ins and this machine. Same
 * arguments and output as {@link WarmRunner} ({@code standard} batches only).
 */
public final class BareRunner {

    private BareRunner() {
    }

    public static void main(String[] args) throws Exception {
        int concurrency = Integer.parseInt(System.getenv("MAX_CONCURRENCY"));
        System.setProperty("http.maxConnections", Integer.toString(Math.max(5, concurrency)));
        SdkHttpClient http = UrlConnectionHttpClient.builder()
                .connectionTimeout(Duration.ofSeconds(2)).socketTimeout(Duration.ofSeconds(2)).build();
        ClientOverrideConfiguration timeouts = ClientOverrideConfiguration.builder()
                .apiCallAttemptTimeout(Duration.ofSeconds(2)).apiCallTimeout(Duration.ofSeconds(5)).build();
        DynamoDbClient dynamoDb = DynamoDbClient.builder().httpClient(http).overrideConfiguration(timeouts).build();
        EksClient eks = EksClient.builder().httpClient(http).overrideConfiguration(timeouts).build();
        EventBridgeClient eventBridge = EventBridgeClient.builder().httpClient(http).overrideConfiguration(timeouts)
                .build();
        String table = System.getenv("IDEMPOTENCY_TABLE_NAME");
        String bus = System.getenv("EVENT_BUS_NAME");
        ExecutorService pool = Executors.newFixedThreadPool(concurrency);
        BareMessage bare = new BareMessage(dynamoDb, eks, eventBridge, table, bus, Executors.newCachedThreadPool());
        for (String spec : args) {
            String[] parts = spec.split(":");
            int size = Integer.parseInt(parts[1]);
            int warmup = Integer.parseInt(parts[2]);
            int runs = Integer.parseInt(parts[3]);
            Samples samples = new Samples();
            for (int run = 0; run < warmup + runs; run++) {
                long start = System.nanoTime();
                List<Future<?>> running = new ArrayList<>();
                for (int index = 0; index < size; index++) {
                    String principal = Messages.principal(index % Messages.PRINCIPALS);
                    running.add(pool.submit(() -> bare.process(Messages.CLUSTER, principal,
                            "bare-" + UUID.randomUUID())));
                }
                for (Future<?> message : running) {
                    message.get();
                }
                if (run >= warmup) {
                    samples.add(System.nanoTime() - start);
                }
            }
            System.out.println(String.format(Locale.ROOT, "BENCH result %s %d %.1f %.1f %.1f %d", parts[0], size,
                    samples.median(), samples.percentile(90), samples.min(), samples.count()));
        }
        System.out.flush();
        System.exit(0);
    }
}
