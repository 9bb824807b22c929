package dev.eksaccessupdater.observability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.amazonaws.services.lambda.runtime.logging.LogLevel;
import dev.eksaccessupdater.eks.AccessEntries;
import dev.eksaccessupdater.eks.AccessEntry;
import dev.eksaccessupdater.eks.AccessEntryUpdate;
import dev.eksaccessupdater.events.AccessEvent;
import dev.eksaccessupdater.failure.ConfigurationException;
import dev.eksaccessupdater.failure.RetryableException;
import dev.eksaccessupdater.processing.BatchResult;
import dev.eksaccessupdater.processing.MessageResult;
import dev.eksaccessupdater.processing.OutcomeLog;
import dev.eksaccessupdater.testing.TestBudgets;
import dev.eksaccessupdater.time.CallBudget;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ObservabilityTest {

    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-29T12:00:00Z"), ZoneOffset.UTC);

    private static Map<String, String> namespaceVariable(String value) {
        Map<String, String> environment = new HashMap<>();
        environment.put(Observability.METRICS_NAMESPACE, value);
        return environment;
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "                | EksAccessUpdater",
        "'   '           | EksAccessUpdater",
        "Platform/Access | Platform/Access",
        "' team-a.eks '  | team-a.eks",
        "a#b:c d_e-f     | a#b:c d_e-f"})
    void metricsNamespace_whenValidOrUnset_isTheValueOrTheDefault(String value, String expected) {
        assertThat(Observability.metricsNamespace(namespaceVariable(value).get(Observability.METRICS_NAMESPACE))).isEqualTo(expected);
    }

    @ParameterizedTest
    @ValueSource(strings = {"AWS/Lambda", "café", "a\nb", "{x}"})
    void metricsNamespace_whenInvalid_failsNamingTheVariable(String value) {
        assertThatThrownBy(() -> Observability.metricsNamespace(namespaceVariable(value).get(Observability.METRICS_NAMESPACE)))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("METRICS_NAMESPACE");
    }

    @Test
    void metricsNamespace_whenLongerThanCloudWatchAllows_fails() {
        assertThatThrownBy(() -> Observability.metricsNamespace("n".repeat(256)))
                .isInstanceOf(ConfigurationException.class);
        assertThat(Observability.metricsNamespace("n".repeat(255))).hasSize(255);
    }

    @Test
    void both_callsTheFirstThenTheSecond() {
        List<String> calls = new ArrayList<>();
        OutcomeLog log = Observability.both(recorder("first", calls), recorder("second", calls));

        log.message(null);
        log.batch(null);
        log.defect(null, null);

        assertThat(calls).containsExactly("first message", "second message", "first batch", "second batch",
                "first defect", "second defect");
    }

    @Test
    void lambdaRuntime_outsideLambda_writesTheObjectAsOneLine() {
        PrintStream original = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            LogOutput.lambdaRuntime().write(LogLevel.INFO, "{\"event\":\"batch\"}");
        } finally {
            System.setOut(original);
        }
        assertThat(captured.toString(StandardCharsets.UTF_8)).isEqualTo("{\"event\":\"batch\"}\n");
    }

    @Test
    void timedAccessEntries_whenTheCallFails_reportsItsLatencyAndRethrowsTheSameException() {
        List<ObservedPipeline.Line> lines = new ArrayList<>();
        EmfMetrics metrics = new EmfMetrics("Ns", (level, json) -> lines.add(new ObservedPipeline.Line(level, json)),
                CLOCK);
        RetryableException throttled = new RetryableException("EKS ThrottlingException");
        AccessEntries failing = new AccessEntries() {
            @Override
            public AccessEntry describe(String clusterName, String principalArn, CallBudget budget) {
                throw throttled;
            }

            @Override
            public AccessEntry update(AccessEntryUpdate update, CallBudget budget) {
                throw throttled;
            }
        };
        AtomicLong nanos = new AtomicLong();
        AccessEntries timed = new TimedAccessEntries(failing, metrics, () -> nanos.getAndAdd(1_500_000));

        assertThatThrownBy(() -> timed.describe("demo", ObservedPipeline.DEVELOPERS, TestBudgets.aMinute())).isSameAs(throttled);

        assertThat(lines).singleElement().satisfies(line -> assertThat(line.fields())
                .containsEntry("Operation", "DescribeAccessEntry").containsEntry("EksLatency", 1.5)
                .containsEntry("failed", true));
    }

    @Test
    void timedEventPublisher_whenTheCallSucceeds_reportsItsLatency() {
        List<ObservedPipeline.Line> lines = new ArrayList<>();
        EmfMetrics metrics = new EmfMetrics("Ns", (level, json) -> lines.add(new ObservedPipeline.Line(level, json)),
                CLOCK);
        List<AccessEvent> published = new ArrayList<>();
        AtomicLong nanos = new AtomicLong();
        new TimedEventPublisher((event, budget) -> published.add(event), metrics, () -> nanos.getAndAdd(Duration.ofMillis(40).toNanos()))
                .publish(new AccessEvent(AccessEvent.ACCESS_CHANGE_REJECTED, Map.of(), List.of()), TestBudgets.aMinute());

        assertThat(published).hasSize(1);
        assertThat(lines).singleElement().satisfies(line -> {
            assertThat(line.level()).isEqualTo(LogLevel.UNDEFINED);
            assertThat(line.fields()).containsEntry("Operation", "PutEvents").containsEntry("EventBridgeLatency", 40.0)
                    .containsEntry("failed", false);
        });
    }

    @Test
    void emfMetrics_whenABatchIsEmpty_reportsZeroCountsAndNoReasonCodes() {
        List<ObservedPipeline.Line> lines = new ArrayList<>();
        new EmfMetrics("Ns", (level, json) -> lines.add(new ObservedPipeline.Line(level, json)), CLOCK)
                .batch(new BatchResult(List.of(), Duration.ZERO));

        assertThat(lines).singleElement().satisfies(line -> {
            assertThat(EmbeddedMetricFormat.violations(line)).isEmpty();
            assertThat(line.fields()).containsEntry("Applied", 0).containsEntry("Rejected", 0)
                    .containsEntry("BatchSize", 0);
        });
    }

    private static OutcomeLog recorder(String name, List<String> calls) {
        return new OutcomeLog() {
            @Override
            public void message(MessageResult result) {
                calls.add(name + " message");
            }

            @Override
            public void batch(BatchResult result) {
                calls.add(name + " batch");
            }

            @Override
            public void defect(MessageResult result, RuntimeException defect) {
                calls.add(name + " defect");
            }
        };
    }
}
