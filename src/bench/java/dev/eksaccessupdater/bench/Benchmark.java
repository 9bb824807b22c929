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
 * The performance benchmark ({@code mvn -Pbench verify} or {@code ./bench.sh}). It starts dynalite behind a
 * {@link DelayingProxy} and the EKS and EventBridge stand-ins, all on 127.0.0.1, runs the function in child JVMs
 * with the flags of the Lambda Java runtimes ({@link Jvm#LAMBDA_FLAGS}), and prints and writes each figure next to
 * its floor. Cold starts and SnapStart also run on a Java 25 JDK when one is named ({@link Jvm#java25()}), cold
 * starts there also with an AOT cache. Arguments: the project directory, the build directory, the file holding the
 * runtime classpath, the sections to run.
 */
public final class Benchmark {

    static final Duration INJECTED = Duration.ofMillis(20);
    static final String TABLE = "bench-idempotency";
    static final String BUS = "bench-bus";
    static final int COLD_RUNS = 12;
    static final int PRIMING_RUNS = 3;

    private final Path buildDirectory;
    private final String childClasspath;
    private final List<Path> runtimeJars;
    private final List<Jvm> jvms;
    private final Report report = new Report();
    private Map<String, String> environment;
    private long warmCalls;

    private Benchmark(Path buildDirectory, String childClasspath, List<Path> runtimeJars, List<Jvm> jvms) {
        this.buildDirectory = buildDirectory;
        this.childClasspath = childClasspath;
        this.runtimeJars = runtimeJars;
        this.jvms = jvms;
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
        List<Jvm> jvms = new ArrayList<>(List.of(Jvm.current()));
        Jvm java25 = Jvm.java25();
        if (java25 == null) {
            System.out.println("NOTE: no Java 25 JDK given (-D" + Jvm.JAVA25_PROPERTY + "=<JDK home> or "
                    + Jvm.JAVA25_VARIABLE + "): cold starts and SnapStart run on " + Jvm.current().label()
                    + " only, and the AOT cache is not measured.");
        } else if (java25.feature() < 25) {
            System.out.println("NOTE: " + java25.home() + " is " + java25.label() + ", not Java 25 or later: it is"
                    + " left out.");
        } else if (java25.feature() != Jvm.current().feature()) {
            jvms.add(java25);
        }
        Benchmark benchmark = new Benchmark(build, String.join(File.pathSeparator, classpath), runtimeJars, jvms);
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
        report.note("Warm batches, SDK only: each message's AWS calls under version 2 of docs/contract.md ("
                + Messages.CALLS_PER_MESSAGE + " calls in " + Messages.ROUND_TRIPS_PER_MESSAGE + " round trips) by bare SDK clients (same HTTP"
                + " client and settings) from a pool of MAX_CONCURRENCY threads, with none of the function's work:"
                + " what the SDK, the loopback stand-ins and this machine cost above the floor.");
        double callsPerMessage = (double) warmCalls / messages;
        report.note(String.format(Locale.ROOT, "Warm batches: %d messages, %.2f AWS calls per message counted at the"
                + " stand-ins (version 2 of docs/contract.md makes %d, in the %d sequential round trips the floors"
                + " assume).",
                messages, callsPerMessage, Messages.CALLS_PER_MESSAGE, Messages.ROUND_TRIPS_PER_MESSAGE)
                + (callsPerMessage < Messages.CALLS_PER_MESSAGE ? " The function does not make them all yet, so its"
                + " ratios against these floors are lower than they will be." : ""));
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
            double floor = rounds * Messages.ROUND_TRIPS_PER_MESSAGE * INJECTED.toMillis();
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
        for (Jvm jvm : jvms) {
            priming(jvm, delay);
        }
        stand.forget();
    }

    /** Under SnapStart the java25 runtime keeps full tiered compilation ({@link Jvm#snapStartFlags()}). */
    private void priming(Jvm jvm, Duration delay) throws Exception {
        List<String> simulateCheckpoint = new ArrayList<>(jvm.snapStartFlags());
        simulateCheckpoint.add("-Dorg.crac.Core.Compat=dev.eksaccessupdater.bench.crac");
        Samples[] primed = {new Samples(), new Samples(), new Samples()};
        Samples[] unprimed = {new Samples(), new Samples(), new Samples()};
        for (int run = 0; run < PRIMING_RUNS; run++) {
            add(primed, primingFigures(runChild(jvm, simulateCheckpoint, PrimingRunner.class, List.of("prime"),
                    environment)));
            add(unprimed, primingFigures(runChild(jvm, jvm.snapStartFlags(), PrimingRunner.class,
                    List.of("noprime"), environment)));
        }
        String section = "SnapStart, " + jvm.shortLabel() + " (first invocation vs warm, medians of " + PRIMING_RUNS
                + " JVMs, " + delay.toMillis() + " ms per call)";
        report.row(section, "first invocation after the checkpoint hook", primed[1].median(), null,
                primed[0].median(), 1.5);
        report.row(section, "first invocation straight after init, no checkpoint (reference)",
                unprimed[1].median(), null, unprimed[0].median(), null);
        report.note(String.format(Locale.ROOT, "SnapStart, %s, %d ms per call, JVM flags %s: the second invocation"
                + " takes %.0f ms after the checkpoint hook, %.0f ms without.", jvm.shortLabel(), delay.toMillis(),
                String.join(" ", jvm.snapStartFlags()), primed[2].median(), unprimed[2].median()));
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

    private static final String EMPTY = EmptyHandler.class.getName();
    private static final String SDK_ONLY = SdkOnlyHandler.class.getName();
    private static final String FUNCTION = "dev.eksaccessupdater.AccessChangeFunction";

    /** One way to cold-start: a JVM, a handler and, on Java 25, optionally the AOT cache trained for that handler. */
    private record Variant(Jvm jvm, String handler, boolean aot) {

        String name() {
            String handlerName = handler.equals(EMPTY) ? "empty" : handler.equals(SDK_ONLY) ? "SDK only" : "function";
            return jvm.shortLabel() + " " + handlerName + (aot ? " + AOT cache" : "");
        }

        String fileName() {
            return name().toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-");
        }
    }

    private void coldStart(Stand stand) throws Exception {
        Path directory = buildDirectory.resolve("bench/cold");
        Layout layout = Layout.build(directory, buildDirectory.resolve("classes"),
                buildDirectory.resolve("test-classes"), runtimeJars, System.getProperty("java.class.path"));
        Path events = directory.resolve("events");
        Files.createDirectories(events);
        List<Variant> variants = new ArrayList<>();
        for (Jvm jvm : jvms) {
            for (String handler : List.of(EMPTY, SDK_ONLY, FUNCTION)) {
                variants.add(new Variant(jvm, handler, false));
            }
        }
        Map<Variant, Path> caches = new java.util.LinkedHashMap<>();
        for (Jvm jvm : jvms) {
            if (jvm.hasAotCache()) {
                for (String handler : List.of(EMPTY, SDK_ONLY, FUNCTION)) {
                    Variant variant = new Variant(jvm, handler, true);
                    Path cache = directory.resolve("aot").resolve(variant.fileName() + ".aot");
                    Path event = events.resolve("training-" + variant.fileName() + ".json");
                    Files.writeString(event, Messages.sqsEventJson(caches.size()));
                    train(variant, layout, cache, event);
                    caches.put(variant, cache);
                    variants.add(variant);
                }
            }
        }
        Map<Variant, Samples> times = new java.util.LinkedHashMap<>();
        Map<Variant, Long> calls = new HashMap<>();
        Map<Variant, Map<String, Samples>> phases = new java.util.LinkedHashMap<>();
        for (Variant variant : variants) {
            times.put(variant, new Samples());
            phases.put(variant, new java.util.LinkedHashMap<>());
        }
        int message = 0;
        for (int run = -1; run < COLD_RUNS; run++) {
            // The first round warms the OS file cache and checks that each AOT cache is used (-XX:AOTMode=on fails
            // when it is not); it is not counted. Then the variants alternate, each message about another entry.
            for (Variant variant : variants) {
                Path event = events.resolve("cold-" + (run + 1) + "-" + variant.fileName() + ".json");
                Files.writeString(event, Messages.sqsEventJson(message++ % Messages.PRINCIPALS));
                List<String> options = new ArrayList<>(Jvm.LAMBDA_FLAGS);
                if (variant.aot()) {
                    options.add("-XX:AOTCache=" + caches.get(variant));
                    if (run < 0) {
                        options.add("-XX:AOTMode=on");
                    }
                }
                long callsBefore = stand.calls();
                long nanos = coldRun(variant, options, layout, event, run >= 0 ? phases.get(variant) : new HashMap<>());
                if (run >= 0) {
                    times.get(variant).add(nanos);
                    calls.merge(variant, stand.calls() - callsBefore, Long::sum);
                }
            }
        }
        reportColdStarts(variants, times, calls, phases, caches);
        stand.forget();
    }

    private void reportColdStarts(List<Variant> variants, Map<Variant, Samples> times, Map<Variant, Long> calls,
                                  Map<Variant, Map<String, Samples>> phases, Map<Variant, Path> caches)
            throws IOException {
        // The SDK-only handler makes contract version 2's calls; a function that makes fewer is not yet comparable.
        double functionCalls = (double) calls.getOrDefault(new Variant(jvms.get(0), FUNCTION, false), 0L) / COLD_RUNS;
        double sdkOnlyCalls = (double) calls.getOrDefault(new Variant(jvms.get(0), SDK_ONLY, false), 0L) / COLD_RUNS;
        boolean comparable = functionCalls >= sdkOnlyCalls;
        List<List<String>> rows = new ArrayList<>();
        for (Jvm jvm : jvms) {
            double empty = times.get(new Variant(jvm, EMPTY, false)).median();
            double sdkOnly = times.get(new Variant(jvm, SDK_ONLY, false)).median();
            double function = times.get(new Variant(jvm, FUNCTION, false)).median();
            Samples aot = times.get(new Variant(jvm, FUNCTION, true));
            double overhead = function / sdkOnly;
            rows.add(List.of(jvm.label(),
                    Report.millis(empty),
                    String.format(Locale.ROOT, "%s (%.2f× empty)", Report.millis(sdkOnly), sdkOnly / empty),
                    String.format(Locale.ROOT, "%s (%.2f× empty, **%.2f× SDK only**)", Report.millis(function),
                            function / empty, overhead),
                    aot == null ? "n/a (JDK 24+)" : String.format(Locale.ROOT,
                            "%s (%.2f× empty, %.2f× SDK only, %.2f× function)", Report.millis(aot.median()),
                            aot.median() / empty, aot.median() / sdkOnly, aot.median() / function),
                    !comparable ? String.format(Locale.ROOT, "not comparable yet: the function makes %.0f AWS calls,"
                            + " SDK only %.0f", functionCalls, sdkOnlyCalls)
                            : overhead <= 1.10 ? "met" : String.format(Locale.ROOT, "missed by %.0f%%",
                            (overhead / 1.10 - 1) * 100)));
        }
        report.table("Cold start: process start to serialised response, one-message SQS event, stand-ins answering"
                        + " at once, median of " + COLD_RUNS + " JVMs per cell (ratios against the same JVM's empty"
                        + " and SDK-only handlers, without a cache)",
                List.of("JVM, Lambda flags", "empty handler", "SDK only", "function", "function with AOT cache",
                        "function ≤ 1.10× SDK only"), rows);
        for (Jvm jvm : jvms) {
            if (!jvm.hasAotCache()) {
                continue;
            }
            Variant emptyAot = new Variant(jvm, EMPTY, true);
            Variant sdkAot = new Variant(jvm, SDK_ONLY, true);
            Variant functionAot = new Variant(jvm, FUNCTION, true);
            double empty = times.get(emptyAot).median();
            double sdkOnly = times.get(sdkAot).median();
            double function = times.get(functionAot).median();
            report.note(String.format(Locale.ROOT, "%s, each handler with an AOT cache trained on one invocation of"
                            + " its own: empty %s, SDK only %s (%.2f× empty), function %s (%.2f× empty, %.2f× SDK"
                            + " only). Cache sizes: empty %.1f MiB, SDK only %.1f MiB, function %.1f MiB.",
                    jvm.shortLabel(), Report.millis(empty), Report.millis(sdkOnly), sdkOnly / empty,
                    Report.millis(function), function / empty, function / sdkOnly,
                    mebibytes(caches.get(emptyAot)), mebibytes(caches.get(sdkAot)),
                    mebibytes(caches.get(functionAot))));
        }
        report.note(String.format(Locale.ROOT, "Cold start: AWS calls per cold start counted at the stand-ins:"
                + " SDK only %.1f (version 2 of docs/contract.md), function %.1f.", sdkOnlyCalls, functionCalls));
        for (Variant variant : variants) {
            StringBuilder medians = new StringBuilder();
            phases.get(variant).forEach((phase, samples) -> medians.append(String.format(Locale.ROOT, " %s %.0f,",
                    phase, samples.median())));
            report.note(String.format(Locale.ROOT, "Cold start, %s: median %.0f ms, p90 %.0f ms; phases (medians,"
                    + " ms, from main() on):%s", variant.name(), times.get(variant).median(),
                    times.get(variant).percentile(90), medians.substring(0, Math.max(0, medians.length() - 1))));
        }
        report.note("Cold start: the JVM's class path is the runtime's (runner, aws-lambda-java-core,"
                + " aws-lambda-java-serialization); the package is loaded as the runtime interface client loads it,"
                + " by a URLClassLoader over the task root and lib/*.jar. Without a cache the package has sam build's"
                + " layout (classes at the root); with one, -Paot's (every class in a jar under lib/). JVM flags: "
                + String.join(" ", Jvm.LAMBDA_FLAGS) + ", plus -XX:AOTCache=<file> for the cached rows.");
    }

    private static double mebibytes(Path file) throws IOException {
        return Files.size(file) / (1024.0 * 1024.0);
    }

    /** A training run: one representative invocation, then the JVM writes the cache ({@code -XX:AOTCacheOutput}). */
    private void train(Variant variant, Layout layout, Path cache, Path event) throws Exception {
        Files.createDirectories(cache.getParent());
        Files.deleteIfExists(cache);
        List<String> options = new ArrayList<>(Jvm.LAMBDA_FLAGS);
        options.add("-XX:AOTCacheOutput=" + cache);
        long start = System.nanoTime();
        runChild(variant.jvm(), options, layout.runtimeClasspath(), ColdRunner.class.getName(),
                List.of(variant.handler(), layout.jarTask().toString(), event.toString()), environment);
        if (!Files.isRegularFile(cache)) {
            throw new IllegalStateException("the training run of " + variant.name() + " wrote no " + cache);
        }
        System.out.println(String.format(Locale.ROOT, "  trained %s: %.1f MiB in %.1f s", variant.name(),
                mebibytes(cache), (System.nanoTime() - start) / 1e9));
    }

    private long coldRun(Variant variant, List<String> options, Layout layout, Path event, Map<String, Samples> phases)
            throws Exception {
        Path task = variant.aot() ? layout.jarTask() : layout.classesTask();
        ProcessBuilder builder = childProcess(variant.jvm(), options, layout.runtimeClasspath(),
                ColdRunner.class.getName(), List.of(variant.handler(), task.toString(), event.toString()),
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
                        throw new IllegalStateException(variant.name() + " answered " + line);
                    }
                    String phaseLine = output.readLine();
                    if (phaseLine != null && phaseLine.startsWith("BENCH phases ")) {
                        for (String phase : phaseLine.substring("BENCH phases ".length()).split(" ")) {
                            String[] nameAndMillis = phase.split("=");
                            phases.computeIfAbsent(nameAndMillis[0], ignored -> new Samples())
                                    .addMillis(Double.parseDouble(nameAndMillis[1]));
                        }
                    }
                    if (!process.waitFor(30, TimeUnit.SECONDS) || process.exitValue() != 0) {
                        throw new IllegalStateException(variant.name() + " did not exit cleanly:\n"
                                + String.join("\n", tail));
                    }
                    return elapsed;
                }
                remember(tail, line);
            }
        } finally {
            process.destroyForcibly();
        }
        throw new IllegalStateException("the cold start of " + variant.name() + " printed no response:\n"
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
        report.note("Deployment package: no unused HTTP client (apache, apache5, netty, crt), no event-stream signing and no test-only library"
                + " among its " + artefact.jars().size() + " jars.");
    }

    // Child JVMs.

    /** On this process's JDK with the Lambda flags and the benchmark's flat class path. */
    private List<String> runChild(List<String> jvmOptions, Class<?> main, List<String> args,
                                  Map<String, String> settings) throws Exception {
        List<String> options = new ArrayList<>(Jvm.LAMBDA_FLAGS);
        options.addAll(jvmOptions);
        return runChild(Jvm.current(), options, childClasspath, main.getName(), args, settings);
    }

    /** On {@code jvm} with exactly {@code jvmOptions} and the benchmark's flat class path. */
    private List<String> runChild(Jvm jvm, List<String> jvmOptions, Class<?> main, List<String> args,
                                  Map<String, String> settings) throws Exception {
        return runChild(jvm, jvmOptions, childClasspath, main.getName(), args, settings);
    }

    private List<String> runChild(Jvm jvm, List<String> jvmOptions, String classpath, String main, List<String> args,
                                  Map<String, String> settings) throws Exception {
        Process process = childProcess(jvm, jvmOptions, classpath, main, args, settings).start();
        String name = main.substring(main.lastIndexOf('.') + 1);
        List<String> results = new ArrayList<>();
        Deque<String> tail = new ArrayDeque<>();
        try (BufferedReader output = new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line = output.readLine(); line != null; line = output.readLine()) {
                if (line.startsWith("BENCH ")) {
                    System.out.println("  " + name + " " + jvm.shortLabel() + " "
                            + settings.getOrDefault("MAX_CONCURRENCY", "default") + ": " + line);
                    results.add(line);
                }
                remember(tail, line);
            }
        }
        if (!process.waitFor(10, TimeUnit.MINUTES) || process.exitValue() != 0
                || results.stream().anyMatch(line -> line.startsWith("BENCH failed"))) {
            process.destroyForcibly();
            throw new IllegalStateException(name + " " + args + " failed on " + jvm.label() + ":\n"
                    + String.join("\n", tail));
        }
        return results;
    }

    private static ProcessBuilder childProcess(Jvm jvm, List<String> jvmOptions, String classpath, String main,
                                               List<String> args, Map<String, String> settings) {
        List<String> command = new ArrayList<>();
        command.add(jvm.java().toString());
        command.addAll(jvmOptions);
        command.add("-cp");
        command.add(classpath);
        command.add(main);
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
