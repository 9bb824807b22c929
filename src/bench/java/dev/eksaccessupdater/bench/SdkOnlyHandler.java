package dev.eksaccessupdater.bench;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.eks.EksClient;
import software.amazon.awssdk.services.eventbridge.EventBridgeClient;

/**
 * The cold-start reference: a handler of the function's event types that makes each message's AWS calls
 * ({@link BareMessage}) with bare SDK clients, built at init as the function builds them (one
 * {@code UrlConnectionHttpClient}, the same timeouts, region, credentials and endpoints from the environment), and
 * does nothing else: no validation, no policy, no JSON library, no logs or metrics. What the function costs above it
 * is the function's own code.
 */
public final class SdkOnlyHandler implements RequestHandler<SQSEvent, SQSBatchResponse> {

    private final BareMessage bareMessage;

    public SdkOnlyHandler() {
        SdkHttpClient http = UrlConnectionHttpClient.builder()
                .connectionTimeout(Duration.ofSeconds(2)).socketTimeout(Duration.ofSeconds(2)).build();
        ClientOverrideConfiguration timeouts = ClientOverrideConfiguration.builder()
                .apiCallAttemptTimeout(Duration.ofSeconds(2)).apiCallTimeout(Duration.ofSeconds(5)).build();
        ExecutorService beside = Executors.newCachedThreadPool(task -> {
            Thread thread = new Thread(task, "sdk-only-beside");
            thread.setDaemon(true);
            return thread;
        });
        bareMessage = new BareMessage(
                DynamoDbClient.builder().httpClient(http).overrideConfiguration(timeouts).build(),
                EksClient.builder().httpClient(http).overrideConfiguration(timeouts).build(),
                EventBridgeClient.builder().httpClient(http).overrideConfiguration(timeouts).build(),
                System.getenv("IDEMPOTENCY_TABLE_NAME"), System.getenv("EVENT_BUS_NAME"), beside);
    }

    @Override
    public SQSBatchResponse handleRequest(SQSEvent event, Context context) {
        for (SQSEvent.SQSMessage message : event.getRecords()) {
            String body = message.getBody();
            bareMessage.process(field(body, "clusterName"), field(body, "principalArn"),
                    field(body, "clientRequestToken"));
        }
        return new SQSBatchResponse(List.of());
    }

    /** A top-level string field of the benchmark's own requests ({@link Messages#body}), found, not parsed. */
    private static String field(String body, String name) {
        int start = body.indexOf("\"" + name + "\":\"") + name.length() + 4;
        return body.substring(start, body.indexOf('"', start));
    }
}
