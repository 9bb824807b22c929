package dev.eksaccessupdater.bench;

import dev.eksaccessupdater.testing.TestContext;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import com.amazonaws.services.lambda.runtime.serialization.PojoSerializer;
import com.amazonaws.services.lambda.runtime.serialization.events.LambdaEventSerializers;
import com.amazonaws.services.lambda.runtime.serialization.factories.JacksonFactory;
import java.time.Duration;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Child JVM, one cold start: what the Lambda Java runtime does for the first event. It loads and constructs the
 * handler class named by the first argument, binds the SQS event JSON of the file named by the second through
 * {@code aws-lambda-java-serialization} (the runtime's own library), invokes, serialises the response, and prints
 * {@code BENCH done <response>}; the parent times the process from its start to that line.
 */
public final class ColdRunner {

    private ColdRunner() {
    }

    @SuppressWarnings("unchecked")
    public static void main(String[] args) throws Exception {
        long start = System.nanoTime();
        ClassLoader loader = ColdRunner.class.getClassLoader();
        Class<?> handlerClass = Class.forName(args[0], true, loader);
        RequestHandler<SQSEvent, SQSBatchResponse> handler =
                (RequestHandler<SQSEvent, SQSBatchResponse>) handlerClass.getConstructor().newInstance();
        long constructed = System.nanoTime();
        PojoSerializer<SQSEvent> input = LambdaEventSerializers.serializerFor(SQSEvent.class, loader);
        PojoSerializer<SQSBatchResponse> output = serializer(SQSBatchResponse.class, loader);
        SQSEvent event;
        try (InputStream json = Files.newInputStream(Path.of(args[1]))) {
            event = input.fromJson(json);
        }
        long bound = System.nanoTime();
        SQSBatchResponse response = handler.handleRequest(event, TestContext.remaining(Duration.ofMinutes(15)));
        long invoked = System.nanoTime();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        output.toJson(response, bytes);
        long serialised = System.nanoTime();
        System.out.println("BENCH done " + bytes.toString(StandardCharsets.UTF_8));
        System.out.flush();
        // After the response: the parent has stopped its clock.
        System.out.println("BENCH phases init=" + millis(constructed - start) + " bind=" + millis(bound - constructed)
                + " invoke=" + millis(invoked - bound) + " serialise=" + millis(serialised - invoked));
        System.out.flush();
    }

    private static String millis(long nanos) {
        return Long.toString(nanos / 1_000_000);
    }

    /** As the runtime chooses: the events serialisers for event types it knows, plain Jackson for the rest. */
    private static <T> PojoSerializer<T> serializer(Class<T> type, ClassLoader loader) {
        return LambdaEventSerializers.isLambdaSupportedEvent(type.getName())
                ? LambdaEventSerializers.serializerFor(type, loader)
                : JacksonFactory.getInstance().getSerializer(type);
    }
}
