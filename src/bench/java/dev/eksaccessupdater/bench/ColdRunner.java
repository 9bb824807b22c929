package dev.eksaccessupdater.bench;

import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.serialization.PojoSerializer;
import com.amazonaws.services.lambda.runtime.serialization.events.LambdaEventSerializers;
import com.amazonaws.services.lambda.runtime.serialization.factories.JacksonFactory;
import dev.eksaccessupdater.testing.TestContext;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Child JVM, one cold start: what the Lambda Java runtime does for the first event. The JVM's class path holds only
 * what the runtime's does (this runner, {@code aws-lambda-java-core}, {@code aws-lambda-java-serialization}); the
 * deployment package is loaded as the runtime interface client loads it, by a {@link URLClassLoader} over the task
 * root and then its {@code lib/*.jar} in lexical order, with the system class loader as parent
 * (aws-lambda-java-libs, {@code CustomerClassLoader}:
 * https://github.com/aws/aws-lambda-java-libs/blob/main/aws-lambda-java-runtime-interface-client/src/main/java/com/amazonaws/services/lambda/runtime/api/client/CustomerClassLoader.java).
 * It constructs the handler class named by the first argument from the task root named by the second, binds the SQS
 * event JSON of the file named by the third through the runtime's serialisation library, invokes, serialises the
 * response, and prints {@code BENCH done <response>}; the parent times the process from its start to that line.
 * Further event files are invoked after that, one after the other (a training run's workload), and their responses
 * printed as {@code BENCH also <response>}. The JVM then exits, so that a training run ({@code -XX:AOTCacheOutput})
 * writes its cache.
 */
public final class ColdRunner {

    private static final String EVENTS = "com.amazonaws.services.lambda.runtime.events.";

    private ColdRunner() {
    }

    @SuppressWarnings("unchecked")
    public static void main(String[] args) throws Exception {
        long start = System.nanoTime();
        ClassLoader loader = customerClassLoader(Path.of(args[1]));
        Thread.currentThread().setContextClassLoader(loader);
        Class<?> handlerClass = Class.forName(args[0], true, loader);
        RequestHandler<Object, Object> handler =
                (RequestHandler<Object, Object>) handlerClass.getConstructor().newInstance();
        long constructed = System.nanoTime();
        PojoSerializer<Object> input = serializer(loader.loadClass(EVENTS + "SQSEvent"), loader);
        PojoSerializer<Object> output = serializer(loader.loadClass(EVENTS + "SQSBatchResponse"), loader);
        Object event = read(input, args[2]);
        long bound = System.nanoTime();
        Object response = handler.handleRequest(event, TestContext.remaining(Duration.ofMinutes(15)));
        long invoked = System.nanoTime();
        String answer = write(output, response);
        long serialised = System.nanoTime();
        System.out.println("BENCH done " + answer);
        System.out.flush();
        // After the response: the parent has stopped its clock.
        System.out.println("BENCH phases init=" + millis(constructed - start) + " bind=" + millis(bound - constructed)
                + " invoke=" + millis(invoked - bound) + " serialise=" + millis(serialised - invoked));
        for (int index = 3; index < args.length; index++) {
            System.out.println("BENCH also " + write(output, handler.handleRequest(read(input, args[index]),
                    TestContext.remaining(Duration.ofMinutes(15)))));
        }
        System.out.flush();
        System.exit(0);
    }

    private static Object read(PojoSerializer<Object> input, String file) throws IOException {
        try (InputStream json = Files.newInputStream(Path.of(file))) {
            return input.fromJson(json);
        }
    }

    private static String write(PojoSerializer<Object> output, Object response) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        output.toJson(response, bytes);
        return bytes.toString(StandardCharsets.UTF_8);
    }

    /** The task root first, then its {@code lib/*.jar} sorted by name, as the runtime builds its loader. */
    static URLClassLoader customerClassLoader(Path taskRoot) {
        List<URL> urls = new ArrayList<>();
        urls.add(url(taskRoot.toFile(), ""));
        File lib = taskRoot.resolve("lib").toFile();
        String[] names = lib.list();
        if (names != null) {
            Arrays.sort(names);
            for (String name : names) {
                if (name.endsWith(".jar")) {
                    urls.add(url(lib, name));
                }
            }
        }
        return new URLClassLoader(urls.toArray(URL[]::new), ClassLoader.getSystemClassLoader());
    }

    private static URL url(File parent, String name) {
        try {
            return new URL("file", null, -1, parent.getPath() + "/" + name);
        } catch (MalformedURLException impossible) {
            throw new UncheckedIOException(impossible);
        }
    }

    private static String millis(long nanos) {
        return Long.toString(nanos / 1_000_000);
    }

    /** As the runtime chooses: the events serialisers for event types it knows, plain Jackson for the rest. */
    @SuppressWarnings("unchecked")
    private static PojoSerializer<Object> serializer(Class<?> type, ClassLoader loader) {
        return LambdaEventSerializers.isLambdaSupportedEvent(type.getName())
                ? (PojoSerializer<Object>) LambdaEventSerializers.serializerFor(type, loader)
                : (PojoSerializer<Object>) JacksonFactory.getInstance().getSerializer(type);
    }
}
