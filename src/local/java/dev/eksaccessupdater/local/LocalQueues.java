package dev.eksaccessupdater.local;

import java.net.URI;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;
import org.elasticmq.rest.sqs.SQSRestServer;
import org.elasticmq.rest.sqs.SQSRestServerBuilder;
import org.elasticmq.rest.sqs.TheSQSRestServerBuilder;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

/**
 * An embedded ElasticMQ server (the SQS protocol) on 127.0.0.1 with a real SDK client for it, on which it creates
 * the function's request queue and its dead-letter queue. Queues live in memory and die with the server.
 */
public final class LocalQueues implements AutoCloseable {

    public static final String REGION = "us-east-1";
    public static final String ACCOUNT_ID = "123456789012";
    /** The name of the request queue, as in the template; a FIFO queue adds {@code .fifo}. */
    public static final String REQUEST_QUEUE_NAME = "access-requests";

    private static final String DEAD_LETTER_SUFFIX = "-dlq";
    private static final String FIFO_SUFFIX = ".fifo";
    /** The characters SQS allows in a queue name, which is at most 80 long ({@code .fifo} included). */
    private static final Pattern QUEUE_NAME = Pattern.compile("[A-Za-z0-9_-]{1,80}");

    /**
     * The queue side of the pipeline's settings.
     *
     * @param fifo a FIFO request queue with a FIFO dead-letter queue, both with content-based deduplication
     * @param maxReceiveCount receives after which SQS moves a message to the dead-letter queue (1-1000)
     * @param visibilityTimeoutSeconds how long a received message stays invisible (0-43200)
     */
    public record QueueSettings(boolean fifo, int maxReceiveCount, int visibilityTimeoutSeconds) {

        public QueueSettings {
            if (maxReceiveCount < 1 || maxReceiveCount > 1000) {
                throw new IllegalArgumentException("maxReceiveCount must be 1-1000, was " + maxReceiveCount);
            }
            if (visibilityTimeoutSeconds < 0 || visibilityTimeoutSeconds > 43_200) {
                throw new IllegalArgumentException(
                        "visibilityTimeoutSeconds must be 0-43200, was " + visibilityTimeoutSeconds);
            }
        }
    }

    /** One queue: its name, its URL for SDK calls and its ARN for events and redrive policies. */
    public record Queue(String name, String url, String arn) {
    }

    /** A request queue, the dead-letter queue its redrive policy names, and the settings they were made with. */
    public record QueuePair(Queue requests, Queue deadLetters, QueueSettings settings) {
    }

    /**
     * What {@code GetQueueAttributes} reports.
     *
     * @param visible messages that a receive would return now
     * @param inFlight messages received and neither deleted nor visible again yet
     */
    public record QueueCounts(int visible, int inFlight, int delayed) {

        public int total() {
            return visible + inFlight + delayed;
        }
    }

    private final SQSRestServer server;
    private final URI endpoint;
    private final SqsClient client;

