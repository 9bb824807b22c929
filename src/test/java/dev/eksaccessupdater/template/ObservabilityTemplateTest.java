package dev.eksaccessupdater.template;

import static dev.eksaccessupdater.template.CloudFormationTemplate.asList;
import static dev.eksaccessupdater.template.CloudFormationTemplate.asMap;
import static dev.eksaccessupdater.template.TemplateTest.FUNCTION;
import static dev.eksaccessupdater.template.TemplateTest.deployed;
import static dev.eksaccessupdater.template.TemplateTest.defaultOf;
import static dev.eksaccessupdater.template.TemplateTest.environment;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.jr.ob.JSON;
import dev.eksaccessupdater.eks.AccessEntry;
import dev.eksaccessupdater.events.AccessEvent;
import dev.eksaccessupdater.events.AccessEvents;
import dev.eksaccessupdater.events.EventSchemas;
import dev.eksaccessupdater.observability.EmfMetrics;
import dev.eksaccessupdater.observability.ObservedPipeline;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The issue-7 parts of template.yaml: alarms, dashboard, schema registry, audit rule, metrics namespace, tracing. */
class ObservabilityTemplateTest {

    static final List<String> ALARMS = List.of("DeadLetterQueueAlarm", "RequestQueueAgeAlarm", "RejectionRateAlarm",
            "FunctionErrorsAlarm", "FunctionThrottlesAlarm", "ExpiryDroppedAlarm");
    static final String TOPIC = "arn:aws:sns:us-east-1:111122223333:ops-alarms";
    static final String NAMESPACE = "Ns";
    private static final Pattern SUB_VARIABLE = Pattern.compile("\\$\\{([^}]+)}");

    /** Metric names by dimension set ("" for none, else the dimension names joined), as the function prints them. */
    static final Map<String, Set<String>> EMITTED = emittedMetrics();

    private static Map<String, Set<String>> emittedMetrics() {
        Map<String, Set<String>> emitted = new LinkedHashMap<>();
        for (Map<String, Object> line : ObservedPipeline.everyOutcomeOutput()) {
            Object metadata = line.get("_aws");
            if (metadata == null) {
                continue;
            }
            for (Object directive : asList(asMap(metadata).get("CloudWatchMetrics"))) {
                for (Object dimensions : asList(asMap(directive).get("Dimensions"))) {
                    String key = String.join(",", asList(dimensions).stream().map(String::valueOf).toList());
                    for (Object metric : asList(asMap(directive).get("Metrics"))) {
                        emitted.computeIfAbsent(key, ignored -> new HashSet<>())
                                .add((String) asMap(metric).get("Name"));
                    }
                }
            }
        }
        return emitted;
    }

    static Stream<String> alarms() {
        return ALARMS.stream();
    }

    @ParameterizedTest
    @MethodSource("alarms")
    void alarm_whenATopicIsGiven_notifiesItOnAlarmAndRecovery(String alarm) {
        assertThat(deployed("AlarmTopicArn", TOPIC).properties(alarm))
                .containsEntry("AlarmActions", List.of(Map.of("Ref", "AlarmTopicArn")))
                .containsEntry("OKActions", List.of(Map.of("Ref", "AlarmTopicArn")))
                .containsEntry("TreatMissingData", "notBreaching")
                .containsKey("AlarmDescription");
        assertThat(deployed().properties(alarm)).doesNotContainKeys("AlarmActions", "OKActions");
    }

    @Test
    void alarms_areExactlyThoseOfTheRunbook() {
        assertThat(deployed().resourcesOfType("AWS::CloudWatch::Alarm")).containsExactlyInAnyOrderElementsOf(ALARMS);
    }

