package dev.eksaccessupdater.processing;

import static dev.eksaccessupdater.processing.ProcessingFixture.message;
import static org.assertj.core.api.Assertions.assertThat;

import dev.eksaccessupdater.Configuration;
import dev.eksaccessupdater.failure.ReasonCode;
import dev.eksaccessupdater.request.RequestParser;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Each attempt to get past a guard is rejected with its reason before anything is claimed or any AWS call made. */
class GuardBypassTest {

    private final ProcessingFixture fixture = new ProcessingFixture(2);
    private final MessageProcessor processor = fixture.messageProcessor(
            Configuration.fromEnvironment(Map.of(
                    "IDEMPOTENCY_TABLE_NAME", "table",
                    "EVENT_BUS_NAME", "bus",
                    "ALLOWED_CLUSTER_NAMES", "demo",
                    "ALLOWED_KUBERNETES_GROUPS", "team-*,viewers",
                    "PROTECTED_PRINCIPAL_ARNS", "arn:aws:iam::111122223333:role/Admin")).accessPolicy());

    @AfterEach
    void close() {
        fixture.close();
    }

    private static String request(String principal, String fields) {
        return "{\"clusterName\":\"demo\",\"principalArn\":\"" + principal + "\"," + fields + "}";
    }

    static Stream<Arguments> bypassAttempts() {
        String role = "arn:aws:iam::111122223333:role/developers";
        return Stream.of(
                Arguments.of("protected role, other case", request("arn:aws:iam::111122223333:role/ADMIN",
                        "\"kubernetesGroups\":[\"viewers\"]"), ReasonCode.POLICY_DENIED, "PROTECTED_PRINCIPAL_ARNS"),
                Arguments.of("protected role, with a path", request("arn:aws:iam::111122223333:role/ops/admin",
                        "\"kubernetesGroups\":[\"viewers\"]"), ReasonCode.POLICY_DENIED, "PROTECTED_PRINCIPAL_ARNS"),
                Arguments.of("forbidden group via add", request(role, "\"addKubernetesGroups\":[\"cluster-admins\"]"),
                        ReasonCode.POLICY_DENIED, "ALLOWED_KUBERNETES_GROUPS"),
                Arguments.of("forbidden group by case", request(role, "\"kubernetesGroups\":[\"Team-a\"]"),
                        ReasonCode.POLICY_DENIED, "ALLOWED_KUBERNETES_GROUPS"),
                Arguments.of("forbidden group by leading space", request(role, "\"kubernetesGroups\":[\" team-a\"]"),
                        ReasonCode.POLICY_DENIED, "ALLOWED_KUBERNETES_GROUPS"),
                Arguments.of("cluster not allowed", "{\"clusterName\":\"prod\",\"principalArn\":\"" + role
                        + "\",\"kubernetesGroups\":[]}", ReasonCode.POLICY_DENIED, "ALLOWED_CLUSTER_NAMES"),
                Arguments.of("system: group", request(role, "\"addKubernetesGroups\":[\"system:masters\"]"),
                        ReasonCode.INVALID_MESSAGE, "system:"),
                Arguments.of("oversized body", request(role, "\"username\":\"" + "x".repeat(70_000) + "\""),
                        ReasonCode.INVALID_MESSAGE, "65536"),
                Arguments.of("deep nesting", request(role, "\"metadata\":" + "[".repeat(5_000) + "]".repeat(5_000)),
                        ReasonCode.INVALID_MESSAGE, ""),
                Arguments.of("typo in a field name", request(role, "\"kubernetesGroup\":[\"viewers\"]"),
                        ReasonCode.INVALID_MESSAGE, "kubernetesGroup"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("bypassAttempts")
    void process_whenAGuardIsProbed_rejectsWithoutClaimOrAwsCall(String attempt, String body, ReasonCode code,
                                                                   String named) {
        Outcome outcome = processor.process(processor.parse(message("m1", body)), fixture.budget());

        assertThat(outcome).isInstanceOf(Outcome.Rejected.class);
        assertThat(((Outcome.Rejected) outcome).reasonCode()).isEqualTo(code);
        assertThat(((Outcome.Rejected) outcome).message()).contains(named);
        assertThat(fixture.store.calls()).isEmpty();
        assertThat(fixture.store.items()).isEmpty();
        assertThat(fixture.accessEntries.calls()).isEmpty();
        assertThat(fixture.events.events()).singleElement()
                .satisfies(event -> assertThat(event.detailType()).isEqualTo("Access Change Rejected"));
    }
}
