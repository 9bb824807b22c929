package dev.eksaccessupdater;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.eksaccessupdater.failure.ConfigurationException;
import dev.eksaccessupdater.policy.AccessPolicy;
import dev.eksaccessupdater.policy.GroupPattern;
import dev.eksaccessupdater.request.PrincipalArn;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ConfigurationTest {

    private static final Map<String, String> REQUIRED = Map.of(
            "IDEMPOTENCY_TABLE_NAME", "access-requests",
            "EVENT_BUS_NAME", "access-events",
            "ALLOWED_CLUSTER_NAMES", "prod-1,prod-2");
    private static final Map<String, String> SCHEDULING = Map.of(
            "IDEMPOTENCY_TABLE_NAME", "access-requests",
            "EVENT_BUS_NAME", "access-events",
            "ALLOWED_CLUSTER_NAMES", "prod-1,prod-2",
            "SCHEDULE_GROUP_NAME", "eks-access-expiries",
            "SCHEDULER_ROLE_ARN", "arn:aws:iam::111122223333:role/service/eks-access-expiries",
            "REQUEST_QUEUE_ARN", "arn:aws:sqs:us-east-1:111122223333:eks-access-updater-requests");

    static Stream<Arguments> invalidSettings() {
        return Stream.of(
                invalid("IDEMPOTENCY_TABLE_NAME", null),
                invalid("IDEMPOTENCY_TABLE_NAME", " "),
                invalid("IDEMPOTENCY_TABLE_NAME", "ab"),
                invalid("IDEMPOTENCY_TABLE_NAME", "access requests"),
                invalid("EVENT_BUS_NAME", null),
                invalid("EVENT_BUS_NAME", ""),
                invalid("EVENT_BUS_NAME", "access events"),
                invalid("EVENT_BUS_NAME", "arn:aws:events:us-east-1:1111:event-bus/access-events"),
                invalid("ALLOWED_CLUSTER_NAMES", null),
                invalid("ALLOWED_CLUSTER_NAMES", ""),
                invalid("ALLOWED_CLUSTER_NAMES", "prod-1,,prod-2"),
                invalid("ALLOWED_CLUSTER_NAMES", "prod-1,"),
                invalid("ALLOWED_CLUSTER_NAMES", "*,prod-1"),
                invalid("ALLOWED_CLUSTER_NAMES", "prod-*"),
                invalid("ALLOWED_CLUSTER_NAMES", "-prod"),
                invalid("ALLOWED_CLUSTER_NAMES", "c".repeat(101)),
                invalid("EVENT_SOURCE", "aws.eks"),
                invalid("EVENT_SOURCE", "my source"),
                invalid("EVENT_SOURCE", "s".repeat(257)),
                invalid("IDEMPOTENCY_TTL_SECONDS", "seven days"),
                invalid("IDEMPOTENCY_TTL_SECONDS", "59"),
                invalid("IDEMPOTENCY_TTL_SECONDS", "-1"),
                invalid("IDEMPOTENCY_TTL_SECONDS", "315360001"),
                invalid("IDEMPOTENCY_TTL_SECONDS", "99999999999999999999"),
                invalid("MAX_CONCURRENCY", "0"),
                invalid("MAX_CONCURRENCY", "1001"),
                invalid("MAX_CONCURRENCY", "eight"),
                invalid("MAX_CONCURRENCY", "8.5"),
                invalid("MAX_CONCURRENCY", "+8"),
                invalid("MAX_CONCURRENCY", "\u0668"),
                invalid("TIME_BOUND_GROUPS", "break-glass,"),
                invalid("MAX_GRANT_SECONDS", "299"),
                invalid("MAX_GRANT_SECONDS", "7776001"),
                invalid("MAX_GRANT_SECONDS", "90d"),
                invalid("SCHEDULE_GROUP_NAME", "expiries/prod"),
                invalid("SCHEDULE_GROUP_NAME", "g".repeat(65)),
                invalid("ALLOWED_KUBERNETES_GROUPS", "team-*,,viewers"),
                invalid("PROTECTED_PRINCIPAL_ARNS", "arn:aws:sts::111122223333:assumed-role/Admin/session"),
                invalid("PROTECTED_PRINCIPAL_ARNS", "arn:aws:iam::111122223333:role/Admin,admin"));
    }

    @ParameterizedTest(name = "{0}={1}")
    @MethodSource("invalidSettings")
    void fromEnvironment_whenSettingIsMissingOrInvalid_throwsNamingIt(String variable, String value) {
        Map<String, String> environment = new HashMap<>(REQUIRED);
        environment.put(variable, value);

        assertThatThrownBy(() -> Configuration.fromEnvironment(environment))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining(variable);
    }

    @Test
    void fromEnvironment_whenOnlyRequiredSettingsAreGiven_usesTheDefaults() {
        Configuration configuration = Configuration.fromEnvironment(REQUIRED);

        assertThat(configuration.idempotencyTableName()).isEqualTo("access-requests");
        assertThat(configuration.eventBusName()).isEqualTo("access-events");
        assertThat(configuration.eventSource()).isEqualTo("eks-access-updater");
        assertThat(configuration.idempotencyTtl()).isEqualTo(Duration.ofDays(7));
        assertThat(configuration.maxConcurrency()).isEqualTo(8);
        assertThat(configuration.accessPolicy().allowedClusters())
                .isEqualTo(new AccessPolicy.ClusterScope.Named(Set.of("prod-1", "prod-2")));
        assertThat(configuration.accessPolicy().grantableGroups()).containsExactly(GroupPattern.ANY);
        assertThat(configuration.accessPolicy().maxGrant()).isEmpty();
        assertThat(configuration.accessPolicy().protectedPrincipals()).isEmpty();
        assertThat(configuration.timeBoundGroups()).isEmpty();
        assertThat(configuration.maxGrant()).isEqualTo(Duration.ofDays(90));
        assertThat(configuration.timeBoundGrantsEnabled()).isFalse();
        assertThat(configuration.scheduleGroupName()).isNull();
        assertThat(configuration.schedulerRoleArn()).isNull();
        assertThat(configuration.requestQueueArn()).isNull();
    }

    @Test
    void fromEnvironment_whenOptionalSettingsAreBlank_usesTheDefaults() {
        Map<String, String> environment = new HashMap<>(REQUIRED);
        for (String optional : Set.of("EVENT_SOURCE", "IDEMPOTENCY_TTL_SECONDS", "ALLOWED_KUBERNETES_GROUPS",
                "PROTECTED_PRINCIPAL_ARNS", "MAX_CONCURRENCY", "TIME_BOUND_GROUPS", "MAX_GRANT_SECONDS",
                "SCHEDULE_GROUP_NAME", "SCHEDULER_ROLE_ARN", "REQUEST_QUEUE_ARN")) {
            environment.put(optional, " ");
        }

        assertThat(Configuration.fromEnvironment(environment))
                .isEqualTo(Configuration.fromEnvironment(REQUIRED));
    }

    @Test
    void fromEnvironment_whenClustersAreStar_allowsAnyCluster() {
        Map<String, String> environment = new HashMap<>(REQUIRED);
        environment.put("ALLOWED_CLUSTER_NAMES", " * ");

        Configuration configuration = Configuration.fromEnvironment(environment);

        assertThat(configuration.accessPolicy().allowedClusters()).isEqualTo(new AccessPolicy.ClusterScope.Any());
    }

    @Test
    void fromEnvironment_whenEverySettingIsGiven_readsEach() {
        Map<String, String> environment = new HashMap<>(REQUIRED);
        environment.put("EVENT_BUS_NAME", "arn:aws-us-gov:events:us-gov-west-1:111122223333:event-bus/access-events");
        environment.put("ALLOWED_CLUSTER_NAMES", " prod-1 , prod-2,prod-1");
        environment.put("EVENT_SOURCE", "com.example.eks-access");
        environment.put("IDEMPOTENCY_TTL_SECONDS", "3600");
        environment.put("MAX_CONCURRENCY", "2");
        environment.put("ALLOWED_KUBERNETES_GROUPS", "team-*, viewers");
        environment.put("PROTECTED_PRINCIPAL_ARNS",
                "arn:aws:iam::111122223333:role/Admin,arn:aws:iam::111122223333:user/ops/BreakGlass");

        Configuration configuration = Configuration.fromEnvironment(environment);

        assertThat(configuration.eventBusName()).endsWith(":event-bus/access-events");
        assertThat(configuration.eventSource()).isEqualTo("com.example.eks-access");
        assertThat(configuration.idempotencyTtl()).isEqualTo(Duration.ofHours(1));
        assertThat(configuration.maxConcurrency()).isEqualTo(2);
        assertThat(configuration.accessPolicy().allowedClusters())
                .isEqualTo(new AccessPolicy.ClusterScope.Named(Set.of("prod-1", "prod-2")));
        assertThat(configuration.accessPolicy().grantableGroups()).extracting(GroupPattern::glob)
                .containsExactly("team-*", "viewers");
        assertThat(configuration.accessPolicy().protectedPrincipals()).containsExactlyInAnyOrder(
                PrincipalArn.parse("arn:aws:iam::111122223333:role/admin"),
                PrincipalArn.parse("arn:aws:iam::111122223333:user/breakglass"));
    }

    @Test
    void fromEnvironment_whenEventSourceOnlyContainsAws_acceptsIt() {
        Map<String, String> environment = new HashMap<>(REQUIRED);
        environment.put("EVENT_SOURCE", "awsome.events");

        assertThat(Configuration.fromEnvironment(environment).eventSource()).isEqualTo("awsome.events");
    }

    static Stream<Arguments> invalidSchedulingSettings() {
        return Stream.of(
                invalid("SCHEDULER_ROLE_ARN", null),
                invalid("SCHEDULER_ROLE_ARN", " "),
                invalid("SCHEDULER_ROLE_ARN", "arn:aws:iam::111122223333:user/scheduler"),
                invalid("SCHEDULER_ROLE_ARN", "arn:aws:iam::1111:role/scheduler"),
                invalid("SCHEDULER_ROLE_ARN", "arn:aws:iam::111122223333:role/" + "r".repeat(1600)),
                invalid("REQUEST_QUEUE_ARN", null),
                invalid("REQUEST_QUEUE_ARN", "https://sqs.us-east-1.amazonaws.com/111122223333/requests"),
                invalid("REQUEST_QUEUE_ARN", "arn:aws:sns:us-east-1:111122223333:requests"),
                invalid("REQUEST_QUEUE_ARN", "arn:aws:sqs:us-east-1:111122223333:" + "q".repeat(81)),
                invalid("REQUEST_QUEUE_ARN", "arn:aws:sqs:us-east-1:111122223333:requests.fifo.fifo"));
    }

    @ParameterizedTest(name = "{0}={1}")
    @MethodSource("invalidSchedulingSettings")
    void fromEnvironment_whenAScheduleGroupIsSetAndItsRoleOrQueueIsMissingOrInvalid_throwsNamingIt(String variable,
                                                                                                 String value) {
        Map<String, String> environment = new HashMap<>(SCHEDULING);
        environment.put(variable, value);

        assertThatThrownBy(() -> Configuration.fromEnvironment(environment))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining(variable);
    }

    @Test
    void fromEnvironment_whenTimeBoundGrantsAreConfigured_readsEverySetting() {
        Map<String, String> environment = new HashMap<>(SCHEDULING);
        environment.put("TIME_BOUND_GROUPS", "break-glass-*, oncall");
        environment.put("MAX_GRANT_SECONDS", "300");

        Configuration configuration = Configuration.fromEnvironment(environment);

        assertThat(configuration.timeBoundGroups()).extracting(GroupPattern::glob)
                .containsExactly("break-glass-*", "oncall");
        assertThat(configuration.maxGrant()).isEqualTo(Duration.ofMinutes(5));
        assertThat(configuration.timeBoundGrantsEnabled()).isTrue();
        assertThat(configuration.scheduleGroupName()).isEqualTo("eks-access-expiries");
        assertThat(configuration.accessPolicy().maxGrant()).contains(Duration.ofMinutes(5));
        assertThat(configuration.accessPolicy().timeBoundGroups()).isEqualTo(configuration.timeBoundGroups());
        assertThat(configuration.schedulerRoleArn()).isEqualTo(SCHEDULING.get("SCHEDULER_ROLE_ARN"));
        assertThat(configuration.requestQueueArn()).isEqualTo(SCHEDULING.get("REQUEST_QUEUE_ARN"));
    }

    @Test
    void fromEnvironment_whenTheRequestQueueIsFifo_acceptsItsArn() {
        Map<String, String> environment = new HashMap<>(SCHEDULING);
        environment.put("REQUEST_QUEUE_ARN", "arn:aws-us-gov:sqs:us-gov-west-1:111122223333:requests.fifo");

        assertThat(Configuration.fromEnvironment(environment).requestQueueArn()).endsWith(":requests.fifo");
    }

    @Test
    void fromEnvironment_whenNoScheduleGroupIsSet_ignoresTheRoleAndQueue() {
        Map<String, String> environment = new HashMap<>(REQUIRED);
        environment.put("SCHEDULER_ROLE_ARN", "not an arn");
        environment.put("REQUEST_QUEUE_ARN", "not an arn");

        Configuration configuration = Configuration.fromEnvironment(environment);

        assertThat(configuration.timeBoundGrantsEnabled()).isFalse();
        assertThat(configuration.schedulerRoleArn()).isNull();
        assertThat(configuration.requestQueueArn()).isNull();
    }

    private static Arguments invalid(String variable, String value) {
        return Arguments.of(variable, value);
    }

    @Test
    void warnings_whenAnyClusterAllowed_warnsThatEveryClusterIsReachable() {
        Map<String, String> environment = new HashMap<>(REQUIRED);
        environment.put("ALLOWED_CLUSTER_NAMES", "*");

        assertThat(Configuration.fromEnvironment(environment).warnings())
                .singleElement().asString().contains("ALLOWED_CLUSTER_NAMES is *");
    }

    @Test
    void warnings_whenClustersListed_isEmpty() {
        assertThat(Configuration.fromEnvironment(REQUIRED).warnings()).isEmpty();
    }

    @Test
    void fromEnvironment_whenMetricsNamespaceInvalid_failsNamingIt() {
        Map<String, String> environment = new HashMap<>(REQUIRED);
        environment.put("METRICS_NAMESPACE", "AWS/Lambda");

        assertThatThrownBy(() -> Configuration.fromEnvironment(environment))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("METRICS_NAMESPACE");
    }

    @Test
    void fromEnvironment_whenMetricsNamespaceUnset_usesTheDefault() {
        assertThat(Configuration.fromEnvironment(REQUIRED).metricsNamespace()).isEqualTo("EksAccessUpdater");
    }
}
