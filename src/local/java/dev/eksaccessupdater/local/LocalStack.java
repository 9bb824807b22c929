package dev.eksaccessupdater.local;

import dev.eksaccessupdater.LocalFunction;
import dev.eksaccessupdater.local.LocalEventSourceMapping.Settings;
import dev.eksaccessupdater.local.LocalQueues.QueuePair;
import dev.eksaccessupdater.local.LocalQueues.QueueSettings;
import dev.eksaccessupdater.processing.BatchProcessor;
import dev.eksaccessupdater.standin.EksStandIn;
import dev.eksaccessupdater.standin.EventBridgeStandIn;
import dev.eksaccessupdater.standin.SchedulerStandIn;
import dev.eksaccessupdater.standin.SchedulerStandIn.Delivery;
import dev.eksaccessupdater.testing.Dynalite;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.function.Function;
import java.util.function.Supplier;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.TableStatus;
import software.amazon.awssdk.services.sqs.model.SendMessageRequest;

/**
 * The whole pipeline on one machine, on loopback: dynalite for DynamoDB with the template's idempotency table,
 * ElasticMQ for SQS with the request queue and its dead-letter queue, the EKS stand-in seeded from a JSON file,
 * the EventBridge stand-in (every event printed and appended to a JSON-lines file), the EventBridge Scheduler
 * stand-in (the expiry schedules of time-bound grants, delivered to the request queue when due), and an event
 * source mapping that feeds the real function, built by the real composition root. {@code ./run-local.sh} runs
 * {@link #main}: by default it tells five stories ({@link LocalDemo}) and exits; with {@code --serve} it keeps
 * running on fixed ports for the AWS CLI and other clients until Ctrl-C.
 */
public final class LocalStack implements AutoCloseable {

    public static final String TABLE_NAME = "eks-access-updater-idempotency";
    public static final String EVENT_BUS_NAME = LocalFunction.BUS;
    public static final String CLUSTER_NAME = "demo";
    public static final String ACCOUNT_ID = "111122223333";
    public static final String EVENTS_FILE = ".local-stack/events.jsonl";
    public static final String SEED_FILE = "local/seed.json";
    /** The function's settings here: the policy a newcomer can read in the output. */
    public static final Map<String, String> FUNCTION_SETTINGS = orderedMap(
            "IDEMPOTENCY_TABLE_NAME", TABLE_NAME,
            "EVENT_BUS_NAME", EVENT_BUS_NAME,
            "ALLOWED_CLUSTER_NAMES", CLUSTER_NAME,
            "ALLOWED_KUBERNETES_GROUPS", "dev-*,deployers,oncall-*,team-*",
            "PROTECTED_PRINCIPAL_ARNS", "arn:aws:iam::" + ACCOUNT_ID + ":role/cluster-admin");
    /** The schedule group of the expiries of time-bound grants (docs/contract.md section 8). */
    public static final String SCHEDULE_GROUP_NAME = "eks-access-updater-expiries";
    /** The role EventBridge Scheduler would assume to send the expiries; in the queues' account. */
    public static final String SCHEDULER_ROLE_ARN = "arn:aws:iam::" + LocalQueues.ACCOUNT_ID
            + ":role/eks-access-updater-scheduler";
    /** How often the Scheduler stand-in looks for schedules whose time has come. */
    static final Duration SCHEDULER_POLL_INTERVAL = Duration.ofSeconds(1);
    /**
     * The demo's queue: quick retries so that a failing message reaches the dead-letter queue within seconds. The
     * function timeout cannot exceed the visibility timeout, and the function starts no message in the last
     * {@link BatchProcessor#SAFETY_MARGIN} of it, so the visibility timeout leaves 2 s beyond that margin.
     */
    static final int DEMO_MAX_RECEIVE_COUNT = 3;
    static final int DEMO_VISIBILITY_TIMEOUT_SECONDS = (int) BatchProcessor.SAFETY_MARGIN.toSeconds() + 2;
    private static final String DUMMY_CREDENTIALS =
            "AWS_ACCESS_KEY_ID=dummy AWS_SECRET_ACCESS_KEY=dummy AWS_DEFAULT_REGION=us-east-1";