    @Test
    void requestQueueAgeAlarm_watchesTheOldestRequestAgainstTheParameter() {
        assertThat(deployed().properties("RequestQueueAgeAlarm")).containsEntry("Namespace", "AWS/SQS")
                .containsEntry("MetricName", "ApproximateAgeOfOldestMessage").containsEntry("Statistic", "Maximum")
                .containsEntry("Dimensions", List.of(Map.of("Name", "QueueName",
                        "Value", Map.of("Fn::GetAtt", List.of("RequestQueue", "QueueName")))))
                .containsEntry("Threshold", Map.of("Ref", "OldestMessageAgeAlarmSeconds"))
                .containsEntry("ComparisonOperator", "GreaterThanThreshold");
    }

    @Test
    void expiryDroppedAlarm_watchesExpiriesSchedulerGaveUpOnInTheStacksGroup() {
        assertThat(deployed().properties("ExpiryDroppedAlarm")).containsEntry("Namespace", "AWS/Scheduler")
                .containsEntry("MetricName", "InvocationDroppedCount").containsEntry("Statistic", "Sum")
                .containsEntry("Dimensions", List.of(Map.of("Name", "ScheduleGroup",
                        "Value", Map.of("Ref", "ExpiryScheduleGroup"))))
                .containsEntry("Threshold", 0).containsEntry("ComparisonOperator", "GreaterThanThreshold");
    }

    @Test
    void functionAlarms_watchErrorsAndThrottlesOfTheFunction() {
        for (String alarm : List.of("FunctionErrorsAlarm", "FunctionThrottlesAlarm")) {
            assertThat(deployed().properties(alarm)).as(alarm).containsEntry("Namespace", "AWS/Lambda")
                    .containsEntry("Dimensions", List.of(Map.of("Name", "FunctionName",
                            "Value", Map.of("Ref", FUNCTION))))
                    .containsEntry("Statistic", "Sum").containsEntry("Threshold", 0)
                    .containsEntry("ComparisonOperator", "GreaterThanThreshold");
        }
        assertThat(deployed().properties("FunctionErrorsAlarm")).containsEntry("MetricName", "Errors");
        assertThat(deployed().properties("FunctionThrottlesAlarm")).containsEntry("MetricName", "Throttles");
    }

    @Test
    void rejectionRateAlarm_dividesRejectedByAllOutcomesTheFunctionPrints() {
        Map<String, Object> alarm = deployed().properties("RejectionRateAlarm");
        Map<String, Map<String, Object>> queries = new LinkedHashMap<>();
        asList(alarm.get("Metrics")).forEach(query -> queries.put((String) asMap(query).get("Id"), asMap(query)));

        assertThat(alarm).containsEntry("Threshold", Map.of("Ref", "RejectionRateAlarmPercent"))
                .containsEntry("ComparisonOperator", "GreaterThanThreshold").doesNotContainKeys("MetricName");
        assertThat(queries).containsOnlyKeys("rate", "applied", "duplicate", "rejected", "retried");
        String expression = (String) asMap(queries.get("rate").get("Expression")).get("Fn::Sub");
        assertThat(expression).contains("${RejectionRateAlarmMinimumMessages}", "100 * rejected / (applied + duplicate"
                + " + rejected + retried)");
        assertThat(queries.get("rate")).containsEntry("ReturnData", true);
        for (String id : List.of("applied", "duplicate", "rejected", "retried")) {
            Map<String, Object> stat = asMap(queries.get(id).get("MetricStat"));
            Map<String, Object> metric = asMap(stat.get("Metric"));
            assertThat(queries.get(id)).containsEntry("ReturnData", false);
            assertThat(stat).containsEntry("Stat", "Sum").containsEntry("Period", 300);
            assertThat(metric).containsEntry("Namespace", Map.of("Ref", "MetricsNamespace")).doesNotContainKey(
                    "Dimensions");
            assertThat(EMITTED.get("")).as("printed without dimensions").contains((String) metric.get("MetricName"));
        }
    }

