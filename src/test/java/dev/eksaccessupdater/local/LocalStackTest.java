package dev.eksaccessupdater.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.eksaccessupdater.local.LocalStack.Options;
import dev.eksaccessupdater.local.LocalStack.Ports;
import dev.eksaccessupdater.standin.EksStandIn;
import dev.eksaccessupdater.standin.SchedulerStandIn;
import dev.eksaccessupdater.standin.EventBridgeStandIn.PublishedEvent;
import dev.eksaccessupdater.testing.WithDynalite;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.dynamodb.model.CreateTableRequest;
import software.amazon.awssdk.services.sqs.model.Message;

/** The default run of {@code ./run-local.sh}, in-process on free ports, and its command line. */
@WithDynalite
class LocalStackTest {

    private static final Path PROJECT = Path.of(System.getProperty("basedir", "")).toAbsolutePath();

    @TempDir
    Path folder;

    @Test
    void run_whenDefaultDemo_tellsFiveStoriesAndLeavesTheirTraces() throws IOException {
        ByteArrayOutputStream narration = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(new Tee(narration, System.out), true, StandardCharsets.UTF_8);
        Path eventsFile = folder.resolve("events.jsonl");
        Options options = Options.demo(Ports.FREE, false, PROJECT).withEventsFile(eventsFile);

        try (LocalStack stack = LocalStack.start(options, PROJECT, out)) {
            assertThat(new LocalDemo(stack, out).run()).isTrue();

            EksStandIn eks = stack.eks();
            assertThat(eks.entry(LocalStack.CLUSTER_NAME, LocalDemo.DEVELOPERS).kubernetesGroups())
                    .containsExactlyInAnyOrder("dev-viewers", "dev-deployers");
            assertThat(eks.requests(EksStandIn.UPDATE))
                    .filteredOn(request -> LocalDemo.DEVELOPERS.equals(request.principalArn()))
                    .as("the duplicate made no second update")
                    .hasSize(1);
            assertThat(stack.eventBridge().events("Access Change Rejected")).singleElement()
                    .extracting(PublishedEvent::detail)
                    .satisfies(detail -> assertThat(detail.get("reason")).isEqualTo(Map.of(
                            "code", "INVALID_MESSAGE", "message", "unknown field: kubernetesGroup")));
            assertThat(eks.entry(LocalStack.CLUSTER_NAME, LocalDemo.DEPLOYERS).kubernetesGroups())
                    .containsExactly("deployers");
            assertThat(eks.entry(LocalStack.CLUSTER_NAME, LocalDemo.ALICE).kubernetesGroups())
                    .as("the grant's expiry removed the group").doesNotContain(LocalDemo.GRANTED_GROUP);
            assertThat(eks.requests(EksStandIn.UPDATE))
                    .filteredOn(request -> LocalDemo.ALICE.equals(request.principalArn()))
                    .as("the grant, then its expiry").hasSize(2);
            List<Message> deadLetters = stack.queues().sqsClient().receiveMessage(request -> request
                    .queueUrl(stack.queuePair().deadLetters().url()).maxNumberOfMessages(10)).messages();
            assertThat(deadLetters).extracting(Message::body).containsExactly(LocalDemo.FAILING_REQUEST);
            assertThat(stack.functionSettings())
                    .containsEntry("REQUEST_QUEUE_ARN", stack.queuePair().requests().arn())
                    .containsEntry("SCHEDULE_GROUP_NAME", LocalStack.SCHEDULE_GROUP_NAME);
            assertThat(stack.scheduler().groups()).contains(LocalStack.SCHEDULE_GROUP_NAME);
            assertThat(stack.scheduler().requests(SchedulerStandIn.CREATE)).as("only the time-bound grant has a schedule")
                    .singleElement().satisfies(request -> assertThat(request.rawBody()).contains(LocalDemo.GRANT_TOKEN));
        }
        assertThat(Files.readAllLines(eventsFile)).hasSize(4)
                .satisfies(lines -> assertThat(lines.get(0)).contains("\"detail-type\":\"Access Entry Updated\""))
                .satisfies(lines -> assertThat(lines.get(1)).contains("\"detail-type\":\"Access Change Rejected\""))
                .satisfies(lines -> assertThat(lines.get(2)).contains("\"expiresAt\":"))
                .satisfies(lines -> assertThat(lines.get(3)).contains("\"expiryOf\":\"" + LocalDemo.GRANT_TOKEN + "\""));
        assertThat(narration.toString(StandardCharsets.UTF_8))
                .contains("reason INVALID_MESSAGE: unknown field: kubernetesGroup")
                .contains("(outcome DUPLICATE): 0 calls to EKS, 0 new events")
                .contains("All five stories happened as expected");
    }

