package dev.eksaccessupdater.processing;

import static dev.eksaccessupdater.processing.ProcessingFixture.DEVELOPERS;
import static dev.eksaccessupdater.processing.ProcessingFixture.NOW;
import static dev.eksaccessupdater.processing.ProcessingFixture.OPERATORS;
import static dev.eksaccessupdater.processing.ProcessingFixture.fifo;
import static dev.eksaccessupdater.processing.ProcessingFixture.message;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.jr.ob.JSON;
import dev.eksaccessupdater.failure.RetryableException;
import dev.eksaccessupdater.observability.JsonOutcomeLog;
import dev.eksaccessupdater.request.RequestParser;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;

class BatchProcessorTest {

    private static String add(String principal, String group, String token) {
        return "{\"clusterName\":\"demo\",\"principalArn\":\"" + principal + "\",\"addKubernetesGroups\":[\"" + group
                + "\"],\"clientRequestToken\":\"" + token + "\"}";
    }

    private static List<String> outcomes(BatchResult result) {
        return result.results().stream().map(message -> message.outcome().name()).toList();
    }

    @Test
    void process_whenFifoMessageFails_retriesTheRestOfItsGroupUnprocessedAndGoesOnWithOtherGroups() {
        try (ProcessingFixture fixture = new ProcessingFixture(4)) {
            fixture.accessEntries.failFor(OPERATORS, new RetryableException("throttled"));

            BatchResult result = fixture.batchProcessor.process(List.of(
                    fifo("a1", "A", add(OPERATORS, "x", "a1")),
                    fifo("b1", "B", add(DEVELOPERS, "b-1", "b1")),
                    fifo("a2", "A", add(DEVELOPERS, "x", "a2")),
                    fifo("b2", "B", add(DEVELOPERS, "b-2", "b2"))), fixture.invocation());

            assertThat(outcomes(result)).containsExactly("RETRY", "APPLIED", "RETRY", "APPLIED");
            assertThat(((Outcome.Retry) result.results().get(2).outcome()).reason()).contains("FIFO group A");
            assertThat(fixture.store.calls()).doesNotContain("claim a2");
            assertThat(fixture.accessEntries.updates()).extracting(update -> update.kubernetesGroups())
                    .containsExactly(List.of("b-1", "viewers"), List.of("b-1", "b-2", "viewers"));
            assertThat(result.retriedMessageIds()).containsExactly("a1", "a2");
        }
    }

    @Test
    void process_whenFifoMessageRejected_goesOnWithItsGroup() {
        try (ProcessingFixture fixture = new ProcessingFixture(4)) {
            BatchResult result = fixture.batchProcessor.process(List.of(
                    fifo("a1", "A", "{broken"),
                    fifo("a2", "A", add(DEVELOPERS, "x", "a2"))), fixture.invocation());

            assertThat(outcomes(result)).containsExactly("REJECTED", "APPLIED");
        }
    }

    @Test
    void process_whenStandardBatch_runsAtMostMaxConcurrencyMessagesAtOnce() {
        try (ProcessingFixture fixture = new ProcessingFixture(3)) {
            fixture.accessEntries.latency = Duration.ofMillis(40);
            List<QueueMessage> messages = new ArrayList<>();
            for (int index = 0; index < 12; index++) {
                String principal = "arn:aws:iam::111122223333:role/team-" + index;
                fixture.accessEntries.put(ProcessingFixture.CLUSTER, principal, List.of(), "u", "STANDARD");
                messages.add(message("m" + index, add(principal, "g" + index, "t" + index)));
            }

            BatchResult result = fixture.batchProcessor.process(messages, fixture.invocation());

            assertThat(outcomes(result)).containsOnly("APPLIED").hasSize(12);
            assertThat(fixture.accessEntries.maxInFlight()).isEqualTo(3);
        }
    }

    @Test
    void process_whenTwoMessagesChangeOneEntry_appliesThemOneAfterTheOtherSoNeitherUndoesTheOther() {
        try (ProcessingFixture fixture = new ProcessingFixture(4)) {
            fixture.accessEntries.latency = Duration.ofMillis(30);
            String newUsername = "{\"clusterName\":\"demo\",\"principalArn\":\"" + DEVELOPERS
                    + "\",\"username\":\"renamed\"}";

            BatchResult result = fixture.batchProcessor.process(
                    List.of(message("m1", add(DEVELOPERS, "team-a", "t1")), message("m2", newUsername)),
                    fixture.invocation());

            assertThat(outcomes(result)).containsExactly("APPLIED", "APPLIED");
            assertThat(fixture.accessEntries.entry(ProcessingFixture.CLUSTER, DEVELOPERS).kubernetesGroups())
                    .containsExactly("team-a", "viewers");
            assertThat(fixture.accessEntries.entry(ProcessingFixture.CLUSTER, DEVELOPERS).username()).isEqualTo("renamed");
            assertThat(fixture.accessEntries.maxInFlight()).isEqualTo(1);
        }
    }