    @Test
    void dashboard_showsEveryMetricTheFunctionPrintsAndNoOther() throws IOException {
        String body = render(deployed().properties("OperationsDashboard").get("DashboardBody"),
                Map.of("MetricsNamespace", NAMESPACE));
        Map<String, Object> dashboard = JSON.std.mapFrom(body);
        Set<String> shown = new HashSet<>();
        List<String> searches = new ArrayList<>();
        for (Object widget : asList(dashboard.get("widgets"))) {
            Map<String, Object> properties = asMap(asMap(widget).get("properties"));
            String namespace = null;
            String metricName = null;
            for (Object row : asList(properties.getOrDefault("metrics", List.of()))) {
                List<Object> cells = asList(row);
                if (cells.get(0) instanceof Map<?, ?> expression) {
                    searches.add((String) expression.get("expression"));
                    continue;
                }
                if (!"...".equals(cells.get(0))) {
                    namespace = ".".equals(cells.get(0)) ? namespace : (String) cells.get(0);
                    metricName = ".".equals(cells.get(1)) ? metricName : (String) cells.get(1);
                }
                if (NAMESPACE.equals(namespace)) {
                    assertThat(cells.stream().filter(String.class::isInstance).count())
                            .as("%s is shown without dimensions", metricName).isLessThanOrEqualTo(2);
                    shown.add(metricName);
                }
            }
        }

        assertThat(EMITTED.get("")).containsAll(shown);
        assertThat(shown).containsExactlyInAnyOrderElementsOf(EmfMetrics.METRIC_NAMES);
        assertThat(searches).singleElement().asString()
                .contains("{" + NAMESPACE + ",ReasonCode}", "MetricName=\"Rejected\"");
        assertThat(EMITTED.get("ReasonCode")).containsExactly("Rejected");
    }

    @Test
    void function_tracesAndNamesItsMetricsNamespace() {
        assertThat(deployed().properties(FUNCTION).get("Tracing")).isEqualTo(Map.of("Ref", "Tracing"));
        assertThat(defaultOf("Tracing")).isEqualTo("Active");
        assertThat(environment(deployed())).containsEntry("METRICS_NAMESPACE", Map.of("Ref", "MetricsNamespace"));
        assertThat(defaultOf("MetricsNamespace")).isEqualTo(EmfMetrics.DEFAULT_NAMESPACE);
    }

    @Test
    void schemaRegistry_holdsBothEventTypesAsDraft4() {
        CloudFormationTemplate template = deployed();
        assertThat(template.resourcesOfType("AWS::EventSchemas::Registry")).containsExactly("EventSchemaRegistry");
        assertThat(template.resourcesOfType("AWS::EventSchemas::Schema"))
                .containsExactlyInAnyOrder("AccessEntryUpdatedSchema", "AccessChangeRejectedSchema");
        for (String schema : template.resourcesOfType("AWS::EventSchemas::Schema")) {
            assertThat(template.properties(schema)).containsEntry("Type", "JSONSchemaDraft4")
                    .containsEntry("RegistryName",
                            Map.of("Fn::GetAtt", List.of("EventSchemaRegistry", "RegistryName")));
        }
    }

    @Test
    void registrySchemas_whenComparedWithTheProjectSchemas_sayTheSame() throws IOException {
        assertRegistrySchemaMatches("AccessEntryUpdatedSchema", "AccessEntryUpdated", AccessEvent.ACCESS_ENTRY_UPDATED,
                "access-entry-updated.schema.json");
        assertRegistrySchemaMatches("AccessChangeRejectedSchema", "AccessChangeRejected",
                AccessEvent.ACCESS_CHANGE_REJECTED, "access-change-rejected.schema.json");
    }

