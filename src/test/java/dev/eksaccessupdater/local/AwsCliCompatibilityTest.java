package dev.eksaccessupdater.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.InstanceOfAssertFactories.LIST;
import static org.assertj.core.api.InstanceOfAssertFactories.MAP;

import com.fasterxml.jackson.jr.ob.JSON;
import dev.eksaccessupdater.local.LocalStack.Options;
import dev.eksaccessupdater.local.LocalStack.Ports;
import dev.eksaccessupdater.schedule.EventBridgeExpirySchedules;
import dev.eksaccessupdater.schedule.ExpirySchedule;
import dev.eksaccessupdater.standin.EventBridgeStandIn.PublishedEvent;
import dev.eksaccessupdater.standin.SchedulerStandIn;
import dev.eksaccessupdater.standin.SchedulerStandIn.Delivery;
import dev.eksaccessupdater.standin.StandInClients;
import dev.eksaccessupdater.time.CallBudget;
import dev.eksaccessupdater.testing.WithDynalite;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.scheduler.SchedulerClient;

/**
 * The local stack driven by a client nobody here wrote: the AWS CLI on this machine's PATH, with dummy credentials
 * and {@code --endpoint-url}, exactly as {@code ./run-local.sh --serve} tells its user. The CLI is required: without
 * it these tests fail, naming what to install.
 */
@WithDynalite
class AwsCliCompatibilityTest {

    private static final Path PROJECT = Path.of(System.getProperty("basedir", "")).toAbsolutePath();
    private static final String DEVELOPERS = "arn:aws:iam::111122223333:role/developers";
    private static final String DEPLOYERS = "arn:aws:iam::111122223333:role/deployers";
    private static final String ALICE = "arn:aws:iam::111122223333:user/alice";
    private static final Duration CLI_TIMEOUT = Duration.ofSeconds(60);
    /**
     * A schedule group of the CLI's own, so that the stack's expiry group holds only what the function would make.
     * Schedules here are for 2099: the stack's Scheduler fires what is due by the system clock.
     */
    private static final String CLI_GROUP = "cli-tests";
    private static final String QUEUE_ROLE = "arn:aws:iam::123456789012:role/eks-access-updater-scheduler";

    @TempDir
    static Path folder;

    private static LocalStack stack;
    /** Everything the stack printed, as its user sees it. */
    private static final ByteArrayOutputStream PRINTED = new ByteArrayOutputStream();

    @BeforeAll
    static void startStack() {
        Options options = Options.demo(Ports.FREE, false, PROJECT).withServe(true)
                .withEventsFile(folder.resolve("events.jsonl"));
        OutputStream both = new OutputStream() {
            @Override
            public void write(int b) {
                System.out.write(b);
                synchronized (PRINTED) {
                    PRINTED.write(b);
                }
            }
        };
        stack = LocalStack.start(options, PROJECT, new PrintStream(both, true, StandardCharsets.UTF_8));
        stack.scheduler().createGroup(CLI_GROUP);
    }

    @AfterAll
    static void stopStack() {
        stack.close();
    }

    @Test
    void describeAccessEntry_whenSeeded_returnsTheSeededEntry() {
        CliResult result = aws("eks", "describe-access-entry", "--endpoint-url", eksEndpoint(),
                "--cluster-name", "demo", "--principal-arn", DEVELOPERS);

        Map<String, Object> entry = accessEntry(result);
        assertThat(entry).containsEntry("clusterName", "demo").containsEntry("principalArn", DEVELOPERS)
                .containsEntry("kubernetesGroups", List.of("dev-viewers")).containsEntry("type", "STANDARD")
                .containsEntry("accessEntryArn", stack.eks().entry("demo", DEVELOPERS).accessEntryArn())
                .containsKeys("createdAt", "modifiedAt", "username");
    }