    /** Where each service listens on 127.0.0.1; 0 picks a free port (tests). */
    public record Ports(int sqs, int dynamoDb, int eks, int eventBridge, int scheduler) {

        /** The documented ports of {@code ./run-local.sh}. */
        public static final Ports FIXED = new Ports(9324, 8000, 8001, 8002, 8003);
        public static final Ports FREE = new Ports(0, 0, 0, 0, 0);
    }

    /**
     * How to run.
     *
     * @param serve keep running for other clients instead of telling the demo's stories
     * @param fifo a FIFO request queue (and dead-letter queue) instead of standard ones
     * @param seedFile the EKS clusters and access entries to start with
     * @param eventsFile where every accepted event is appended, one JSON object a line
     */
    public record Options(boolean serve, boolean fifo, Ports ports, int maxReceiveCount, int visibilityTimeoutSeconds,
                          Path seedFile, Path eventsFile) {

        /** The demo's options with the given ports, files under {@code projectDirectory}. */
        public static Options demo(Ports ports, boolean fifo, Path projectDirectory) {
            return new Options(false, fifo, ports, DEMO_MAX_RECEIVE_COUNT, DEMO_VISIBILITY_TIMEOUT_SECONDS,
                    projectDirectory.resolve(SEED_FILE), projectDirectory.resolve(EVENTS_FILE));
        }

        public Options withEventsFile(Path file) {
            return new Options(serve, fifo, ports, maxReceiveCount, visibilityTimeoutSeconds, seedFile, file);
        }

        public Options withServe(boolean newServe) {
            return new Options(newServe, fifo, ports, maxReceiveCount, visibilityTimeoutSeconds, seedFile,
                    eventsFile);
        }

        /**
         * Reads the command line: {@code --serve}, {@code --fifo}, {@code --max-receive-count N},
         * {@code --visibility-timeout SECONDS}, {@code --seed FILE}. The demo uses a short visibility timeout and
         * maxReceiveCount; {@code --serve} uses the template's.
         *
         * @throws IllegalArgumentException naming what is wrong
         */
        static Options parse(List<String> arguments, Path projectDirectory, TemplateDefaults template) {
            boolean serve = arguments.contains("--serve");
            boolean fifo = false;
            Integer maxReceiveCount = null;
            Integer visibilityTimeout = null;
            Path seed = projectDirectory.resolve(SEED_FILE);
            for (Iterator<String> iterator = arguments.iterator(); iterator.hasNext(); ) {
                String argument = iterator.next();
                switch (argument) {
                    case "--serve" -> { }
                    case "--fifo" -> fifo = true;
                    case "--max-receive-count" -> maxReceiveCount = number(argument, iterator);
                    case "--visibility-timeout" -> visibilityTimeout = number(argument, iterator);
                    case "--seed" -> seed = Path.of(value(argument, iterator)).toAbsolutePath();
                    default -> throw new IllegalArgumentException("unknown option: " + argument);
                }
            }
            if (maxReceiveCount == null) {
                maxReceiveCount = serve ? template.maxReceiveCount() : DEMO_MAX_RECEIVE_COUNT;
            }
            if (visibilityTimeout == null) {
                visibilityTimeout = serve ? template.visibilityTimeoutSeconds() : DEMO_VISIBILITY_TIMEOUT_SECONDS;
            }
            if (visibilityTimeout <= BatchProcessor.SAFETY_MARGIN.toSeconds()) {
                throw new IllegalArgumentException("--visibility-timeout must be more than "
                        + BatchProcessor.SAFETY_MARGIN.toSeconds() + " s: the function timeout cannot exceed it, and"
                        + " the function starts no message in the last " + BatchProcessor.SAFETY_MARGIN.toSeconds()
                        + " s of its timeout");
            }
            return new Options(serve, fifo, serve ? Ports.FIXED : Ports.FREE, maxReceiveCount, visibilityTimeout,
                    seed, projectDirectory.resolve(EVENTS_FILE));
        }

        private static String value(String option, Iterator<String> iterator) {
            if (!iterator.hasNext()) {
                throw new IllegalArgumentException(option + " needs a value");
            }
            return iterator.next();
        }

        private static int number(String option, Iterator<String> iterator) {
            String value = value(option, iterator);
            try {
                return Integer.parseInt(value);
            } catch (NumberFormatException notANumber) {
                throw new IllegalArgumentException(option + " needs a whole number, not " + value);
            }
        }
    }