    @Test
    void run_whenOptionUnknown_printsUsageAndReturnsTwo() {
        ByteArrayOutputStream output = new ByteArrayOutputStream();

        int status = LocalStack.run(List.of("--serv"), PROJECT, new PrintStream(output, true, StandardCharsets.UTF_8));

        assertThat(status).isEqualTo(2);
        assertThat(output.toString(StandardCharsets.UTF_8)).contains("unknown option: --serv").contains("Usage:");
    }

    @Test
    void parse_whenServe_usesFixedPortsAndTheTemplatesQueueSettings() {
        TemplateDefaults template = TemplateDefaults.load(PROJECT);

        Options options = Options.parse(List.of("--serve", "--fifo"), PROJECT, template);

        assertThat(options.ports()).isEqualTo(new Ports(9324, 8000, 8001, 8002, 8003));
        assertThat(options.fifo()).isTrue();
        assertThat(options.maxReceiveCount()).isEqualTo(template.maxReceiveCount()).isEqualTo(5);
        assertThat(options.visibilityTimeoutSeconds()).isEqualTo(template.visibilityTimeoutSeconds());
    }

    @Test
    void functionSettings_addTheSettingsOfTimeBoundGrantsToThePolicy() {
        Map<String, String> settings = LocalStack.functionSettings("arn:aws:sqs:us-east-1:123456789012:requests");

        assertThat(settings).containsAllEntriesOf(LocalStack.FUNCTION_SETTINGS)
                .containsEntry("SCHEDULE_GROUP_NAME", "eks-access-updater-expiries")
                .containsEntry("SCHEDULER_ROLE_ARN", "arn:aws:iam::123456789012:role/eks-access-updater-scheduler")
                .containsEntry("REQUEST_QUEUE_ARN", "arn:aws:sqs:us-east-1:123456789012:requests")
                .hasSize(LocalStack.FUNCTION_SETTINGS.size() + 3);
    }

    @Test
    void parse_whenDemo_usesShortRetriesAndFreePorts() {
        Options options = Options.parse(List.of("--max-receive-count", "2"), PROJECT, TemplateDefaults.load(PROJECT));

        assertThat(options.ports()).isEqualTo(Ports.FREE);
        assertThat(options.maxReceiveCount()).isEqualTo(2);
        assertThat(options.visibilityTimeoutSeconds()).isEqualTo(LocalStack.DEMO_VISIBILITY_TIMEOUT_SECONDS);
        assertThat(options.seedFile()).isEqualTo(PROJECT.resolve("local/seed.json"));
    }

    @Test
    void parse_whenVisibilityTimeoutWithinTheSafetyMargin_isRefused() {
        assertThatThrownBy(() -> Options.parse(List.of("--visibility-timeout", "3"), PROJECT,
                TemplateDefaults.load(PROJECT)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("--visibility-timeout must be more than 3 s");
    }

    @Test
    void createIdempotencyTable_whenTemplateRead_usesItsKeyAndBillingMode() {
        TemplateDefaults template = TemplateDefaults.load(PROJECT);

        CreateTableRequest request = template.createIdempotencyTable("table");

        assertThat(request.keySchema()).singleElement()
                .satisfies(key -> assertThat(key.attributeName()).isEqualTo("clientRequestToken"))
                .satisfies(key -> assertThat(key.keyTypeAsString()).isEqualTo("HASH"));
        assertThat(request.billingModeAsString()).isEqualTo("PAY_PER_REQUEST");
        assertThat(template.timeToLiveAttribute()).isEqualTo("expiresAt");
    }

    /** Writes to two streams: the test keeps the narration and the log still shows it. */
    private static final class Tee extends OutputStream {

        private final OutputStream first;
        private final OutputStream second;

        Tee(OutputStream first, OutputStream second) {
            this.first = first;
            this.second = second;
        }

        @Override
        public void write(int b) throws IOException {
            first.write(b);
            second.write(b);
        }

        @Override
        public void write(byte[] bytes, int offset, int length) throws IOException {
            first.write(bytes, offset, length);
            second.write(bytes, offset, length);
        }

        @Override
        public void flush() throws IOException {
            first.flush();
            second.flush();
        }
    }
}
