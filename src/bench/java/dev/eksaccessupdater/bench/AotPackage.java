package dev.eksaccessupdater.bench;

import com.fasterxml.jackson.jr.ob.JSON;
import dev.eksaccessupdater.standin.EksStandIn;
import dev.eksaccessupdater.standin.EventBridgeStandIn;
import dev.eksaccessupdater.testing.Dynalite;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * {@code mvn -Paot package}: the deployment package with an AOT cache (docs/performance.md). It lays the
 * package out as Lambda extracts it to {@code /var/task} (every class in a jar under {@code lib/}, the function's own
 * in {@value Layout#FUNCTION_JAR}), then makes a training run on the Java 25 JDK named by {@code -Djava25.home} or
 * {@code JAVA25_HOME}: a JVM started as the Lambda runtime starts one ({@link ColdRunner}, {@link Jvm#LAMBDA_FLAGS},
 * {@code -XX:AOTCacheOutput}) runs the real handler on the SQS events of {@code events/} against the local stack's
 * stand-ins (dynalite, the EKS stand-in seeded from {@code local/seed.json}, the EventBridge stand-in), with the
 * settings of {@code events/env.json}. The cache goes to {@value #CACHE} inside the package, where the template's
 * {@code AotCache=on} points {@code -XX:AOTCache}; a check run with {@code -XX:AOTMode=on} proves the JVM maps it.
 * Arguments: the project directory, the build directory, the file holding the runtime classpath.
 */
public final class AotPackage {

    /** The cache's path inside the package; the template's AotCache condition names /var/task/ + this. */
    static final String CACHE = "aot/eks-access-updater.aot";
    static final String ZIP = "eks-access-updater-aot.zip";
    static final List<String> TRAINING_EVENTS = List.of("events/sqs-standard-batch.json",
            "events/sqs-invalid-batch.json");
    private static final String HANDLER = "dev.eksaccessupdater.AccessChangeFunction";

    private AotPackage() {
    }

    public static void main(String[] args) throws Exception {
        Jvm jvm;
        try {
            jvm = Jvm.java25();
        } catch (IllegalArgumentException notJdk) {
            fail(notJdk.getMessage());
            return;
        }
        if (jvm == null) {
            fail("the aot profile trains the AOT cache on a Java 25 JDK: name one with -D" + Jvm.JAVA25_PROPERTY
                    + "=<JDK home> or the " + Jvm.JAVA25_VARIABLE + " environment variable. For Lambda's java25"
                    + " runtime it must be that runtime's exact JVM build (docs/performance.md).");
            return;
        }
        if (!jvm.hasAotCache()) {
            fail(jvm.home() + " is " + jvm.label() + ": the aot profile needs Java 25 or later (-XX:AOTCacheOutput,"
                    + " JEP 514).");
            return;
        }
        Path project = Path.of(args[0]).toAbsolutePath();
        Path build = Path.of(args[1]).toAbsolutePath();
        List<Path> functionJars = Arrays.stream(Files.readString(Path.of(args[2])).strip().split(File.pathSeparator))
                .filter(entry -> !entry.isBlank()).map(Path::of).toList();

        Path directory = build.resolve("aot");
        Layout.delete(directory);
        String runtimeClasspath = Layout.runtime(directory.resolve("runtime"), build.resolve("test-classes"),
                System.getProperty("java.class.path"));
        Path task = directory.resolve("package");
        Layout.jarPackage(task, build.resolve("classes"), functionJars);
        Path cache = task.resolve(CACHE);
        Files.createDirectories(cache.getParent());

        try (Dynalite dynalite = Dynalite.start(project);
             EksStandIn eks = EksStandIn.fromJson(Files.readString(project.resolve("local/seed.json"))).start();
             EventBridgeStandIn eventBridge = new EventBridgeStandIn().start()) {
            Map<String, String> environment = new HashMap<>();
            environment.putAll(functionSettings(project));
            environment.putAll(Map.of(
                    "AWS_REGION", "us-east-1",
                    "AWS_ACCESS_KEY_ID", "training",
                    "AWS_SECRET_ACCESS_KEY", "training-secret",
                    "AWS_ENDPOINT_URL_DYNAMODB", dynalite.endpoint().toString(),
                    "AWS_ENDPOINT_URL_EKS", eks.endpoint().toString(),
                    "AWS_ENDPOINT_URL_EVENTBRIDGE", eventBridge.endpoint().toString(),
                    "IDEMPOTENCY_TABLE_NAME", dynalite.createIdempotencyTable("aot-training")));
            List<String> events = TRAINING_EVENTS.stream().map(event -> project.resolve(event).toString()).toList();

            List<String> training = new ArrayList<>(Jvm.LAMBDA_FLAGS);
            training.add("-XX:AOTCacheOutput=" + cache);
            long started = System.nanoTime();
            List<String> output = run(jvm, training, runtimeClasspath, task, events, environment);
            if (!Files.isRegularFile(cache)) {
                fail("the training run wrote no cache:\n" + String.join("\n", output));
                return;
            }
            output.stream().filter(line -> line.startsWith("BENCH done") || line.startsWith("BENCH also"))
                    .forEach(line -> System.out.println("  training invocation answered "
                            + line.substring("BENCH done ".length())));
            System.out.println(String.format(Locale.ROOT, "Trained in %.1f s on %s.", (System.nanoTime() - started)
                    / 1e9, jvm.label()));

            List<String> check = new ArrayList<>(Jvm.LAMBDA_FLAGS);
            check.addAll(List.of("-XX:AOTCache=" + cache, "-XX:AOTMode=on"));
            run(jvm, check, runtimeClasspath, task, events.subList(0, 1), environment);
        }

        Path zip = directory.resolve(ZIP);
        zip(task, zip);
        System.out.println(String.format(Locale.ROOT, "AOT package: %s%n  %s, laid out as Lambda extracts it to"
                        + " /var/task%n  cache %s: %.1f MiB (%.1f MiB deflated in the zip)%n  zip: %.2f MiB;"
                        + " without the cache %.2f MiB%n  Deploy it with the template parameter AotCache=on. The"
                        + " cache is used only by exactly this JVM build (%s) with this runtime class path;"
                        + " any other JVM ignores it and logs [error][aot] lines: see docs/performance.md.",
                zip, task, CACHE, mebibytes(Files.size(cache)), mebibytes(deflatedSize(zip, CACHE)),
                mebibytes(Files.size(zip)), mebibytes(Files.size(zip) - deflatedSize(zip, CACHE)), jvm.label()));
    }

    /** The function's settings as {@code sam local invoke --env-vars events/env.json} gives them. */
    private static Map<String, String> functionSettings(Path project) throws IOException {
        Map<String, Object> file = JSON.std.mapFrom(Files.readString(project.resolve("events/env.json")));
        Map<String, String> settings = new HashMap<>();
        Object function = file.get("AccessChangeFunction");
        if (function instanceof Map<?, ?> values) {
            values.forEach((name, value) -> settings.put(String.valueOf(name), String.valueOf(value)));
        }
        return settings;
    }

    private static List<String> run(Jvm jvm, List<String> options, String classpath, Path task, List<String> events,
                                    Map<String, String> environment) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(jvm.java().toString());
        command.addAll(options);
        command.addAll(List.of("-cp", classpath, ColdRunner.class.getName(), HANDLER, task.toString()));
        command.addAll(events);
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().keySet().removeIf(name -> name.startsWith("AWS_") || name.endsWith("JAVA_OPTIONS")
                || name.equals("JAVA_TOOL_OPTIONS") || name.equals("JDK_JAVA_OPTIONS"));
        builder.environment().putAll(environment);
        Process process = builder.start();
        List<String> output = new ArrayList<>();
        try (BufferedReader reader = new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                output.add(line);
            }
        }
        if (!process.waitFor(5, TimeUnit.MINUTES) || process.exitValue() != 0) {
            process.destroyForcibly();
            fail(String.join(" ", options) + " failed:\n" + String.join("\n", output));
        }
        return output;
    }

    /** The package as one zip, entries relative to the task root, as Lambda extracts it. */
    private static void zip(Path task, Path zip) throws IOException {
        try (ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(zip));
             Stream<Path> files = Files.walk(task)) {
            for (Path file : files.filter(Files::isRegularFile).sorted().toList()) {
                out.putNextEntry(new ZipEntry(task.relativize(file).toString().replace(File.separatorChar, '/')));
                Files.copy(file, (OutputStream) out);
                out.closeEntry();
            }
        }
    }

    private static long deflatedSize(Path zip, String entry) throws IOException {
        try (java.util.zip.ZipFile file = new java.util.zip.ZipFile(zip.toFile())) {
            return file.getEntry(entry).getCompressedSize();
        }
    }

    private static double mebibytes(long bytes) {
        return bytes / (1024.0 * 1024.0);
    }

    private static void fail(String message) {
        System.err.println("ERROR: " + message);
        System.exit(2);
    }
}