    private final Options options;
    private final TemplateDefaults template;
    private final Path projectDirectory;
    private final PrintStream out;
    private final List<BatchOutcome> outcomes = new ArrayList<>();

    private Dynalite dynalite;
    private EksStandIn eks;
    private EventBridgeStandIn eventBridge;
    private SchedulerStandIn scheduler;
    private Map<String, String> functionSettings;
    private LocalFunction function;
    private LocalQueues queues;
    private QueuePair queuePair;
    private LocalEventSourceMapping mapping;
    private Settings mappingSettings;

    private LocalStack(Options options, TemplateDefaults template, Path projectDirectory, PrintStream out) {
        this.options = options;
        this.template = template;
        this.projectDirectory = projectDirectory;
        this.out = out;
    }

    /** Starts everything, printing progress to {@code out}; stops what it started when a part fails to start. */
    public static LocalStack start(Options options, Path projectDirectory, PrintStream out) {
        LocalStack stack = new LocalStack(options, TemplateDefaults.load(projectDirectory), projectDirectory, out);
        try {
            stack.startAll();
            return stack;
        } catch (RuntimeException failure) {
            stack.close();
            throw failure;
        }
    }

    private void startAll() {
        out.println("Starting the local stack on 127.0.0.1 (nothing here reaches AWS):");
        dynalite = step("DynamoDB (dynalite)", () -> Dynalite.start(projectDirectory, options.ports().dynamoDb()),
                started -> started.endpoint().toString());
        step("the idempotency table, as template.yaml declares it", () -> createTable(dynalite.dynamoDbClient()),
                name -> name + " (on-demand, partition key clientRequestToken; dynalite has no TTL, so "
                        + template.timeToLiveAttribute() + " is checked by the function itself)");
        eks = step("EKS (the project's stand-in)", this::startEks,
                started -> started.endpoint() + ", " + started.entries().size() + " access entries from "
                        + projectDirectory.relativize(options.seedFile().toAbsolutePath()));
        eventBridge = step("EventBridge (the project's stand-in)", this::startEventBridge,
                started -> started.endpoint() + ", every event printed and appended to "
                        + displayPath(options.eventsFile()));
        scheduler = step("EventBridge Scheduler (the project's stand-in)", this::startScheduler,
                started -> started.endpoint() + ", schedule group " + SCHEDULE_GROUP_NAME);
        queues = step("SQS (ElasticMQ)", () -> LocalQueues.start(options.ports().sqs()),
                started -> started.endpoint().toString());
        QueueSettings queueSettings = new QueueSettings(options.fifo(), options.maxReceiveCount(),
                options.visibilityTimeoutSeconds());
        queuePair = step((options.fifo() ? "FIFO" : "standard") + " request queue and dead-letter queue",
                () -> queues.createRequestQueues(queueSettings),
                pair -> pair.requests().name() + " -> " + pair.deadLetters().name() + " after "
                        + queueSettings.maxReceiveCount() + " receives; visibility timeout "
                        + queueSettings.visibilityTimeoutSeconds() + " s" + queueSettingsNote());
        step("expiry schedules delivered to the request queue", () -> scheduler.deliverTo(queues.sqsClient())
                        .pollEvery(SCHEDULER_POLL_INTERVAL),
                started -> "checked every " + SCHEDULER_POLL_INTERVAL.toSeconds() + " s, sent to "
                        + queuePair.requests().name());
        functionSettings = functionSettings(queuePair.requests().arn());
        function = step("the function (AccessChangeFunction, built by its real composition root)",
                () -> LocalFunction.on(dynalite, TABLE_NAME, eks, eventBridge, scheduler, functionSettings),
                started -> "policy: clusters " + FUNCTION_SETTINGS.get("ALLOWED_CLUSTER_NAMES") + ", groups "
                        + FUNCTION_SETTINGS.get("ALLOWED_KUBERNETES_GROUPS") + ", protected "
                        + FUNCTION_SETTINGS.get("PROTECTED_PRINCIPAL_ARNS") + "; expiries in schedule group "
                        + SCHEDULE_GROUP_NAME);
        // The function may not run longer than the queue's visibility timeout (Lambda refuses such a mapping).
        Duration functionTimeout = Duration.ofSeconds(Math.min(template.functionTimeoutSeconds(),
                options.visibilityTimeoutSeconds()));
        mappingSettings = Settings.defaults()
                .withBatching(template.batchSize(), options.fifo() ? Duration.ZERO
                        : Duration.ofSeconds(template.batchingWindowSeconds()))
                .withFunctionTimeout(functionTimeout);
        mapping = step("the event source mapping (polls the queue like Lambda)", () -> {
            LocalEventSourceMapping started = new LocalEventSourceMapping(queues.sqsClient(), queuePair, function,
                    mappingSettings, new Narrator(), out::print);
            started.start();
            return started;
        }, started -> "batches of up to " + mappingSettings.batchSize() + ", batching window "
                + mappingSettings.batchingWindow().toSeconds() + " s, function timeout "
                + functionTimeout.toSeconds() + " s, ReportBatchItemFailures on");
        out.println("Ready. Lines starting with {\"timestamp\": are the function's own JSON log lines, and those starting"
                + " with {\"_aws\": its metrics (CloudWatch Embedded Metric Format), as CloudWatch would receive them.");
        out.println();
    }

