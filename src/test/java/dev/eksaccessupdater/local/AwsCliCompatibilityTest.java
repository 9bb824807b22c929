package dev.eksaccessupdater.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.jr.ob.JSON;
import dev.eksaccessupdater.local.LocalStack.Options;
import dev.eksaccessupdater.local.LocalStack.Ports;
import dev.eksaccessupdater.testing.WithDynalite;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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

    @TempDir
    static Path folder;

    private static LocalStack stack;

    @BeforeAll
    static void startStack() {
        Options options = Options.demo(Ports.FREE, false, PROJECT).withServe(true)
                .withEventsFile(folder.resolve("events.jsonl"));
        stack = LocalStack.start(options, PROJECT, new PrintStream(System.out, true, StandardCharsets.UTF_8));
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