    private LocalQueues(SQSRestServer server, URI endpoint) {
        this.server = server;
        this.endpoint = endpoint;
        this.client = SqsClient.builder()
                .endpointOverride(endpoint)
                .region(Region.of(REGION))
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("dummy", "dummy")))
                .httpClientBuilder(UrlConnectionHttpClient.builder())
                .build();
    }

    /** Starts ElasticMQ on a free port, for tests. Takes a few seconds. */
    public static LocalQueues start() {
        return start(builder().withDynamicPort());
    }

    /** Starts ElasticMQ on {@code port}, for a local run that other tools (the AWS CLI) point at. */
    public static LocalQueues start(int port) {
        return start(builder().withPort(port));
    }

    private static TheSQSRestServerBuilder builder() {
        return SQSRestServerBuilder.withInterface("127.0.0.1").withAWSRegion(REGION).withAWSAccountId(ACCOUNT_ID);
    }

    private static LocalQueues start(TheSQSRestServerBuilder builder) {
        SQSRestServer server = builder.start();
        int port;
        try {
            port = server.waitUntilStarted().localAddress().getPort();
        } catch (RuntimeException notStarted) {
            server.stopAndWait();
            throw notStarted;
        }
        return new LocalQueues(server, URI.create("http://127.0.0.1:" + port));
    }

    /** Where ElasticMQ listens, e.g. for {@code AWS_ENDPOINT_URL_SQS} or {@code aws --endpoint-url}. */
    public URI endpoint() {
        return endpoint;
    }

    /** A client shared by everyone using these queues; closed with them, so do not close it yourself. */
    public SqsClient sqsClient() {
        return client;
    }

    /** Creates {@code access-requests} and {@code access-requests-dlq} ({@code .fifo} when FIFO). */
    public QueuePair createRequestQueues(QueueSettings settings) {
        return createQueues(REQUEST_QUEUE_NAME, settings);
    }

    /**
     * Creates {@code baseName} and {@code baseName-dlq} (each with {@code .fifo} when FIFO), so that tests sharing
     * one server get queues of their own. Creating the same pair twice with the same settings is harmless.
     */
    public QueuePair createQueues(String baseName, QueueSettings settings) {
        Objects.requireNonNull(settings, "settings");
        String suffix = settings.fifo() ? FIFO_SUFFIX : "";
        if (!QUEUE_NAME.matcher(baseName).matches() || (baseName + DEAD_LETTER_SUFFIX + suffix).length() > 80) {
            throw new IllegalArgumentException("not a valid base for SQS queue names (letters, digits, - and _; "
                    + "at most 80 characters with " + DEAD_LETTER_SUFFIX + suffix + "): " + baseName);
        }
        Queue deadLetters = createQueue(baseName + DEAD_LETTER_SUFFIX + suffix, settings.fifo(), Map.of());
        // A FIFO source needs a FIFO dead-letter queue; SQS refuses a mixed pair.
        String redrivePolicy = "{\"deadLetterTargetArn\":\"" + deadLetters.arn() + "\",\"maxReceiveCount\":\""
                + settings.maxReceiveCount() + "\"}";
        Queue requests = createQueue(baseName + suffix, settings.fifo(), Map.of(
                QueueAttributeName.VISIBILITY_TIMEOUT, Integer.toString(settings.visibilityTimeoutSeconds()),
                QueueAttributeName.REDRIVE_POLICY, redrivePolicy));
        return new QueuePair(requests, deadLetters, settings);
    }

    private Queue createQueue(String name, boolean fifo, Map<QueueAttributeName, String> extraAttributes) {
        Map<QueueAttributeName, String> attributes = new HashMap<>(extraAttributes);
        if (fifo) {
            attributes.put(QueueAttributeName.FIFO_QUEUE, "true");
            attributes.put(QueueAttributeName.CONTENT_BASED_DEDUPLICATION, "true");
        }
        String url = client.createQueue(request -> request.queueName(name).attributes(attributes)).queueUrl();
        String arn = client.getQueueAttributes(request -> request.queueUrl(url)
                        .attributeNames(QueueAttributeName.QUEUE_ARN))
                .attributes().get(QueueAttributeName.QUEUE_ARN);
        return new Queue(name, url, arn);
    }

    /** How many messages {@code queue} holds, by state. */
    public QueueCounts counts(Queue queue) {
        Map<QueueAttributeName, String> attributes = client.getQueueAttributes(request -> request
                .queueUrl(queue.url())
                .attributeNames(List.of(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES,
                        QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE,
                        QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_DELAYED)))
                .attributes();
        return new QueueCounts(
                Integer.parseInt(attributes.get(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES)),
                Integer.parseInt(attributes.get(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE)),
                Integer.parseInt(attributes.get(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_DELAYED)));
    }

    /** Closes the client and stops the server; every queue and message is gone. */
    @Override
    public void close() {
        try {
            client.close();
        } finally {
            server.stopAndWait();
        }
    }
}