    private String queueSettingsNote() {
        if (options.maxReceiveCount() == template.maxReceiveCount()
                && options.visibilityTimeoutSeconds() == template.visibilityTimeoutSeconds()) {
            return " (as in template.yaml)";
        }
        return " (template.yaml: " + template.maxReceiveCount() + " receives, " + template.visibilityTimeoutSeconds()
                + " s; shorter here so that retries take seconds)";
    }

    private String createTable(DynamoDbClient client) {
        client.createTable(template.createIdempotencyTable(TABLE_NAME));
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (client.describeTable(table -> table.tableName(TABLE_NAME)).table().tableStatus()
                != TableStatus.ACTIVE) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("table " + TABLE_NAME + " did not become active");
            }
            Thread.onSpinWait();
        }
        return TABLE_NAME;
    }

    private EksStandIn startEks() {
        String seed;
        try {
            seed = Files.readString(options.seedFile());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the EKS seed file " + options.seedFile(), e);
        }
        return EksStandIn.fromJson(seed).start(options.ports().eks());
    }

    private EventBridgeStandIn startEventBridge() {
        try {
            Files.createDirectories(options.eventsFile().toAbsolutePath().getParent());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the folder of " + options.eventsFile(), e);
        }
        return new EventBridgeStandIn()
                .onEvent(event -> out.println("[EventBridge] accepted \"" + event.detailType() + "\" from "
                        + event.source() + ": " + event.detailJson()))
                .writeJsonLines(options.eventsFile())
                .start(options.ports().eventBridge());
    }

    private SchedulerStandIn startScheduler() {
        return new SchedulerStandIn()
                .createGroup(SCHEDULE_GROUP_NAME)
                .onDelivery(delivery -> out.println("[EventBridge Scheduler] schedule " + delivery.scheduleName()
                        + " fired: " + (delivery.delivered()
                        ? "sent its message to " + delivery.queueArn() + " (message id " + delivery.messageId() + ")"
                        : "could not send its message, it stays and fires again: " + delivery.failure())))
                .start(options.ports().scheduler());
    }

    /**
     * {@link #FUNCTION_SETTINGS} and the settings of time-bound grants (docs/contract.md section 6), which name the
     * request queue: {@code SCHEDULE_GROUP_NAME}, {@code SCHEDULER_ROLE_ARN} and {@code REQUEST_QUEUE_ARN}.
     */
    static Map<String, String> functionSettings(String requestQueueArn) {
        Map<String, String> settings = new LinkedHashMap<>(FUNCTION_SETTINGS);
        settings.put("SCHEDULE_GROUP_NAME", SCHEDULE_GROUP_NAME);
        settings.put("SCHEDULER_ROLE_ARN", SCHEDULER_ROLE_ARN);
        settings.put("REQUEST_QUEUE_ARN", requestQueueArn);
        return Collections.unmodifiableMap(settings);
    }

    private <T> T step(String what, Supplier<T> starter, Function<T, String> describer) {
        out.print("  " + what + " ... ");
        out.flush();
        long start = System.nanoTime();
        T started;
        try {
            started = starter.get();
        } catch (RuntimeException failure) {
            out.println("FAILED: " + failure.getMessage());
            throw failure;
        }
        out.printf("%s (%.1f s)%n", describer.apply(started), (System.nanoTime() - start) / 1e9);
        return started;
    }

    // What the demo, the tests and --serve use.

    public Options options() {
        return options;
    }

    public TemplateDefaults template() {
        return template;
    }

    public EksStandIn eks() {
        return eks;
    }

    public EventBridgeStandIn eventBridge() {
        return eventBridge;
    }

    /** The Scheduler stand-in: the expiry schedules the function created, in {@link #SCHEDULE_GROUP_NAME}. */
    public SchedulerStandIn scheduler() {
        return scheduler;
    }

    /** The settings the function was started with, {@link #FUNCTION_SETTINGS} and those of time-bound grants. */
    public Map<String, String> functionSettings() {
        return functionSettings;
    }

    /**
     * Fires the expiry schedule {@code name} now instead of at its time: its message goes to the request queue,
     * and the function processes it like any request. The hook for a story about a time-bound grant's expiry.
     *
     * @throws IllegalArgumentException when the schedule group holds no schedule of that name
     */
    public Delivery fireSchedule(String name) {
        return scheduler.fireNow(SCHEDULE_GROUP_NAME, name);
    }

    /** Fires every expiry schedule now, whatever its time; returns the delivery attempts. */
    public List<Delivery> fireAllSchedules() {
        return scheduler.schedules().stream()
                .filter(schedule -> schedule.groupName().equals(SCHEDULE_GROUP_NAME))
                .map(schedule -> fireSchedule(schedule.name()))
                .toList();
    }

    public LocalFunction function() {
        return function;
    }

    public LocalQueues queues() {
        return queues;
    }

    public QueuePair queuePair() {
        return queuePair;
    }

    public Dynalite dynalite() {
        return dynalite;
    }

    public Settings mappingSettings() {
        return mappingSettings;
    }

    /**
     * Sends {@code body} to the request queue as an approval system would.
     *
     * @param messageGroupId used on a FIFO queue only
     * @param deduplicationId used on a FIFO queue only; {@code null} lets content-based deduplication decide
     * @return the message id
     */
    public String send(String body, String messageGroupId, String deduplicationId) {
        SendMessageRequest.Builder request = SendMessageRequest.builder()
                .queueUrl(queuePair.requests().url())
                .messageBody(body);
        if (options.fifo()) {
            request.messageGroupId(messageGroupId).messageDeduplicationId(deduplicationId);
        }
        return queues.sqsClient().sendMessage(request.build()).messageId();
    }

    /** Every batch the mapping handed to the function so far that held {@code messageId}, in order. */
    public List<BatchOutcome> outcomesFor(String messageId) {
        synchronized (outcomes) {
            return outcomes.stream().filter(outcome -> outcome.messageIds().contains(messageId)).toList();
        }
    }

    /**
     * Waits until the function got {@code messageId} in {@code count} batches.
     *
     * @return those batches, or fewer when {@code timeout} passed first
     */
    public List<BatchOutcome> awaitOutcomes(String messageId, int count, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (outcomes) {
            List<BatchOutcome> found = outcomesFor(messageId);
            while (found.size() < count) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                try {
                    outcomes.wait(Math.max(1, left / 1_000_000));
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    break;
                }
                found = outcomesFor(messageId);
            }
            return found;
        }
    }

    /** Waits until {@code messageId} was deleted from the queue; true when it was within {@code timeout}. */
    public boolean awaitDeleted(String messageId, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (outcomes) {
            while (outcomesFor(messageId).stream().noneMatch(outcome -> outcome.deletedIds().contains(messageId))) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                try {
                    outcomes.wait(Math.max(1, left / 1_000_000));
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
            return true;
        }
    }

    /** Prints every batch in plain words and keeps it for {@link #awaitOutcomes}. */
    private final class Narrator implements BatchListener {

        @Override
        public void onBatch(BatchOutcome outcome) {
            String receives = outcome.event() == null ? "" : outcome.event().getRecords().stream()
                    .map(record -> record.getAttributes().get("ApproximateReceiveCount"))
                    .map(count -> "#" + count)
                    .reduce((first, second) -> first + "," + second)
                    .map(counts -> " (receive " + counts + ")")
                    .orElse("");
            out.println("[event source mapping] invoked the function with " + outcome.messageIds().size()
                    + " message(s)" + receives + ": " + outcome.reason() + "; deleted from the queue: "
                    + outcome.deletedIds().size() + ", left on the queue to come back after the visibility timeout: "
                    + outcome.retriedIds().size());
            synchronized (outcomes) {
                outcomes.add(outcome);
                outcomes.notifyAll();
            }
        }

        @Override
        public void onPollFailure(SdkException failure) {
            out.println("[event source mapping] could not receive from the queue: " + failure.getMessage());
        }
    }

    // --serve.

    /** A request a user can send with the AWS CLI: a new group for user/alice. */
    public static final String CLI_SAMPLE_REQUEST = "{\"clusterName\":\"demo\","
            + "\"principalArn\":\"arn:aws:iam::111122223333:user/alice\",\"addKubernetesGroups\":[\"dev-viewers\"],"
            + "\"clientRequestToken\":\"cli-ticket-1\",\"metadata\":{\"approver\":\"you\",\"ticket\":\"CLI-1\"}}";

    /** The commands printed by {@code --serve}, each runnable as it is (with the dummy credentials set). */
    public List<CliCommand> cliCommands() {
        String sqs = queues.endpoint().toString();
        List<String> send = new ArrayList<>(List.of("aws", "sqs", "send-message", "--endpoint-url", sqs,
                "--queue-url", queuePair.requests().url(), "--message-body", CLI_SAMPLE_REQUEST));
        if (options.fifo()) {
            send.addAll(List.of("--message-group-id", "alice"));
        }
        return List.of(
                new CliCommand("send a request (send it twice: the second is skipped as a duplicate)", send),
                new CliCommand("see the access entry it changed", List.of("aws", "eks", "describe-access-entry",
                        "--endpoint-url", eks.endpoint().toString(), "--cluster-name", CLUSTER_NAME,
                        "--principal-arn", "arn:aws:iam::" + ACCOUNT_ID + ":user/alice")),
                new CliCommand("see the idempotency records (one per token)", List.of("aws", "dynamodb", "scan",
                        "--endpoint-url", dynalite.endpoint().toString(), "--table-name", TABLE_NAME)),
                new CliCommand("count the messages in the dead-letter queue", List.of("aws", "sqs",
                        "get-queue-attributes", "--endpoint-url", sqs, "--queue-url", queuePair.deadLetters().url(),
                        "--attribute-names", "ApproximateNumberOfMessages")));
    }

    /**
     * The commands {@code --serve} prints to see the expiry schedules of time-bound grants: the list, and the first
     * of them in full, its name taken from the list by a shell command substitution.
     */
    public List<CliCommand> scheduleCliCommands() {
        List<String> list = List.of("aws", "scheduler", "list-schedules", "--endpoint-url",
                scheduler.endpoint().toString(), "--group-name", SCHEDULE_GROUP_NAME);
        List<String> firstName = new ArrayList<>(list);
        firstName.addAll(List.of("--query", "Schedules[0].Name", "--output", "text"));
        return List.of(
                new CliCommand("see the expiry schedules of time-bound grants (deleted once they fired)", list),
                new CliCommand("see the first of them in full: when it fires (ScheduleExpression, in UTC) and the"
                        + " expiry message it sends (Target.Input)", List.of("aws", "scheduler", "get-schedule",
                        "--endpoint-url", scheduler.endpoint().toString(), "--group-name", SCHEDULE_GROUP_NAME,
                        "--name", CliCommand.substitution(new CliCommand("the first name", firstName)))));
    }

    /** What {@code --serve} prints once everything is up. */
    public void printServeInstructions() {
        out.println("Endpoints (127.0.0.1 only):");
        out.println("  SQS          " + queues.endpoint() + "   request queue " + queuePair.requests().url());
        out.println("                                         dead-letter queue " + queuePair.deadLetters().url());
        out.println("  DynamoDB     " + dynalite.endpoint() + "   table " + TABLE_NAME);
        out.println("  EKS          " + eks.endpoint() + "   cluster " + CLUSTER_NAME + " (account " + ACCOUNT_ID
                + "), entries from " + projectDirectory.relativize(options.seedFile().toAbsolutePath()));
        out.println("  EventBridge  " + eventBridge.endpoint() + "   bus " + EVENT_BUS_NAME + ", events appended to "
                + displayPath(options.eventsFile()));
        out.println("  Scheduler    " + scheduler.endpoint() + "   schedule group " + SCHEDULE_GROUP_NAME
                + ", expiries sent to the request queue when due");
        out.println();
        out.println("In another terminal, with dummy credentials (nothing checks them):");
        out.println("  export " + DUMMY_CREDENTIALS);
        List<CliCommand> commands = new ArrayList<>(cliCommands());
        commands.addAll(scheduleCliCommands());
        for (CliCommand command : commands) {
            out.println("  # " + command.purpose());
            out.println("  " + command.render());
        }
        out.println("  # watch the events");
        out.println("  tail -f " + displayPath(options.eventsFile()));
        out.println();
        out.println("Your own code (any AWS SDK) reaches these services with the standard endpoint settings:");
        out.println("  export " + DUMMY_CREDENTIALS + " \\");
        out.println("    AWS_ENDPOINT_URL_SQS=" + queues.endpoint() + " AWS_ENDPOINT_URL_DYNAMODB="
                + dynalite.endpoint() + " \\");
        out.println("    AWS_ENDPOINT_URL_EKS=" + eks.endpoint() + " AWS_ENDPOINT_URL_EVENTBRIDGE="
                + eventBridge.endpoint() + " \\");
        out.println("    AWS_ENDPOINT_URL_SCHEDULER=" + scheduler.endpoint());
        out.println();
        out.println("For sam local invoke --env-vars env.json (SAM passes only the variables template.yaml declares,"
                + " so the endpoints above must be added to the function's Environment for a local build; with "
                + "Docker on Linux add --docker-network host so that 127.0.0.1 is this machine):");
        out.println(envJson());
        out.println();
        out.println("Press Ctrl-C to stop everything.");
    }

    /** The function's settings here, in the shape of {@code sam local invoke --env-vars}. */
    public String envJson() {
        StringBuilder json = new StringBuilder("{\n  \"AccessChangeFunction\": {\n");
        Map<String, String> variables = new LinkedHashMap<>(functionSettings);
        variables.put("AWS_ENDPOINT_URL_DYNAMODB", dynalite.endpoint().toString());
        variables.put("AWS_ENDPOINT_URL_EKS", eks.endpoint().toString());
        variables.put("AWS_ENDPOINT_URL_EVENTBRIDGE", eventBridge.endpoint().toString());
        variables.put("AWS_ENDPOINT_URL_SCHEDULER", scheduler.endpoint().toString());
        for (Iterator<Map.Entry<String, String>> iterator = variables.entrySet().iterator(); iterator.hasNext(); ) {
            Map.Entry<String, String> variable = iterator.next();
            json.append("    \"").append(variable.getKey()).append("\": \"").append(variable.getValue()).append('"')
                    .append(iterator.hasNext() ? ",\n" : "\n");
        }
        return json.append("  }\n}").toString();
    }

    private String displayPath(Path path) {
        Path absolute = path.toAbsolutePath();
        return absolute.startsWith(projectDirectory) ? projectDirectory.relativize(absolute).toString()
                : absolute.toString();
    }

    /**
     * Stops the mapping after its current batch, then the Scheduler's deliveries, the queues, the stand-ins and
     * dynalite.
     */
    @Override
    public void close() {
        List<RuntimeException> failures = new ArrayList<>();
        // The function owns the stand-ins it was given; before it exists, they are closed one by one.
        // The Scheduler stand-in stops before the queues it delivers to; closing it again later is harmless.
        AutoCloseable[] parts = function != null
                ? new AutoCloseable[] {mapping, scheduler, queues, function, dynalite}
                : new AutoCloseable[] {mapping, scheduler, queues, eks, eventBridge, dynalite};
        for (AutoCloseable part : parts) {
            if (part == null) {
                continue;
            }
            try {
                part.close();
            } catch (Exception failure) {
                failures.add(failure instanceof RuntimeException runtime ? runtime
                        : new IllegalStateException(failure));
            }
        }
        if (!failures.isEmpty()) {
            RuntimeException first = failures.get(0);
            failures.subList(1, failures.size()).forEach(first::addSuppressed);
            throw first;
        }
    }

    // The command.

    public static void main(String[] arguments) {
        // ElasticMQ's logging finds no SLF4J binding here and would say so in three warning lines.
        if (System.getProperty("slf4j.internal.verbosity") == null) {
            System.setProperty("slf4j.internal.verbosity", "ERROR");
        }
        System.exit(run(List.of(arguments), Path.of(System.getProperty("basedir", "")).toAbsolutePath(),
                System.out));
    }

    /**
     * Runs the command line; returns the exit status (0: done, 1: a story did not happen or the stack did not start,
     * 2: a wrong option). With {@code --serve} it returns only if the stack failed to start: Ctrl-C stops it.
     */
    static int run(List<String> arguments, Path projectDirectory, PrintStream out) {
        if (arguments.contains("--help") || arguments.contains("-h")) {
            out.println(usage());
            return 0;
        }
        Options options;
        TemplateDefaults template;
        try {
            template = TemplateDefaults.load(projectDirectory);
            options = Options.parse(arguments, projectDirectory, template);
        } catch (IllegalArgumentException wrongOption) {
            out.println(wrongOption.getMessage());
            out.println(usage());
            return 2;
        }
        LocalStack stack;
        try {
            stack = start(options, projectDirectory, out);
        } catch (RuntimeException notStarted) {
            out.println("The local stack could not start: " + notStarted.getMessage());
            return 1;
        }
        if (options.serve()) {
            serveUntilStopped(stack, out);
            return 0;
        }
        try (stack) {
            return new LocalDemo(stack, out).run() ? 0 : 1;
        }
    }

    private static void serveUntilStopped(LocalStack stack, PrintStream out) {
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            out.println();
            out.println("Stopping the local stack ...");
            try {
                stack.close();
                out.println("Stopped.");
            } finally {
                stopped.countDown();
            }
        }, "local-stack-stop"));
        stack.printServeInstructions();
        try {
            stopped.await();
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    static String usage() {
        return """
                Usage: ./run-local.sh [--serve] [--fifo] [--max-receive-count N] [--visibility-timeout SECONDS] \
                [--seed FILE]
                  (no option)            tell five stories with sample requests, then stop
                  --serve                keep running on ports 9324 (SQS), 8000 (DynamoDB), 8001 (EKS), \
                8002 (EventBridge), 8003 (EventBridge Scheduler) until Ctrl-C
                  --fifo                 a FIFO request queue instead of a standard one
                  --max-receive-count N  receives before a message moves to the dead-letter queue \
                (demo 3, --serve: template.yaml's)
                  --visibility-timeout S seconds before a failed message comes back (demo 5, --serve: template.yaml's)
                  --seed FILE            EKS clusters and access entries to start with (default local/seed.json)""";
    }

    private static Map<String, String> orderedMap(String... keysAndValues) {
        Map<String, String> map = new LinkedHashMap<>();
        for (int index = 0; index < keysAndValues.length; index += 2) {
            map.put(keysAndValues[index], keysAndValues[index + 1]);
        }
        return Collections.unmodifiableMap(map);
    }
}
