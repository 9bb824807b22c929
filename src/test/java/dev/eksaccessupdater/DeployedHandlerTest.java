package dev.eksaccessupdater;

import static org.assertj.core.api.Assertions.assertThat;

import dev.eksaccessupdater.standin.EksStandIn;
import dev.eksaccessupdater.standin.EventBridgeStandIn;
import dev.eksaccessupdater.testing.Dynalite;
import dev.eksaccessupdater.testing.WithDynalite;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The artefact as Lambda runs it: a fresh JVM, the public no-arg constructor, configuration and endpoints taken only
 * from the standard environment variables (docs/contract.md section 6), so the same code runs against AWS or any
 * stand-in.
 */
@WithDynalite
class DeployedHandlerTest {

    private final Dynalite dynalite;
    private final EksStandIn eks = new EksStandIn().start();
    private final EventBridgeStandIn eventBridge = new EventBridgeStandIn().start();
    private final String table = "deployed-" + UUID.randomUUID();

    DeployedHandlerTest(Dynalite dynalite) {
        this.dynalite = dynalite;
    }

    @BeforeEach
    void seed() {
        dynalite.createIdempotencyTable(table);
        eks.putEntry("demo", "arn:aws:iam::111122223333:role/developers", List.of("dev-editors"), null);
    }

    @AfterEach
    void stop() {
        eks.close();
        eventBridge.close();
    }

    private Map<String, String> environment() {
        Map<String, String> environment = new HashMap<>();
        environment.put("AWS_REGION", "us-east-1");
        environment.put("AWS_ACCESS_KEY_ID", "deployed-test");
        environment.put("AWS_SECRET_ACCESS_KEY", "deployed-test-secret");
        environment.put("AWS_ENDPOINT_URL_DYNAMODB", dynalite.endpoint().toString());
        environment.put("AWS_ENDPOINT_URL_EKS", eks.endpoint().toString());
        environment.put("AWS_ENDPOINT_URL_EVENTBRIDGE", eventBridge.endpoint().toString());
        environment.put("IDEMPOTENCY_TABLE_NAME", table);
        environment.put("EVENT_BUS_NAME", "deployed-bus");
        environment.put("ALLOWED_CLUSTER_NAMES", "demo");
        environment.put("EVENT_SOURCE", "com.example.access");
        return environment;
    }

    private static Result run(Map<String, String> environment, String eventFile) throws IOException, InterruptedException {
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        ProcessBuilder builder = new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", classpath, InvokeOnce.class.getName(), eventFile)
                .redirectErrorStream(true);
        builder.environment().keySet().removeIf(name -> name.startsWith("AWS_") || name.contains("_NAME")
                || name.equals("EVENT_SOURCE") || name.startsWith("ALLOWED_"));
        builder.environment().putAll(environment);
        Process process = builder.start();
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("the child JVM finished").isTrue();
        return new Result(process.exitValue(), new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    private record Result(int exitCode, String output) {
    }

    @Test
    void handler_whenBuiltFromTheEnvironment_usesTheStandardEndpointSettings() throws Exception {
        Result result = run(environment(), "events/sqs-sns-wrapped.json");

        assertThat(result.exitCode()).as(result.output()).isZero();
        assertThat(result.output()).contains("RETRY=[]");
        assertThat(eks.entry("demo", "arn:aws:iam::111122223333:role/developers").kubernetesGroups())
                .isNotEqualTo(List.of("dev-editors"));
        assertThat(eventBridge.events()).singleElement().satisfies(event -> {
            assertThat(event.source()).isEqualTo("com.example.access");
            assertThat(event.eventBusName()).isEqualTo("deployed-bus");
        });
        assertThat(dynalite.dynamoDbClient().scan(scan -> scan.tableName(table)).items()).hasSize(1);
    }

    @Test
    void handler_whenARequiredSettingIsMissing_failsAtInitNamingIt() throws Exception {
        Map<String, String> environment = environment();
        environment.remove("ALLOWED_CLUSTER_NAMES");

        Result result = run(environment, "events/sqs-sns-wrapped.json");

        assertThat(result.exitCode()).isNotZero();
        assertThat(result.output()).contains("ConfigurationException", "ALLOWED_CLUSTER_NAMES is required");
        assertThat(eks.updateCount()).isZero();
        assertThat(eventBridge.events()).isEmpty();
    }

    @Test
    void handler_whenAnyClusterIsAllowed_warnsAtInit() throws Exception {
        Map<String, String> environment = environment();
        environment.put("ALLOWED_CLUSTER_NAMES", "*");

        Result result = run(environment, "events/sqs-sns-wrapped.json");

        assertThat(result.exitCode()).as(result.output()).isZero();
        assertThat(result.output().lines().filter(line -> line.contains("\"event\":\"configuration\"")))
                .singleElement().asString()
                .contains("\"level\":\"WARN\"", "ALLOWED_CLUSTER_NAMES is *");
    }

    @Test
    void handler_whenClustersAreListed_logsNoConfigurationWarning() throws Exception {
        Result result = run(environment(), "events/sqs-sns-wrapped.json");

        assertThat(result.output()).doesNotContain("\"event\":\"configuration\"");
    }
}