    @Test
    void updateAccessEntry_whenFieldsOmitted_resetsThemAsEksDoes() {
        CliResult both = aws("eks", "update-access-entry", "--endpoint-url", eksEndpoint(), "--cluster-name", "demo",
                "--principal-arn", DEPLOYERS, "--kubernetes-groups", "team-a", "team-b", "--username", "deploy-bot");
        CliResult usernameOnly = aws("eks", "update-access-entry", "--endpoint-url", eksEndpoint(),
                "--cluster-name", "demo", "--principal-arn", DEPLOYERS, "--username", "deploy-bot-2");
        CliResult described = aws("eks", "describe-access-entry", "--endpoint-url", eksEndpoint(),
                "--cluster-name", "demo", "--principal-arn", DEPLOYERS);

        assertThat(accessEntry(both)).containsEntry("kubernetesGroups", List.of("team-a", "team-b"))
                .containsEntry("username", "deploy-bot");
        assertThat(accessEntry(usernameOnly)).containsEntry("kubernetesGroups", List.of())
                .containsEntry("username", "deploy-bot-2");
        assertThat(accessEntry(described)).isEqualTo(accessEntry(usernameOnly));
        assertThat(stack.eks().entry("demo", DEPLOYERS).kubernetesGroups()).isEmpty();
    }

    @Test
    void updateAccessEntry_whenGroupReserved_failsWithInvalidParameterException() {
        CliResult result = run(List.of("aws", "eks", "update-access-entry", "--endpoint-url", eksEndpoint(),
                "--cluster-name", "demo", "--principal-arn", ALICE, "--kubernetes-groups", "system:masters"));

        assertThat(result.exitCode()).isNotZero();
        assertThat(result.stderr()).contains("InvalidParameterException").contains("system:");
    }

    @Test
    void describeAccessEntry_whenEntryUnknown_failsWithResourceNotFoundException() {
        CliResult result = run(List.of("aws", "eks", "describe-access-entry", "--endpoint-url", eksEndpoint(),
                "--cluster-name", "demo", "--principal-arn", "arn:aws:iam::111122223333:role/nobody"));

        assertThat(result.exitCode()).isNotZero();
        assertThat(result.stderr()).contains("ResourceNotFoundException");
    }

    @Test
    void sendMessage_whenServeCommandsRun_appliesTheRequestAndShowsItThroughTheCli() throws InterruptedException {
        List<CliCommand> commands = stack.cliCommands();
        assertThat(commands).extracting(command -> command.arguments().subList(0, 3)).containsExactly(
                List.of("aws", "sqs", "send-message"), List.of("aws", "eks", "describe-access-entry"),
                List.of("aws", "dynamodb", "scan"), List.of("aws", "sqs", "get-queue-attributes"));

        CliResult sent = aws(commands.get(0).arguments());
        stack.eventBridge().awaitEvents(1, Duration.ofSeconds(20));
        CliResult described = aws(commands.get(1).arguments());
        CliResult scanned = aws(commands.get(2).arguments());
        CliResult deadLetters = aws(commands.get(3).arguments());

        assertThat(json(sent)).containsKey("MessageId");
        assertThat(stack.eventBridge().events("Access Entry Updated")).singleElement()
                .satisfies(event -> assertThat(event.detail()).containsEntry("clientRequestToken", "cli-ticket-1"));
        assertThat(accessEntry(described)).containsEntry("principalArn", ALICE)
                .containsEntry("kubernetesGroups", List.of("dev-viewers"));
        assertThat(scanned.stdout()).contains("cli-ticket-1").contains("COMPLETED");
        assertThat(deadLetters.stdout()).contains("\"ApproximateNumberOfMessages\": \"0\"");
    }

    @Test
    void describeAccessEntry_whenEndpointComesFromTheEnvironment_reachesTheStandIn() {
        CliResult result = run(List.of("aws", "eks", "describe-access-entry", "--cluster-name", "demo",
                "--principal-arn", DEVELOPERS), Map.of("AWS_ENDPOINT_URL_EKS", eksEndpoint()));

        assertThat(result.exitCode()).as(result.stderr()).isZero();
        assertThat(accessEntry(result)).containsEntry("principalArn", DEVELOPERS);
    }

