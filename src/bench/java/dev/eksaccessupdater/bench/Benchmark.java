package dev.eksaccessupdater.bench;

import dev.eksaccessupdater.standin.EksStandIn;
import dev.eksaccessupdater.standin.EventBridgeStandIn;
import dev.eksaccessupdater.testing.Dynalite;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The performance benchmark of issue 5 ({@code mvn -Pbench verify} or {@code ./bench.sh}). It starts dynalite
 * behind a {@link DelayingProxy} and the EKS and EventBridge stand-ins, all on 127.0.0.1, runs the function in
 * child JVMs with the flags of the Lambda java21 runtime, and prints and writes each figure next to its floor.
 * Arguments: the project directory, the build directory, the file holding the runtime classpath.
 */
public final class Benchmark {

    /** What the Lambda java17/java21 runtimes start the JVM with (Lambda docs, java-customization). */
    static final List<String> LAMBDA_FLAGS =
            List.of("-XX:+TieredCompilation", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC");
    static final Duration INJECTED = Duration.ofMillis(20);
    static final String TABLE = "bench-idempotency";
    static final String BUS = "bench-bus";
    static final int COLD_RUNS = 12;
    static final int PRIMING_RUNS = 3;

    private final Path buildDirectory;
    private final String childClasspath;
    private final List<Path> runtimeJars;
    private final Report report = new Report();
    private Map<String, String> environment;
    private long warmCalls;

    private Benchmark(Path buildDirectory, String childClasspath, List<Path> runtimeJars) {
        this.buildDirectory = buildDirectory;
        this.childClasspath = childClasspath;
        this.runtimeJars = runtimeJars;
    }

    public static void main(String[] args) throws Exception {
        Path project = Path.of(args[0]).toAbsolutePath();
        Path build = Path.of(args[1]).toAbsolutePath();
        List<Path> runtimeJars = Arrays.stream(Files.readString(Path.of(args[2])).strip().split(File.pathSeparator))
                .filter(entry -> !entry.isBlank()).map(Path::of).toList();
        String serialization = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(entry -> entry.contains("aws-lambda-java-serialization")).findFirst()
                .orElseThrow(() -> new IllegalStateException("aws-lambda-java-serialization is not on the classpath"));
        // As in Lambda: the runtime's own classes (here the runner and the runtime's serialisation library), then
        // the function's classes, then its lib/ jars.
        List<String> classpath = new ArrayList<>(List.of(build.resolve("test-classes").toString(), serialization,
                build.resolve("classes").toString()));
        runtimeJars.forEach(jar -> classpath.add(jar.toString()));
        Set<String> sections = args.length > 3 ? Set.of(args[3].split(",")) : Set.of("artefact", "warm", "priming",
                "cold");
        Benchmark benchmark = new Benchmark(build, String.join(File.pathSeparator, classpath), runtimeJars);
        benchmark.run(project, sections);
    }

    private void run(Path project, Set<String> sections) throws Exception {
        long started = System.nanoTime();
        String loadBefore = loadAverage();
        if (sections.contains("artefact")) {
            artefact();
        }
        try (Dynalite dynalite = Dynalite.start(project);
             DelayingProxy dynamoDb = DelayingProxy.start(dynalite.endpoint());
             EksStandIn eks = new EksStandIn().start();
             EventBridgeStandIn eventBridge = new EventBridgeStandIn().start()) {
            dynalite.createIdempotencyTable(TABLE);
            for (int index = 0; index < Messages.PRINCIPALS; index++) {
                eks.putEntry(Messages.CLUSTER, Messages.principal(index));
            }
            environment = new HashMap<>(Map.of(
                    "AWS_REGION", "us-east-1",
                    "AWS_ACCESS_KEY_ID", "bench",
                    "AWS_SECRET_ACCESS_KEY", "bench-secret",
                    "AWS_ENDPOINT_URL_DYNAMODB", dynamoDb.endpoint().toString(),
                    "AWS_ENDPOINT_URL_EKS", eks.endpoint().toString(),
                    "AWS_ENDPOINT_URL_EVENTBRIDGE", eventBridge.endpoint().toString(),
                    "IDEMPOTENCY_TABLE_NAME", TABLE,
                    "EVENT_BUS_NAME", BUS,
                    "ALLOWED_CLUSTER_NAMES", Messages.CLUSTER));
            Stand stand = new Stand(dynamoDb, eks, eventBridge);

            stand.delay(INJECTED);
            if (sections.contains("warm")) {
                warmBatches(stand);
            }
            if (sections.contains("priming")) {
                priming(stand, INJECTED);
                stand.delay(Duration.ZERO);
                priming(stand, Duration.ZERO);
            }
            stand.delay(Duration.ZERO);
            if (sections.contains("cold")) {
                coldStart(stand);
            }
        }
        report.note(String.format(Locale.ROOT, "Benchmark wall time: %.0f s. Load average (1, 5, 15 min) at the"
                + " start: %s; at the end: %s.", (System.nanoTime() - started) / 1e9, loadBefore, loadAverage()));
        Path results = buildDirectory.resolve("bench/results.md");
        report.write(results);
        System.out.println();
        System.out.println(report.markdown());
        System.out.println("Written to " + buildDirectory.getFileName() + "/bench/results.md");
    }

    /** The three loopback services, with the same injected latency on each. */
    private record Stand(DelayingProxy dynamoDb, EksStandIn eks, EventBridgeStandIn eventBridge) {

        void delay(Duration delay) {
            dynamoDb.delay(delay);
            eks.delay(delay);
            eventBridge.delay(delay);
        }

        long calls() {
            return dynamoDb.requests() + eks.requests().size() + eventBridge.calls().size();
        }

        void forget() {
            eks.clearRequests();
            eventBridge.clear();
        }
    }

    // Warm batches.

    private void warmBatches(Stand stand) throws Exception {
        int defaultConcurrency = 8;
        long messages = 0;
        messages += warm(stand, defaultConcurrency, "standard:1:5:30", "standard:10:5:30", "standard:100:3:30",
                "fifo5:10:5:30");
        messages += warm(stand, 10, "standard:10:5:30");
        messages += warm(stand, 100, "standard:100:3:30");
        // One at a time, a batch of 100 takes over ten seconds: three of them, after the smaller batches warmed up.
        messages += warm(stand, 1, "standard:1:5:30", "standard:10:3:30", "standard:100:0:3");
        report.note("Warm batches, SDK only: the same five calls per message by bare SDK clients (same HTTP client"
                + " and settings) from a pool of MAX_CONCURRENCY threads, with none of the function's work: what"
                + " the SDK, the loopback stand-ins and this machine cost above the floor.");
        double callsPerMessage = (double) warmCalls / messages;
        report.note(String.format(Locale.ROOT, "Warm batches: %d messages, %.2f AWS calls per message counted at the"
                + " stand-ins (the floors assume %d).", messages, callsPerMessage, Messages.CALLS_PER_MESSAGE));
    }

    /** Runs one child with {@code MAX_CONCURRENCY=concurrency}; returns how many messages it sent. */
    private long warm(Stand stand, int concurrency, String... specs) throws Exception {
        Map<String, String> settings = new HashMap<>(environment);
        settings.put("MAX_CONCURRENCY", Integer.toString(concurrency));
        long callsBefore = stand.calls();
        List<String> lines = runChild(List.of(), WarmRunner.class, List.of(specs), settings);
        warmCalls += stand.calls() - callsBefore;
        List<String> standardSpecs = new ArrayList<>();
        for (String spec : specs) {
            if (spec.startsWith("standard:")) {
                // The reference needs fewer runs: fifteen, or two of the slowest.
                String[] parts = spec.split(":");
                standardSpecs.add("standard:" + parts[1] + ":" + parts[2] + ":"
                        + (parts[1].equals("100") && concurrency == 1 ? 2 : 15));
            }
        }
        Map<Integer, Double> bare = new HashMap<>();
        for (String line : runChild(List.of(), BareRunner.class, standardSpecs, settings)) {
            String[] fields = line.split(" ");
            if (fields[1].equals("result")) {
                bare.put(Integer.parseInt(fields[3]), Double.parseDouble(fields[4]));
            }
        }
        long messages = 0;
        for (String spec : specs) {
            String[] parts = spec.split(":");
            messages += (long) Integer.parseInt(parts[1]) * (Integer.parseInt(parts[2]) + Integer.parseInt(parts[3]));
        }
        for (String line : lines) {
            String[] fields = line.split(" ");
            if (!fields[1].equals("result")) {
                continue;
            }
            String kind = fields[2];
            int size = Integer.parseInt(fields[3]);
            double median = Double.parseDouble(fields[4]);
            double p90 = Double.parseDouble(fields[5]);
            int count = Integer.parseInt(fields[7]);
            boolean fifo = kind.equals("fifo5");
            int lanes = fifo ? 5 : size;
            int rounds = fifo ? 2 : (int) Math.ceil((double) lanes / concurrency);
            double floor = rounds * Messages.CALLS_PER_MESSAGE * INJECTED.toMillis();
            Double target = fifo ? Double.valueOf(1.3) : size == 10 && concurrency > 1 ? Double.valueOf(1.25)
                    : size == 100 && concurrency > 1 ? Double.valueOf(1.35) : null;
            String name = fifo ? String.format(Locale.ROOT, "FIFO batch of %d in 5 groups, MAX_CONCURRENCY=%d",
                    size, concurrency)
                    : String.format(Locale.ROOT, "standard batch of %d, MAX_CONCURRENCY=%d%s", size, concurrency,
                    concurrency == 1 ? " (one at a time)" : "");
            report.row("Warm batch (median of " + count + ", p90 " + Report.millis(p90) + ")", name, floor,
                    fifo ? null : bare.get(size), median, target);
        }
        stand.forget();
        return messages;
    }

    // SnapStart priming.

    private void priming(Stand stand, Duration delay) throws Exception {
        List<String> simulateCheckpoint = List.of("-Dorg.crac.Core.Compat=dev.eksaccessupdater.bench.crac");
        Samples[] primed = {new Samples(), new Samples(), new Samples()};
        Samples[] unprimed = {new Samples(), new Samples(), new Samples()};
        for (int run = 0; run < PRIMING_RUNS; run++) {
            add(primed, primingFigures(runChild(simulateCheckpoint, PrimingRunner.class, List.of("prime"),
                    environment)));
            add(unprimed, primingFigures(runChild(List.of(), PrimingRunner.class, List.of("noprime"),
                    environment)));
        }
        String section = "SnapStart (first invocation vs warm, medians of " + PRIMING_RUNS + " JVMs, "
                + delay.toMillis() + " ms per call)";
        report.row(section, "first invocation after the checkpoint hook", primed[1].median(), null,
                primed[0].median(), 1.5);
        report.row(section, "first invocation straight after init, no checkpoint (reference)",
                unprimed[1].median(), null, unprimed[0].median(), null);
        report.note(String.format(Locale.ROOT, "SnapStart, %d ms per call: the second invocation takes %.0f ms after"
                + " the checkpoint hook, %.0f ms without.", delay.toMillis(), primed[2].median(),
                unprimed[2].median()));
        stand.forget();
    }

    private static void add(Samples[] samples, double[] figures) {
        for (int index = 0; index < samples.length; index++) {
            samples[index].addMillis(figures[index]);
        }
    }

    private static double[] primingFigures(List<String> lines) {
        for (String line : lines) {
            String[] fields = line.split(" ");
            if (fields[1].equals("priming")) {
                return new double[] {Double.parseDouble(fields[2]), Double.parseDouble(fields[3]),
                        Double.parseDouble(fields[4])};
            }
        }
        throw new IllegalStateException("no priming figures in " + lines);
    }

    // Cold start.

    private void coldStart(Stand stand) throws Exception {
        Path events = buildDirectory.resolve("bench/events");
        Files.createDirectories(events);
        Samples function = new Samples();
        Samples empty = new Samples();
        Map<String, Samples> phases = new java.util.LinkedHashMap<>();
        for (int run = -1; run < COLD_RUNS; run++) {
            // The first pair warms the OS file cache and is not counted; then the two alternate.
            Path event = events.resolve("cold-" + (run + 1) + ".json");
            Files.writeString(event, Messages.sqsEventJson(run + 1));
            long emptyNanos = coldRun(EmptyHandler.class.getName(), event, new HashMap<>());
            long functionNanos = coldRun("dev.eksaccessupdater.AccessChangeFunction", event,
                    run >= 0 ? phases : new HashMap<>());
            if (run >= 0) {
                empty.add(emptyNanos);
                function.add(functionNanos);
            }
        }
        report.row("Cold start (process start to serialised response, median of " + COLD_RUNS + ")",
                "one-message SQS event, stand-ins answering at once", empty.median(), null, function.median(), 2.0);
        StringBuilder medians = new StringBuilder();
        phases.forEach((phase, samples) -> medians.append(String.format(Locale.ROOT, ", %s %.0f ms", phase,
                samples.median())));
        report.note(String.format(Locale.ROOT, "Cold start p90: function %.0f ms, empty handler %.0f ms. Function"
                + " phases (medians, from main() on)%s.", function.percentile(90), empty.percentile(90), medians));
        stand.forget();
    }

    private long coldRun(String handler, Path event, Map<String, Samples> phases) throws Exception {
        ProcessBuilder builder = childProcess(List.of(), ColdRunner.class, List.of(handler, event.toString()),
                environment);
        long start = System.nanoTime();
        Process process = builder.start();
        Deque<String> tail = new ArrayDeque<>();
        try (BufferedReader output = new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line = output.readLine(); line != null; line = output.readLine()) {
                if (line.startsWith("BENCH done ")) {
                    long elapsed = System.nanoTime() - start;
                    if (!line.contains("\"batchItemFailures\":[]")) {
                        throw new IllegalStateException(handler + " answered " + line);
                    }
                    String phaseLine = output.readLine();
                    if (phaseLine != null && phaseLine.startsWith("BENCH phases ")) {
                        for (String phase : phaseLine.substring("BENCH phases ".length()).split(" ")) {
                            String[] nameAndMillis = phase.split("=");
                            phases.computeIfAbsent(nameAndMillis[0], ignored -> new Samples())
                                    .addMillis(Double.parseDouble(nameAndMillis[1]));
                        }
                    }
                    process.waitFor(30, TimeUnit.SECONDS);
                    return elapsed;
                }
                remember(tail, line);
            }
        } finally {
            process.destroyForcibly();
        }
        throw new IllegalStateException("the cold start of " + handler + " printed no response:\n"
                + String.join("\n", tail));
    }