    @Test
    void process_whenTwoMessagesShareAToken_appliesOnceAndReportsTheOtherAsDuplicate() {
        try (ProcessingFixture fixture = new ProcessingFixture(4)) {
            String body = add(DEVELOPERS, "x", "same");

            BatchResult result = fixture.batchProcessor.process(List.of(message("m1", body), message("m2", body)),
                    fixture.invocation());

            assertThat(outcomes(result)).containsExactly("APPLIED", "DUPLICATE");
            assertThat(fixture.accessEntries.updates()).hasSize(1);
            assertThat(fixture.events.events()).hasSize(1);
        }
    }

    @Test
    void process_whenTooLittleTimeIsLeft_retriesEveryMessageUnclaimed() {
        try (ProcessingFixture fixture = new ProcessingFixture(2, Clock.fixed(NOW, ZoneOffset.UTC))) {
            BatchResult result = fixture.batchProcessor.process(
                    List.of(message("m1", add(DEVELOPERS, "x", "t1")), message("m2", "{broken")),
                    new Invocation(NOW.plus(BatchProcessor.SAFETY_MARGIN).minusMillis(1)));

            assertThat(outcomes(result)).containsExactly("RETRY", "RETRY");
            assertThat(fixture.store.calls()).isEmpty();
            assertThat(fixture.events.events()).isEmpty();
        }
    }

    @Test
    void process_whenAPortHasADefect_retriesThatMessageAndFinishesTheOthers() {
        try (ProcessingFixture fixture = new ProcessingFixture(2)) {
            MessageProcessor defective = fixture.messageProcessor(fixture.policy, (event, budget) -> {
                if (event.detailType().equals("Access Entry Updated")) {
                    throw new IllegalStateException("defect");
                }
            });
            ExecutorService pool = Executors.newFixedThreadPool(2);
            try {
                BatchResult result = new BatchProcessor(defective, pool, new JsonOutcomeLog(line -> { }), Clock.systemUTC())
                        .process(List.of(message("m1", add(DEVELOPERS, "x", "t1")), message("m2", "{broken")),
                                fixture.invocation());

                assertThat(outcomes(result)).containsExactly("RETRY", "REJECTED");
                assertThat(((Outcome.Retry) result.results().get(0).outcome()).reason()).contains("IllegalStateException");
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Test
    void process_whenAPortHasADefect_logsItsStackTraceOnceAsOneJsonLine() throws IOException {
        try (ProcessingFixture fixture = new ProcessingFixture(2)) {
            MessageProcessor defective = fixture.messageProcessor(fixture.policy, (event, budget) -> {
                throw new IllegalStateException("defect", new ArithmeticException("its cause"));
            });
            List<String> lines = new ArrayList<>();
            ExecutorService pool = Executors.newFixedThreadPool(2);
            try {
                new BatchProcessor(defective, pool, new JsonOutcomeLog(lines::add), Clock.systemUTC())
                        .process(List.of(message("m1", add(DEVELOPERS, "secret-group", "t1"))), fixture.invocation());
            } finally {
                pool.shutdownNow();
            }

            List<Map<String, Object>> parsed = new ArrayList<>();
            for (String line : lines) {
                assertThat(line).doesNotContain("\n").doesNotContain("secret-group");
                parsed.add(JSON.std.mapFrom(line));
            }
            assertThat(parsed).extracting(line -> line.get("event")).containsExactly("defect", "message", "batch");
            Map<String, Object> defect = parsed.get(0);
            assertThat(defect).containsEntry("level", "ERROR").containsEntry("messageId", "m1")
                    .containsEntry("clientRequestToken", "t1")
                    .containsEntry("exception", IllegalStateException.class.getName());
            assertThat((String) defect.get("stackTrace"))
                    .startsWith("java.lang.IllegalStateException: defect")
                    .contains("\tat dev.eksaccessupdater.processing.BatchProcessorTest")
                    .contains("Caused by: java.lang.ArithmeticException: its cause");
            assertThat(parsed.get(1)).containsEntry("outcome", "RETRY");
        }
    }

    @Test
    void process_logsOneLinePerMessageAndOnePerBatch() {
        try (ProcessingFixture fixture = new ProcessingFixture(2)) {
            fixture.batchProcessor.process(List.of(message("m1", add(DEVELOPERS, "x", "t1")), message("m2", "{broken")),
                    fixture.invocation());

            assertThat(fixture.logLines).hasSize(3);
            assertThat(fixture.logLines).anySatisfy(line -> assertThat(line)
                    .contains("\"messageId\":\"m1\"", "\"outcome\":\"APPLIED\"", "\"clientRequestToken\":\"t1\""));
            assertThat(fixture.logLines).anySatisfy(line -> assertThat(line)
                    .contains("\"messageId\":\"m2\"", "\"outcome\":\"REJECTED\"", "\"reasonCode\":\"INVALID_MESSAGE\""));
            assertThat(fixture.logLines.get(2)).contains("\"event\":\"batch\"", "\"size\":2");
        }
    }
}