    @Test
    void scheduler_whenTheCliCreatesGetsListsAndDeletes_answersAsTheServiceModelSays() {
        String queueArn = stack.queuePair().requests().arn();
        String target = "{\"Arn\":\"" + queueArn + "\",\"RoleArn\":\"" + QUEUE_ROLE + "\",\"Input\":\"{\\\"n\\\":1}\","
                + "\"SqsParameters\":{\"MessageGroupId\":\"cli\"}}";

        Map<String, Object> created = json(aws("scheduler", "create-schedule", "--endpoint-url", schedulerEndpoint(),
                "--name", "cli-1", "--group-name", CLI_GROUP, "--schedule-expression", "at(2099-12-04T18:00:00)",
                "--schedule-expression-timezone", "UTC", "--flexible-time-window", "Mode=OFF",
                "--action-after-completion", "DELETE", "--target", target));
        Map<String, Object> got = json(aws("scheduler", "get-schedule", "--endpoint-url", schedulerEndpoint(),
                "--name", "cli-1", "--group-name", CLI_GROUP));
        Map<String, Object> listed = json(aws("scheduler", "list-schedules", "--endpoint-url", schedulerEndpoint(),
                "--group-name", CLI_GROUP, "--name-prefix", "cli-1"));
        aws("scheduler", "delete-schedule", "--endpoint-url", schedulerEndpoint(), "--name", "cli-1",
                "--group-name", CLI_GROUP);
        CliResult gone = run(List.of("aws", "scheduler", "get-schedule", "--endpoint-url", schedulerEndpoint(),
                "--name", "cli-1", "--group-name", CLI_GROUP));

        assertThat(created).isEqualTo(Map.of("ScheduleArn",
                "arn:aws:scheduler:us-east-1:123456789012:schedule/" + CLI_GROUP + "/cli-1"));
        assertThat(got).containsEntry("Name", "cli-1").containsEntry("GroupName", CLI_GROUP)
                .containsEntry("ScheduleExpression", "at(2099-12-04T18:00:00)")
                .containsEntry("ScheduleExpressionTimezone", "UTC").containsEntry("ActionAfterCompletion", "DELETE")
                .containsEntry("State", "ENABLED").containsEntry("FlexibleTimeWindow", Map.of("Mode", "OFF"))
                .containsEntry("Target", Map.of("Arn", queueArn, "RoleArn", QUEUE_ROLE, "Input", "{\"n\":1}",
                        "SqsParameters", Map.of("MessageGroupId", "cli")))
                .containsKeys("Arn", "CreationDate", "LastModificationDate");
        assertThat(listed.get("Schedules")).asInstanceOf(LIST).singleElement().satisfies(summary -> assertThat(summary)
                .asInstanceOf(MAP)
                .containsEntry("Name", "cli-1").containsEntry("Target", Map.of("Arn", queueArn)));
        assertThat(gone.exitCode()).isNotZero();
        assertThat(gone.stderr()).contains("ResourceNotFoundException").contains("Schedule cli-1 does not exist.");
        SchedulerStandIn.RecordedRequest create = stack.scheduler().requests(SchedulerStandIn.CREATE).stream()
                .filter(request -> "cli-1".equals(request.name())).findFirst().orElseThrow();
        assertThat((String) create.body().get("ClientToken")).as("the CLI fills the idempotency token itself")
                .matches("[a-zA-Z0-9-_]{1,64}");
    }