    // Artefact.

    private void artefact() throws IOException {
        Artefact.Report artefact = Artefact.build(buildDirectory.resolve("classes"), runtimeJars,
                buildDirectory.resolve("bench/function.zip"));
        double mebibytes = artefact.zipBytes() / (1024.0 * 1024.0);
        report.size(mebibytes, artefact.jars().size());
        if (!artefact.forbiddenFound().isEmpty()) {
            throw new IllegalStateException("the deployment package holds unused or test-only libraries: "
                    + artefact.forbiddenFound());
        }
        report.note("Deployment package: no unused HTTP client (apache, apache5, netty, crt) and no test-only library"
                + " among its " + artefact.jars().size() + " jars.");
    }

    // Child JVMs.

    private List<String> runChild(List<String> jvmOptions, Class<?> main, List<String> args,
                                  Map<String, String> settings) throws Exception {
        Process process = childProcess(jvmOptions, main, args, settings).start();
        List<String> results = new ArrayList<>();
        Deque<String> tail = new ArrayDeque<>();
        try (BufferedReader output = new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line = output.readLine(); line != null; line = output.readLine()) {
                if (line.startsWith("BENCH ")) {
                    System.out.println("  " + main.getSimpleName() + " " + settings.getOrDefault("MAX_CONCURRENCY",
                            "default") + ": " + line);
                    results.add(line);
                }
                remember(tail, line);
            }
        }
        if (!process.waitFor(10, TimeUnit.MINUTES) || process.exitValue() != 0
                || results.stream().anyMatch(line -> line.startsWith("BENCH failed"))) {
            process.destroyForcibly();
            throw new IllegalStateException(main.getSimpleName() + " " + args + " failed:\n" + String.join("\n", tail));
        }
        return results;
    }

    private ProcessBuilder childProcess(List<String> jvmOptions, Class<?> main, List<String> args,
                                        Map<String, String> settings) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(LAMBDA_FLAGS);
        command.addAll(jvmOptions);
        command.add("-cp");
        command.add(childClasspath);
        command.add(main.getName());
        command.addAll(args);
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        Map<String, String> childEnvironment = builder.environment();
        childEnvironment.keySet().removeIf(name -> name.startsWith("AWS_") || name.endsWith("JAVA_OPTIONS")
                || name.equals("JAVA_TOOL_OPTIONS") || name.equals("JDK_JAVA_OPTIONS"));
        childEnvironment.putAll(settings);
        return builder;
    }

    /** Other work on the machine shows here; unknown off Linux. */
    private static String loadAverage() {
        try {
            String[] fields = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return fields[0] + ", " + fields[1] + ", " + fields[2];
        } catch (IOException | RuntimeException unknown) {
            return "unknown";
        }
    }

    private static void remember(Deque<String> tail, String line) {
        tail.addLast(line);
        if (tail.size() > 40) {
            tail.removeFirst();
        }
    }
}