    private static void assertRegistrySchemaMatches(String resource, String definition, String detailType,
                                                    String projectSchema) throws IOException {
        Map<String, Object> content = JSON.std.mapFrom(render(deployed().properties(resource).get("Content"),
                Map.of("EventSource", "eks-access-updater")));
        Map<String, Object> project = JSON.std.mapFrom(
                Files.readString(Path.of("src/main/resources/schemas", projectSchema)));
        Map<String, Object> properties = asMap(content.get("properties"));
        Map<String, Object> definitions = asMap(content.get("definitions"));

        assertThat(content).containsEntry("$schema", "http://json-schema.org/draft-04/schema#");
        assertThat(asMap(properties.get("detail-type"))).containsEntry("enum", List.of(detailType));
        assertThat(asMap(properties.get("source"))).containsEntry("enum", List.of("eks-access-updater"));
        assertThat(asMap(properties.get("detail"))).containsEntry("$ref", "#/definitions/" + definition);
        Map<String, Object> expected = new LinkedHashMap<>();
        expected.put(definition, draft4(project));
        asMap(project.getOrDefault("$defs", Map.of())).forEach((name, schema) -> expected.put(name, draft4(schema)));
        assertThat(definitions).as(resource).isEqualTo(expected);
    }

    static Stream<Arguments> registryEvents() {
        Map<String, Object> grant = Map.of("expiresAt", "2026-12-04T18:00:00Z", "grantedGroups", List.of("oncall"));
        Map<String, Object> expiry = Map.of("expiryOf", "ticket-4711", "expiredGroups", List.of("oncall"));
        Map<String, Object> both = new LinkedHashMap<>(grant);
        both.putAll(expiry);
        return Stream.of(
                Arguments.of("a plain update", Map.of(), true),
                Arguments.of("a time-bound grant", grant, true),
                Arguments.of("an expiry", expiry, true),
                Arguments.of("a grant without grantedGroups", Map.of("expiresAt", "2026-12-04T18:00:00Z"), false),
                Arguments.of("an expiry without expiryOf", Map.of("expiredGroups", List.of("oncall")), false),
                Arguments.of("a grant and an expiry at once", both, false),
                Arguments.of("expiresAt with milliseconds",
                        Map.of("expiresAt", "2026-12-04T18:00:00.000Z", "grantedGroups", List.of()), false));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("registryEvents")
    void registrySchema_whenAnUpdateCarriesGrantFields_acceptsOnlyWhatTheProjectSchemaAccepts(
            String name, Map<String, Object> grantFields, boolean valid) throws IOException {
        AccessEntry entry = new AccessEntry("demo", "arn:aws:iam::111122223333:role/developers", List.of("oncall"),
                "arn:aws:eks:us-east-1:111122223333:access-entry/demo/role/111122223333/developers/a4c9b1d2",
                Instant.parse("2026-01-05T09:30:00Z"), Instant.parse("2026-11-29T12:00:01Z"), Map.of(),
                "developer:{{SessionName}}", "STANDARD");
        Map<String, Object> detail = AccessEvents.updated("ticket-4711", entry, entry, Map.of(), grantFields).detail();
        Map<String, Object> event = new LinkedHashMap<>();
        event.put("version", "0");
        event.put("id", "6a7e8feb-b491-4cf7-a9f1-bf3703467718");
        event.put("detail-type", AccessEvent.ACCESS_ENTRY_UPDATED);
        event.put("source", "eks-access-updater");
        event.put("account", "111122223333");
        event.put("time", "2026-11-29T12:00:01Z");
        event.put("region", "us-east-1");
        event.put("resources", List.of(entry.accessEntryArn()));
        event.put("detail", detail);

        assertThat(RegistrySchemas.violations(AccessEvent.ACCESS_ENTRY_UPDATED, JSON.std.asString(event)).isEmpty())
                .as("registry copy accepts " + name).isEqualTo(valid);
        assertThat(EventSchemas.violations(EventSchemas.ACCESS_ENTRY_UPDATED, JSON.std.asString(detail)).isEmpty())
                .as("project schema accepts " + name).isEqualTo(valid);
    }

    /**
     * The project's draft 2020-12 form in Draft 4 words: $defs are definitions, dependentRequired is the array form
     * of dependencies; propertyNames has no equivalent.
     */
    private static Object draft4(Object node) {
        if (node instanceof Map<?, ?> map) {
            Map<String, Object> converted = new LinkedHashMap<>();
            map.forEach((key, value) -> {
                switch ((String) key) {
                    case "$schema", "$id", "$defs", "propertyNames" -> { }
                    case "$ref" -> converted.put("$ref", ((String) value).replace("#/$defs/", "#/definitions/"));
                    case "dependentRequired" -> converted.put("dependencies", draft4(value));
                    case "dependentSchemas", "const", "contains", "if", "then", "else", "prefixItems",
                         "unevaluatedProperties" ->
                            // Draft 4 would ignore these silently, so an equal copy would not say the same.
                            throw new IllegalArgumentException("no Draft 4 form for " + key + ": translate it here");
                    default -> converted.put((String) key, draft4(value));
                }
            });
            return converted;
        }
        if (node instanceof List<?> list) {
            return list.stream().map(ObservabilityTemplateTest::draft4).toList();
        }
        return node;
    }

    @Test
    void rejectionAudit_byDefault_isNotDeployed() {
        CloudFormationTemplate template = deployed();
        assertThat(template.resources()).doesNotContainKeys("RejectionAuditLogGroup", "RejectionAuditRule",
                "RejectionAuditLogPolicy");
        assertThat(defaultOf("RejectionAuditLog")).isEqualTo("Disabled");
    }

    @Test
    void rejectionAudit_whenEnabled_sendsEveryRejectionToItsLogGroupWhichAdmitsOnlyThatRule() throws IOException {
        CloudFormationTemplate template = deployed("RejectionAuditLog", "Enabled");
        Map<String, Object> rule = template.properties("RejectionAuditRule");
        Map<String, Object> policy = JSON.std.mapFrom(render(template.properties("RejectionAuditLogPolicy")
                .get("PolicyDocument"), Map.of()));
        Map<String, Object> statement = asMap(asList(policy.get("Statement")).get(0));

        assertThat(rule).containsEntry("EventBusName", Map.of("Ref", "AccessEventBus"))
                .containsEntry("State", "ENABLED")
                .containsEntry("EventPattern", Map.of("source", List.of(Map.of("Ref", "EventSource")),
                        "detail-type", List.of(AccessEvent.ACCESS_CHANGE_REJECTED)))
                .containsEntry("Targets", List.of(Map.of("Id", "rejection-audit-log",
                        "Arn", Map.of("Fn::GetAtt", List.of("RejectionAuditLogGroup", "Arn")))));
        assertThat(statement).containsEntry("Effect", "Allow")
                .containsEntry("Action", List.of("logs:CreateLogStream", "logs:PutLogEvents"))
                .containsEntry("Resource", "<RejectionAuditLogGroup.Arn>")
                .containsEntry("Condition", Map.of("ArnEquals", Map.of("aws:SourceArn", "<RejectionAuditRule.Arn>")));
        assertThat(asList(asMap(statement.get("Principal")).get("Service"))).contains("events.amazonaws.com");
        assertThat(template.properties("RejectionAuditLogGroup"))
                .containsEntry("RetentionInDays", Map.of("Ref", "RejectionAuditRetentionDays"));
    }

    /** An Fn::Sub string with the given variables replaced, and any other as {@code <name>}. */
    static String render(Object sub, Map<String, String> values) {
        String text = (String) asMap(sub).get("Fn::Sub");
        Matcher variables = SUB_VARIABLE.matcher(text);
        StringBuilder rendered = new StringBuilder();
        while (variables.find()) {
            String name = variables.group(1);
            String value = values.getOrDefault(name, "<" + name + ">");
            variables.appendReplacement(rendered, Matcher.quoteReplacement(value));
        }
        variables.appendTail(rendered);
        return rendered.toString();
    }
}