    @Test
    void createSchedule_whenNameTakenOrExpressionInvalid_failsWithTheServicesErrorCodes() {
        List<String> create = List.of("aws", "scheduler", "create-schedule", "--endpoint-url", schedulerEndpoint(),
                "--name", "cli-2", "--group-name", CLI_GROUP, "--schedule-expression", "at(2099-12-04T18:00:00)",
                "--flexible-time-window", "Mode=OFF", "--target", "{\"Arn\":\"" + stack.queuePair().requests().arn()
                        + "\",\"RoleArn\":\"" + QUEUE_ROLE + "\"}");
        aws(create);

        CliResult taken = run(create);
        List<String> invalid = new ArrayList<>(create);
        invalid.set(invalid.indexOf("at(2099-12-04T18:00:00)"), "at(2099-12-04 18:00)");
        invalid.set(invalid.indexOf("cli-2"), "cli-3");
        CliResult refused = run(invalid);

        assertThat(taken.exitCode()).isNotZero();
        assertThat(taken.stderr()).contains("ConflictException").contains("Schedule cli-2 already exists.");
        assertThat(refused.exitCode()).isNotZero();
        assertThat(refused.stderr()).contains("ValidationException")
                .contains("Invalid Schedule Expression at(2099-12-04 18:00).");
    }

    @Test
    void scheduleCommands_whenServePrintsThem_showTheExpiryAndItsDeliveryReachesTheFunction()
            throws InterruptedException {
        String token = "cli-schedule-1";
        String input = "{\"clusterName\":\"demo\",\"principalArn\":\"" + ALICE + "\","
                + "\"addKubernetesGroups\":[\"ops-admins\"],\"clientRequestToken\":\"" + token + "\"}";
        String name = "eau-00000000000000000000000000000000000000c1";
        try (SchedulerClient client = StandInClients.scheduler(stack.scheduler().endpoint())) {
            // As the function will: its own adapter, group, role and request queue.
            new EventBridgeExpirySchedules(() -> client, LocalStack.SCHEDULE_GROUP_NAME,
                    stack.functionSettings().get("REQUEST_QUEUE_ARN"),
                    stack.functionSettings().get("SCHEDULER_ROLE_ARN"))
                    .create(new ExpirySchedule(name, "at(2099-12-04T18:00:00)", input, null),
                            new CallBudget(Clock.systemUTC().instant().plusSeconds(30), Clock.systemUTC()));
        }
        List<CliCommand> commands = stack.scheduleCliCommands();
        assertThat(commands).extracting(command -> command.arguments().subList(0, 3)).containsExactly(
                List.of("aws", "scheduler", "list-schedules"), List.of("aws", "scheduler", "get-schedule"));
        assertThat(commands.get(1).needsShell()).isTrue();
        stack.printServeInstructions();
        String listLine = printedLineAfter("# " + commands.get(0).purpose());
        String getLine = printedLineAfter("# " + commands.get(1).purpose());
        assertThat(listLine).isEqualTo(commands.get(0).render()).contains("--endpoint-url " + schedulerEndpoint());
        assertThat(getLine).isEqualTo(commands.get(1).render());

        Map<String, Object> listed = json(aws(List.of("bash", "-c", listLine)));
        Map<String, Object> got = json(aws(List.of("bash", "-c", getLine)));
        Delivery delivery = stack.fireSchedule(name);
        PublishedEvent rejection = awaitRejection(token);
        Map<String, Object> listedAfter = json(aws(List.of("bash", "-c", listLine)));

        assertThat(listed.get("Schedules")).asInstanceOf(LIST)
                .extracting(summary -> (Object) ((Map<?, ?>) summary).get("Name"))
                .containsExactly((Object) name);
        assertThat(got).containsEntry("Name", name).containsEntry("GroupName", LocalStack.SCHEDULE_GROUP_NAME)
                .containsEntry("ScheduleExpression", "at(2099-12-04T18:00:00)")
                .containsEntry("ActionAfterCompletion", "DELETE");
        assertThat(got.get("Target")).isEqualTo(Map.of("Arn", stack.queuePair().requests().arn(),
                "RoleArn", LocalStack.SCHEDULER_ROLE_ARN, "Input", input,
                "RetryPolicy", Map.of("MaximumEventAgeInSeconds", 86_400, "MaximumRetryAttempts", 185)));
        assertThat(delivery.delivered()).as(delivery.failure()).isTrue();
        assertThat(rejection.detail().get("reason")).asInstanceOf(MAP).containsEntry("code", "POLICY_DENIED");
        assertThat(listedAfter.get("Schedules")).as("deleted after it fired").asInstanceOf(LIST).isEmpty();
    }

    /** The line the stack printed after {@code line} (both indented by two spaces), without its indent. */
    private static String printedLineAfter(String line) {
        List<String> lines;
        synchronized (PRINTED) {
            lines = PRINTED.toString(StandardCharsets.UTF_8).lines().toList();
        }
        int at = lines.lastIndexOf("  " + line);
        assertThat(at).as("printed: %s", line).isNotNegative();
        return lines.get(at + 1).substring(2);
    }

    /** The rejection event of the request {@code token}, once the function has processed it. */
    private static PublishedEvent awaitRejection(String token) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (System.nanoTime() < deadline) {
            for (PublishedEvent event : stack.eventBridge().events("Access Change Rejected")) {
                if (token.equals(event.detail().get("clientRequestToken"))) {
                    return event;
                }
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no rejection of " + token + " within 20 s");
    }

    private static String schedulerEndpoint() {
        return stack.scheduler().endpoint().toString();
    }

    private static String eksEndpoint() {
        return stack.eks().endpoint().toString();
    }

    private record CliResult(int exitCode, String stdout, String stderr) {
    }

    private static CliResult aws(String... arguments) {
        List<String> command = new ArrayList<>(List.of("aws"));
        command.addAll(List.of(arguments));
        return aws(command);
    }

    /** Runs a command that must succeed. */
    private static CliResult aws(List<String> command) {
        CliResult result = run(command);
        assertThat(result.exitCode()).as("%s failed: %s", command, result.stderr()).isZero();
        return result;
    }

    private static CliResult run(List<String> command) {
        return run(command, Map.of());
    }

    private static CliResult run(List<String> command, Map<String, String> extraEnvironment) {
        ProcessBuilder builder = new ProcessBuilder(command);
        Map<String, String> environment = builder.environment();
        // Only the dummy credentials the README prints; nothing from the user's own AWS configuration.
        environment.keySet().removeIf(name -> name.startsWith("AWS_"));
        environment.put("AWS_ACCESS_KEY_ID", "dummy");
        environment.put("AWS_SECRET_ACCESS_KEY", "dummy");
        environment.put("AWS_DEFAULT_REGION", "us-east-1");
        environment.put("AWS_CONFIG_FILE", folder.resolve("no-config").toString());
        environment.put("AWS_SHARED_CREDENTIALS_FILE", folder.resolve("no-credentials").toString());
        environment.put("AWS_PAGER", "");
        environment.put("AWS_EC2_METADATA_DISABLED", "true");
        environment.putAll(extraEnvironment);
        Path stdout = folder.resolve("stdout.txt");
        Path stderr = folder.resolve("stderr.txt");
        builder.redirectOutput(stdout.toFile()).redirectError(stderr.toFile());
        Process process;
        try {
            process = builder.start();
        } catch (IOException notInstalled) {
            throw new AssertionError("These tests need the AWS CLI ('aws' on the PATH; v1 or v2): "
                    + "https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html", notInstalled);
        }
        try {
            if (!process.waitFor(CLI_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError(command + " did not finish within " + CLI_TIMEOUT);
            }
            return new CliResult(process.exitValue(), Files.readString(stdout), Files.readString(stderr));
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", interrupted);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Map<String, Object> json(CliResult result) {
        try {
            return JSON.std.mapFrom(result.stdout());
        } catch (IOException notJson) {
            throw new AssertionError("the CLI did not print JSON: " + result.stdout(), notJson);
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> accessEntry(CliResult result) {
        return (Map<String, Object>) json(result).get("accessEntry");
    }
}
