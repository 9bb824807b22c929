package dev.eksaccessupdater.template;

import static dev.eksaccessupdater.template.CloudFormationTemplate.asList;
import static dev.eksaccessupdater.template.CloudFormationTemplate.asMap;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import dev.eksaccessupdater.Configuration;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
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
import org.junit.jupiter.params.provider.MethodSource;

/**
 * template.yaml against docs/contract.md section 7: everything resolves, and every promised resource and permission is
 * there.
 */
class TemplateTest {

    static final CloudFormationTemplate TEMPLATE = CloudFormationTemplate.load(Path.of("template.yaml"));

    static final String FUNCTION = "AccessChangeFunction";
    static final String ROLE = "AccessChangeFunctionRole";
    static final String SCHEDULER_ROLE = "ExpirySchedulerRole";
    static final String HANDLER_CLASS = "dev.eksaccessupdater.AccessChangeFunction";
    /** Every variable the code reads (docs/contract.md section 6). */
    static final List<String> ENVIRONMENT_VARIABLES = List.of("IDEMPOTENCY_TABLE_NAME", "EVENT_BUS_NAME",
            "ALLOWED_CLUSTER_NAMES", "EVENT_SOURCE", "IDEMPOTENCY_TTL_SECONDS", "ALLOWED_KUBERNETES_GROUPS",
            "PROTECTED_PRINCIPAL_ARNS", "MAX_CONCURRENCY", "METRICS_NAMESPACE", "TIME_BOUND_GROUPS",
            "MAX_GRANT_SECONDS", "SCHEDULE_GROUP_NAME", "SCHEDULER_ROLE_ARN", "REQUEST_QUEUE_ARN");
    /** The only statement allowed to grant on Resource "*", and why: X-Ray has no resource-level permissions. */
    static final String XRAY_SID = "XRayRequiresResourceStar";
    static final int FUNCTION_TIMEOUT_SECONDS = 60;

    static final String KMS_KEY = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    static final String APPROVER = "arn:aws:iam::111122223333:role/approvals";
    static final String OPERATOR = "arn:aws:iam::111122223333:role/operators";
    static final String PROTECTED = "arn:aws:iam::111122223333:role/cluster-admin";
    /** Values for the two parameters that deliberately have no default. */
    static final Map<String, String> REQUIRED = Map.of("AllowedClusterNames", "demo,prod",
            "ApproverPrincipalArns", APPROVER);

    static Map<String, String> with(String... nameValuePairs) {
        Map<String, String> values = new HashMap<>(REQUIRED);
        for (int i = 0; i < nameValuePairs.length; i += 2) {
            values.put(nameValuePairs[i], nameValuePairs[i + 1]);
        }
        return values;
    }

    static CloudFormationTemplate deployed(String... nameValuePairs) {
        return TEMPLATE.deployedWith(with(nameValuePairs));
    }

    static Stream<Map<String, String>> scenarios() {
        return Stream.of(with(), with("QueueType", "Fifo"), with("KmsKeyArn", KMS_KEY),
                with("AllowedClusterNames", "*"), with("Tracing", "Disabled"),
                with("ProtectedPrincipalArns", PROTECTED, "OperatorRoleArn", OPERATOR,
                        "PermissionsBoundaryArn", "arn:aws:iam::111122223333:policy/boundary"),
                with("ApproverTopicArns", "arn:aws:sns:us-east-1:111122223333:access-approvals",
                        "SubscriberAccountIds", "444455556666,777788889999",
                        "AlarmTopicArn", "arn:aws:sns:us-east-1:111122223333:ops-alarms"));
    }

    // --- the template as a whole ----------------------------------------------------------------

    @Test
    void transform_isSamAloneWithoutLanguageExtensions() {
        assertThat(TEMPLATE.root().get("AWSTemplateFormatVersion")).isEqualTo("2010-09-09");
        assertThat(TEMPLATE.root().get("Transform")).isEqualTo("AWS::Serverless-2016-10-31");
        assertThat(strings(TEMPLATE.root())).noneMatch(text -> text.startsWith(CloudFormationTemplate.FOR_EACH_PREFIX));
    }

    @Test
    void references_whenTemplateIsRead_resolveToParametersResourcesConditionsOrLoopIdentifiers() {
        assertThat(unresolvedReferences(TEMPLATE.root(), TEMPLATE.expandedWith(REQUIRED))).isEmpty();
    }

    @ParameterizedTest
    @MethodSource("scenarios")
    void references_whenLoopsAreExpanded_resolveAndLeaveNoLoopIdentifier(Map<String, String> parameters) {
        CloudFormationTemplate expanded = TEMPLATE.expandedWith(parameters);

        assertThat(unresolvedReferences(expanded.root(), expanded)).isEmpty();
        assertThat(strings(expanded.root())).noneMatch(text -> text.contains("{ClusterName}"));
        assertThat(expanded.resources().keySet()).noneMatch(id -> id.startsWith("Fn::ForEach"));
    }

    @Test
    void noValue_isOnlyEverABranchOfFnIf() {
        List<String> misplaced = new ArrayList<>();
        findMisplacedNoValue(TEMPLATE.root(), false, "", misplaced);
        assertThat(misplaced).isEmpty();
    }

    @Test
    void parameters_areDescribedUsedAndGrouped() {
        Set<String> referenced = new HashSet<>();
        collectNames(TEMPLATE.root(), referenced);
        Map<String, Object> interfaceMetadata = asMap(asMap(TEMPLATE.section("Metadata"))
                .get("AWS::CloudFormation::Interface"));
        List<Object> grouped = asList(interfaceMetadata.get("ParameterGroups")).stream()
                .flatMap(group -> asList(asMap(group).get("Parameters")).stream()).toList();

        TEMPLATE.parameters().forEach((name, declaration) -> {
            assertThat(asMap(declaration).get("Description")).as(name).asString().hasSizeGreaterThan(20);
            assertThat(referenced).as("parameter %s is used", name).contains(name);
        });
        assertThat(grouped).containsExactlyInAnyOrderElementsOf(new ArrayList<>(TEMPLATE.parameters().keySet()));
        assertThat(TEMPLATE.parameters().entrySet().stream()
                .filter(parameter -> !asMap(parameter.getValue()).containsKey("Default"))
                .map(Map.Entry::getKey))
                .as("only the security decisions have no default")
                .containsExactlyInAnyOrder("AllowedClusterNames", "ApproverPrincipalArns");
    }

    @Test
    void conditions_areAllUsed() {
        Set<String> used = new HashSet<>();
        collectConditionUses(TEMPLATE.root(), used);
        assertThat(used).containsExactlyInAnyOrderElementsOf(TEMPLATE.conditions().keySet());
    }

    @Test
    void rules_guardFifoBatchSizeAndLargeBatches() {
        Map<String, Object> rules = TEMPLATE.section("Rules");

        // "*" mixed with cluster names is refused by AllowedClusterNames' pattern (ParameterRulesTest).
        assertThat(rules).containsOnlyKeys("FifoBatchSizeAtMostTen", "LargeBatchesNeedAWindow");
        assertThat(asMap(rules.get("FifoBatchSizeAtMostTen")).get("RuleCondition"))
                .isEqualTo(Map.of("Fn::Equals", List.of(Map.of("Ref", "QueueType"), "Fifo")));
    }

    // --- the function ----------------------------------------------------------------------------

    @Test
    void handler_isARequestHandlerOfSqsEventsReturningBatchResponses() throws Exception {
        String handler = (String) TEMPLATE.properties(FUNCTION).get("Handler");
        assertThat(handler).isEqualTo(HANDLER_CLASS + "::handleRequest");

        Class<?> handlerClass = Class.forName(HANDLER_CLASS, false, getClass().getClassLoader());

        assertThat(RequestHandler.class).isAssignableFrom(handlerClass);
        assertThat(Modifier.isPublic(handlerClass.getConstructor().getModifiers())).isTrue();
        assertThat(requestHandlerTypeArguments(handlerClass)).containsExactly(SQSEvent.class, SQSBatchResponse.class);
        assertThat(Arrays.stream(handlerClass.getMethods()).map(Method::getName)).contains("handleRequest");
    }

    @Test
    void function_runsJava25ByDefaultWithJsonLoggingSnapStartAndAnAlias() {
        Map<String, Object> function = deployed().properties(FUNCTION);

        assertThat(deployed().resource(FUNCTION).get("Type")).isEqualTo("AWS::Serverless::Function");
        assertThat(function.get("Runtime")).isEqualTo(Map.of("Ref", "JavaRuntime"));
        assertThat(defaultOf("JavaRuntime")).isEqualTo("java25");
        assertThat(asList(parameter("JavaRuntime").get("AllowedValues"))).containsExactly("java25", "java21");
        assertThat(function.get("CodeUri")).isEqualTo(".");
        assertThat(function.get("Timeout")).isEqualTo(FUNCTION_TIMEOUT_SECONDS);
        assertThat(function.get("MemorySize")).isEqualTo(Map.of("Ref", "MemorySize"));
        assertThat(defaultOf("MemorySize")).isEqualTo(1024);
        assertThat(function.get("Architectures")).isEqualTo(List.of(Map.of("Ref", "Architecture")));
        assertThat(asList(parameter("Architecture").get("AllowedValues"))).containsExactlyInAnyOrder("arm64", "x86_64");
        assertThat(function.get("LoggingConfig")).isEqualTo(Map.of("LogFormat", "JSON",
                "ApplicationLogLevel", Map.of("Ref", "ApplicationLogLevel"), "SystemLogLevel", "INFO",
                "LogGroup", Map.of("Ref", "FunctionLogGroup")));
        assertThat(defaultOf("ApplicationLogLevel")).isEqualTo("INFO");
        assertThat(function.get("SnapStart")).isEqualTo(Map.of("ApplyOn", "PublishedVersions"));
        assertThat(function.get("AutoPublishAlias")).isEqualTo("live");
        assertThat(function.get("AutoPublishAliasAllProperties")).isEqualTo(true);
        assertThat(function.get("Role")).isEqualTo(Map.of("Fn::GetAtt", List.of(ROLE, "Arn")));
        assertThat(function).doesNotContainKey("Policies");
    }

    @Test
    void environment_setsExactlyTheVariablesTheCodeReads() {
        Map<String, Object> variables = environment(deployed());

        assertThat(variables).containsOnlyKeys(ENVIRONMENT_VARIABLES);
        assertThat(variables).containsEntry("IDEMPOTENCY_TABLE_NAME", Map.of("Ref", "IdempotencyTable"))
                .containsEntry("EVENT_BUS_NAME", Map.of("Ref", "AccessEventBus"))
                .containsEntry("ALLOWED_CLUSTER_NAMES", Map.of("Ref", "AllowedClusterNames"))
                .containsEntry("EVENT_SOURCE", Map.of("Ref", "EventSource"))
                .containsEntry("IDEMPOTENCY_TTL_SECONDS", Map.of("Ref", "IdempotencyTtlSeconds"))
                .containsEntry("ALLOWED_KUBERNETES_GROUPS", Map.of("Ref", "AllowedKubernetesGroups"))
                .containsEntry("PROTECTED_PRINCIPAL_ARNS", Map.of("Ref", "ProtectedPrincipalArns"))
                .containsEntry("MAX_CONCURRENCY", Map.of("Ref", "MessageConcurrency"))
                .containsEntry("TIME_BOUND_GROUPS", Map.of("Ref", "TimeBoundGroups"))
                .containsEntry("MAX_GRANT_SECONDS", Map.of("Ref", "MaxGrantSeconds"))
                .containsEntry("SCHEDULE_GROUP_NAME", Map.of("Ref", "ExpiryScheduleGroup"))
                .containsEntry("SCHEDULER_ROLE_ARN", getAtt(SCHEDULER_ROLE))
                .containsEntry("REQUEST_QUEUE_ARN", getAtt("RequestQueue"));
    }

    @Test
    void environment_whenRenderedWithDefaults_isAConfigurationTheFunctionAccepts() {
        Map<String, String> rendered = renderEnvironment(with(
                "AllowedKubernetesGroups", "dev-*,deployers",
                "ProtectedPrincipalArns", "arn:aws:iam::111122223333:role/cluster-admin"));

        Configuration configuration = Configuration.fromEnvironment(rendered);

        assertThat(configuration.eventSource()).isEqualTo(Configuration.DEFAULT_EVENT_SOURCE);
        assertThat(configuration.idempotencyTtl()).isEqualTo(Duration.ofSeconds(Configuration.DEFAULT_TTL_SECONDS));
        assertThat(configuration.maxConcurrency()).isEqualTo(Configuration.DEFAULT_MAX_CONCURRENCY);
        assertThat(configuration.maxGrant()).isEqualTo(Duration.ofSeconds(Configuration.DEFAULT_MAX_GRANT_SECONDS));
        assertThat(configuration.timeBoundGrantsEnabled()).isTrue();
        assertThat(configuration.requestQueueArn()).isEqualTo(Deployment.of(TEMPLATE, REQUIRED).arn("RequestQueue"));
        assertThat(rendered.get("ALLOWED_CLUSTER_NAMES")).isEqualTo("demo,prod");
    }

    @Test
    void environment_whenRenderedWithEveryOptionSet_isAConfigurationTheFunctionAccepts() {
        Map<String, String> rendered = renderEnvironment(with("AllowedClusterNames", "*",
                "EventSource", "com.example.eks-access", "IdempotencyTtlSeconds", "86400",
                "MessageConcurrency", "16", "TimeBoundGroups", "break-glass-*", "MaxGrantSeconds", "3600",
                "QueueType", "Fifo"));

        Configuration configuration = Configuration.fromEnvironment(rendered);

        assertThat(configuration.eventSource()).isEqualTo("com.example.eks-access");
        assertThat(configuration.idempotencyTtl()).isEqualTo(Duration.ofDays(1));
        assertThat(configuration.maxConcurrency()).isEqualTo(16);
        assertThat(configuration.timeBoundGroups()).singleElement().asString().isEqualTo("break-glass-*");
        assertThat(configuration.maxGrant()).isEqualTo(Duration.ofHours(1));
        assertThat(configuration.requestQueueArn()).endsWith(".fifo");
    }

    @Test
    void logGroup_keepsLogsForTheRetentionParameter() {
        assertThat(deployed().properties("FunctionLogGroup"))
                .isEqualTo(Map.of("RetentionInDays", Map.of("Ref", "LogRetentionDays")));
        assertThat(defaultOf("LogRetentionDays")).isEqualTo(30);
    }

    // --- queues and the event source --------------------------------------------------------------

    @Test
    void requestQueue_whenStandard_isEncryptedWithARedrivePolicyAndALongVisibilityTimeout() {
        Map<String, Object> queue = deployed().properties("RequestQueue");

        assertThat(queue).doesNotContainKeys("FifoQueue", "ContentBasedDeduplication", "KmsMasterKeyId");
        assertThat(queue.get("SqsManagedSseEnabled")).isEqualTo(true);
        assertThat(queue.get("RedrivePolicy")).isEqualTo(Map.of(
                "deadLetterTargetArn", Map.of("Fn::GetAtt", List.of("DeadLetterQueue", "Arn")),
                "maxReceiveCount", Map.of("Ref", "MaxReceiveCount")));
        assertThat(defaultOf("MaxReceiveCount")).isEqualTo(5);
        assertThat(queue.get("MessageRetentionPeriod")).isEqualTo(Map.of("Ref", "MessageRetentionSeconds"));
        assertThat((Integer) queue.get("VisibilityTimeout"))
                .as("at least 6 x the function timeout plus the largest batching window")
                .isGreaterThanOrEqualTo(6 * FUNCTION_TIMEOUT_SECONDS
                        + (Integer) parameter("MaximumBatchingWindowInSeconds").get("MaxValue"));
    }

    @Test
    void queues_whenFifoIsChosen_areBothFifoAndTheEventSourceHasNoBatchingWindow() {
        CloudFormationTemplate fifo = deployed("QueueType", "Fifo");

        // EventBridge Scheduler sets only the group id of the expiries it sends (docs/contract.md section 8).
        assertThat(fifo.properties("RequestQueue")).containsEntry("FifoQueue", true)
                .containsEntry("ContentBasedDeduplication", true);
        assertThat(fifo.properties("DeadLetterQueue")).containsEntry("FifoQueue", true);
        assertThat(sqsEvent(fifo)).doesNotContainKey("MaximumBatchingWindowInSeconds");
        assertThat(asList(parameter("QueueType").get("AllowedValues"))).containsExactly("Standard", "Fifo");
        assertThat(defaultOf("QueueType")).isEqualTo("Standard");
    }

    @Test
    void deadLetterQueue_isEncryptedAndKeepsMessagesLongerThanTheSource() {
        Map<String, Object> deadLetterQueue = deployed().properties("DeadLetterQueue");

        assertThat(deadLetterQueue).doesNotContainKeys("FifoQueue", "RedrivePolicy");
        assertThat(deadLetterQueue.get("SqsManagedSseEnabled")).isEqualTo(true);
        assertThat((Integer) deadLetterQueue.get("MessageRetentionPeriod"))
                .isGreaterThanOrEqualTo((Integer) parameter("MessageRetentionSeconds").get("MaxValue"));
    }

    @Test
    void eventSource_reportsBatchItemFailuresWithParameterisedBatchingAndConcurrency() {
        Map<String, Object> event = sqsEvent(deployed());

        assertThat(event.get("Queue")).isEqualTo(Map.of("Fn::GetAtt", List.of("RequestQueue", "Arn")));
        assertThat(event.get("FunctionResponseTypes")).isEqualTo(List.of("ReportBatchItemFailures"));
        assertThat(event.get("BatchSize")).isEqualTo(Map.of("Ref", "BatchSize"));
        assertThat(defaultOf("BatchSize")).isEqualTo(10);
        assertThat(event.get("MaximumBatchingWindowInSeconds"))
                .isEqualTo(Map.of("Ref", "MaximumBatchingWindowInSeconds"));
        assertThat(event.get("ScalingConfig"))
                .isEqualTo(Map.of("MaximumConcurrency", Map.of("Ref", "EventSourceMaximumConcurrency")));
        assertThat(parameter("EventSourceMaximumConcurrency")).containsEntry("MinValue", 2)
                .containsEntry("Default", 5);
    }

    // --- table and bus ------------------------------------------------------------------------------

    @Test
    void table_isOnDemandKeyedByTokenWithTtlEncryptionAndRecovery() {
        Map<String, Object> table = deployed().properties("IdempotencyTable");

        assertThat(table.get("BillingMode")).isEqualTo("PAY_PER_REQUEST");
        assertThat(table.get("AttributeDefinitions"))
                .isEqualTo(List.of(Map.of("AttributeName", "clientRequestToken", "AttributeType", "S")));
        assertThat(table.get("KeySchema"))
                .isEqualTo(List.of(Map.of("AttributeName", "clientRequestToken", "KeyType", "HASH")));
        assertThat(table.get("TimeToLiveSpecification"))
                .isEqualTo(Map.of("AttributeName", "expiresAt", "Enabled", true));
        assertThat(table.get("SSESpecification")).isEqualTo(Map.of("SSEEnabled", true, "SSEType", "KMS"));
        assertThat(table.get("PointInTimeRecoverySpecification"))
                .isEqualTo(Map.of("PointInTimeRecoveryEnabled", true));
    }

    @Test
    void eventBus_letsOnlyThisAccountPublishAndOnlyTheFunctionUseItsSource() {
        CloudFormationTemplate template = deployed();
        Map<String, Object> bus = template.properties("AccessEventBus");
        Map<String, Map<String, Object>> statements = bySid(asList(asMap(bus.get("Policy")).get("Statement")));

        assertThat(template.resource("AccessEventBus").get("Type")).isEqualTo("AWS::Events::EventBus");
        assertThat(bus).doesNotContainKeys("KmsKeyIdentifier", "DeadLetterConfig");
        assertThat(statements).containsOnlyKeys("ThisAccountPublishes", "OnlyTheFunctionPublishesItsSource");
        assertThat(statements.get("ThisAccountPublishes")).isEqualTo(Map.of("Sid", "ThisAccountPublishes",
                "Effect", "Allow",
                "Principal", Map.of("AWS", Map.of("Fn::Sub", "arn:${AWS::Partition}:iam::${AWS::AccountId}:root")),
                "Action", "events:PutEvents",
                "Resource", Map.of("Fn::Sub", busArn())));
        assertThat(statements.get("OnlyTheFunctionPublishesItsSource")).containsEntry("Effect", "Deny")
                .containsEntry("Principal", "*").containsEntry("Resource", Map.of("Fn::Sub", busArn()))
                .containsEntry("Condition", Map.of(
                        "StringEquals", Map.of("events:source", Map.of("Ref", "EventSource")),
                        "ArnNotEquals", Map.of("aws:PrincipalArn", getAtt(ROLE))));
    }

    @Test
    void eventBus_whenSubscriberAccountsAreGiven_letsThemManageOnlyTheirOwnRules() {
        Map<String, Map<String, Object>> statements = bySid(asList(asMap(deployed(
                "SubscriberAccountIds", "444455556666").properties("AccessEventBus").get("Policy")).get("Statement")));

        Map<String, Object> subscribers = statements.get("SubscriberAccountsManageTheirOwnRules");
        assertThat(subscribers.get("Principal")).isEqualTo(Map.of("AWS", Map.of("Ref", "SubscriberAccountIds")));
        assertThat(actions(subscribers)).allMatch(action -> action.endsWith("Rule") || action.endsWith("Targets")
                || action.equals("events:ListTargetsByRule")).doesNotContain("events:PutEvents");
        assertThat(subscribers.get("Resource")).isEqualTo(Map.of("Fn::Sub",
                "arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:rule/${AWS::StackName}-access-changes/*"));
        assertThat(subscribers.get("Condition")).isEqualTo(Map.of("StringEqualsIfExists",
                Map.of("events:creatorAccount", "${aws:PrincipalAccount}")));
    }

    @Test
    void eventBus_whenNamed_matchesTheArnItsPolicyAndTheRoleName() {
        Deployment deployment = Deployment.of(TEMPLATE, REQUIRED);

        assertThat(deployed().properties("AccessEventBus").get("Name"))
                .isEqualTo(Map.of("Fn::Sub", "${AWS::StackName}-access-changes"));
        assertThat(roleStatements(deployed()).get("PublishOwnSourceOnly").get("Resource"))
                .isEqualTo(Map.of("Fn::Sub", busArn()));
        assertThat(deployment.render(Map.of("Fn::Sub", busArn()))).isEqualTo(deployment.arn("AccessEventBus"));
    }

    @Test
    void encryption_whenAKmsKeyIsGiven_coversQueuesTableAndBusAndTheFunctionMayDecrypt() {
        CloudFormationTemplate template = deployed("KmsKeyArn", KMS_KEY);
        Map<String, Object> keyRef = Map.of("Ref", "KmsKeyArn");

        for (String queue : List.of("RequestQueue", "DeadLetterQueue")) {
            assertThat(template.properties(queue)).containsEntry("KmsMasterKeyId", keyRef)
                    .doesNotContainKey("SqsManagedSseEnabled");
        }
        assertThat(template.properties("IdempotencyTable").get("SSESpecification"))
                .isEqualTo(Map.of("SSEEnabled", true, "SSEType", "KMS", "KMSMasterKeyId", keyRef));
        assertThat(template.properties("AccessEventBus")).containsEntry("KmsKeyIdentifier", keyRef);
        Map<String, Object> decrypt = roleStatements(template).get("DecryptThroughSqsAndDynamoDb");
        assertThat(actions(decrypt)).containsExactly("kms:Decrypt");
        assertThat(decrypt.get("Resource")).isEqualTo(keyRef);
        assertThat(strings(decrypt.get("Condition"))).contains("sqs.${AWS::Region}.${AWS::URLSuffix}",
                "dynamodb.${AWS::Region}.${AWS::URLSuffix}");
    }

    // --- least privilege ----------------------------------------------------------------------------

    @Test
    void role_grantsExactlyTheActionsTheFunctionUsesOnItsOwnResources() {
        Map<String, Map<String, Object>> statements = roleStatements(deployed());

        assertThat(statements).containsOnlyKeys("WriteOwnLogGroup", "PollRequestQueue", "ClaimAndCompleteTokens",
                "PublishOwnSourceOnly", XRAY_SID, "ReadAndUpdateAccessEntries", "OnlyTheAllowedClusters",
                "CreateAndReadExpirySchedules", "PassOnlyTheExpiryRoleToScheduler");
        assertGrant(statements.get("WriteOwnLogGroup"), List.of("logs:CreateLogStream", "logs:PutLogEvents"),
                getAtt("FunctionLogGroup"));
        assertGrant(statements.get("PollRequestQueue"),
                List.of("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"), getAtt("RequestQueue"));
        assertGrant(statements.get("ClaimAndCompleteTokens"),
                List.of("dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"),
                getAtt("IdempotencyTable"));
        assertGrant(statements.get("PublishOwnSourceOnly"), List.of("events:PutEvents"), Map.of("Fn::Sub", busArn()));
        assertThat(statements.get("PublishOwnSourceOnly").get("Condition"))
                .isEqualTo(Map.of("StringEquals", Map.of("events:source", Map.of("Ref", "EventSource"))));
        assertGrant(statements.get("ReadAndUpdateAccessEntries"),
                List.of("eks:DescribeAccessEntry", "eks:UpdateAccessEntry"), Map.of("Fn::Sub", accessEntries("*")));
        assertThat(statements.get("OnlyTheAllowedClusters")).containsEntry("Effect", "Deny")
                .containsKey("NotResource").doesNotContainKey("Resource");
        assertGrant(statements.get("CreateAndReadExpirySchedules"),
                List.of("scheduler:CreateSchedule", "scheduler:GetSchedule"), Map.of("Fn::Sub",
                        "arn:${AWS::Partition}:scheduler:${AWS::Region}:${AWS::AccountId}:schedule/"
                                + "${ExpiryScheduleGroup}/*"));
        assertGrant(statements.get("PassOnlyTheExpiryRoleToScheduler"), List.of("iam:PassRole"), getAtt(SCHEDULER_ROLE));
        assertThat(statements.get("PassOnlyTheExpiryRoleToScheduler").get("Condition"))
                .isEqualTo(Map.of("StringEquals", Map.of("iam:PassedToService", "scheduler.amazonaws.com")));
        assertGrant(statements.get(XRAY_SID), List.of("xray:PutTraceSegments", "xray:PutTelemetryRecords"), "*");
        assertThat(deployed().properties(ROLE).get("AssumeRolePolicyDocument").toString())
                .contains("lambda.amazonaws.com").contains("sts:AssumeRole");
    }

    @Test
    void eksPermissions_whenPrincipalsAreProtected_addADenyOnThemByEksPrincipalArn() {
        Map<String, Object> deny = roleStatements(deployed("ProtectedPrincipalArns", PROTECTED))
                .get("NeverChangeProtectedPrincipals");

        assertThat(deny).containsEntry("Effect", "Deny").containsEntry("Action", "eks:UpdateAccessEntry")
                .containsEntry("Resource", "*").containsEntry("Condition", Map.of("ArnEquals", Map.of(
                        "eks:principalArn", Map.of("Fn::Split", List.of(",", Map.of("Ref", "ProtectedPrincipalArns"))))));
        assertThat(roleStatements(deployed())).doesNotContainKey("NeverChangeProtectedPrincipals");
    }

    @Test
    void xRayPermission_whenTracingIsDisabled_isNotGranted() {
        assertThat(roleStatements(deployed("Tracing", "Disabled"))).doesNotContainKey(XRAY_SID);
        assertThat(deployed("Tracing", "Disabled").properties(FUNCTION).get("Tracing"))
                .isEqualTo(Map.of("Ref", "Tracing"));
    }

    @ParameterizedTest
    @MethodSource("scenarios")
    void policies_whenAnyParametersAreGiven_grantNothingOnResourceStarOrToPrincipalStarExceptXRay(Map<String, String> parameters) {
        List<Map<String, Object>> statements = policyStatements(TEMPLATE.deployedWith(parameters));

        assertThat(statements).isNotEmpty();
        for (Map<String, Object> statement : statements) {
            if (!"Allow".equals(statement.get("Effect"))) {
                continue;
            }
            List<Object> resources = statement.get("Resource") instanceof List<?> list
                    ? asList(list) : List.of(statement.get("Resource"));
            if (!XRAY_SID.equals(statement.get("Sid"))) {
                assertThat(resources).as("%s", statement).doesNotContain("*");
            }
            assertThat(statement.get("Principal")).as("%s", statement).isNotEqualTo("*");
            assertThat(String.valueOf(statement.get("Principal"))).as("%s", statement).doesNotContain("AWS=*");
            assertThat(actions(statement)).as("%s", statement).noneMatch(action -> action.endsWith("*"));
        }
    }

    @Test
    void queuePolicy_holdsTheSendersTheDeniesAndTransportSecurity() {
        Map<String, Object> policy = deployed().properties("RequestQueuePolicy");
        Map<String, Map<String, Object>> statements = bySid(asList(asMap(policy.get("PolicyDocument")).get("Statement")));

        assertThat(policy.get("Queues")).isEqualTo(List.of(Map.of("Ref", "RequestQueue")));
        assertThat(statements).containsOnlyKeys("ApproversMaySend", "ExpirySchedulesMaySend", "NobodyElseMaySend",
                "OnlyConsumersMayReceiveOrDelete", "DenyInsecureTransport");
        assertThat(statements.get("ApproversMaySend")).isEqualTo(Map.of("Sid", "ApproversMaySend", "Effect", "Allow",
                "Principal", Map.of("AWS", Map.of("Ref", "ApproverPrincipalArns")), "Action", "sqs:SendMessage",
                "Resource", getAtt("RequestQueue")));
        assertThat(statements.get("ExpirySchedulesMaySend")).containsEntry("Principal",
                Map.of("AWS", getAtt(SCHEDULER_ROLE)));
        assertDeniesInsecureTransport(statements.get("DenyInsecureTransport"), "RequestQueue");
    }

    @Test
    void deadLetterQueue_acceptsOnlyTheRequestQueueAsItsSource() {
        Deployment deployment = Deployment.of(TEMPLATE, REQUIRED);
        Deployment fifo = Deployment.of(TEMPLATE, with("QueueType", "Fifo"));

        assertThat(deployment.properties("DeadLetterQueue").get("RedriveAllowPolicy")).isEqualTo(Map.of(
                "redrivePermission", "byQueue", "sourceQueueArns", List.of(deployment.arn("RequestQueue"))));
        assertThat(fifo.properties("DeadLetterQueue").get("RedriveAllowPolicy")).isEqualTo(Map.of(
                "redrivePermission", "byQueue", "sourceQueueArns", List.of(fifo.arn("RequestQueue"))));
        assertThat(fifo.arn("RequestQueue")).endsWith("-requests.fifo");
        assertDeniesInsecureTransport(bySid(asList(asMap(deployed().properties("DeadLetterQueuePolicy")
                .get("PolicyDocument")).get("Statement"))).get("DenyInsecureTransport"), "DeadLetterQueue");
    }

    // --- alarm and outputs --------------------------------------------------------------------------

    @Test
    void alarm_firesOnTheFirstMessageInTheDeadLetterQueue() {
        Map<String, Object> alarm = deployed().properties("DeadLetterQueueAlarm");

        assertThat(alarm).containsEntry("Namespace", "AWS/SQS")
                .containsEntry("MetricName", "ApproximateNumberOfMessagesVisible")
                .containsEntry("Threshold", 0).containsEntry("ComparisonOperator", "GreaterThanThreshold")
                .containsEntry("Dimensions", List.of(Map.of("Name", "QueueName",
                        "Value", Map.of("Fn::GetAtt", List.of("DeadLetterQueue", "QueueName")))))
                .doesNotContainKeys("AlarmActions", "OKActions");
        assertThat(deployed("AlarmTopicArn", "arn:aws:sns:us-east-1:111122223333:ops").properties("DeadLetterQueueAlarm"))
                .containsEntry("AlarmActions", List.of(Map.of("Ref", "AlarmTopicArn")))
                .containsEntry("OKActions", List.of(Map.of("Ref", "AlarmTopicArn")));
    }

    @Test
    void outputs_nameQueuesBusTableAndFunction() {
        Map<String, Object> outputs = deployed().outputs();

        assertThat(outputValue(outputs, "RequestQueueUrl")).isEqualTo(Map.of("Ref", "RequestQueue"));
        assertThat(outputValue(outputs, "RequestQueueArn")).isEqualTo(getAtt("RequestQueue"));
        assertThat(outputValue(outputs, "DeadLetterQueueUrl")).isEqualTo(Map.of("Ref", "DeadLetterQueue"));
        assertThat(outputValue(outputs, "DeadLetterQueueArn")).isEqualTo(getAtt("DeadLetterQueue"));
        assertThat(outputValue(outputs, "EventBusName")).isEqualTo(Map.of("Ref", "AccessEventBus"));
        assertThat(outputValue(outputs, "EventBusArn")).isEqualTo(getAtt("AccessEventBus"));
        assertThat(outputValue(outputs, "IdempotencyTableName")).isEqualTo(Map.of("Ref", "IdempotencyTable"));
        assertThat(outputValue(outputs, "FunctionArn")).isEqualTo(getAtt(FUNCTION));
        assertThat(outputValue(outputs, "FunctionAliasArn")).isEqualTo(Map.of("Ref", FUNCTION + ".Alias"));
        outputs.forEach((name, output) -> assertThat(asMap(output).get("Description")).as(name).isNotNull());
    }

    // --- helpers ------------------------------------------------------------------------------------

    static Map<String, Object> parameter(String name) {
        return asMap(TEMPLATE.parameters().get(name));
    }

    static Object defaultOf(String name) {
        return parameter(name).get("Default");
    }

    static Map<String, Object> getAtt(String logicalId) {
        return Map.of("Fn::GetAtt", List.of(logicalId, "Arn"));
    }

    static String accessEntries(String suffix) {
        return "arn:${AWS::Partition}:eks:${AWS::Region}:${AWS::AccountId}:access-entry/" + suffix;
    }

    static String busArn() {
        return "arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/${AWS::StackName}-access-changes";
    }

    static Object outputValue(Map<String, Object> outputs, String name) {
        assertThat(outputs).containsKey(name);
        return asMap(outputs.get(name)).get("Value");
    }

    static Map<String, Object> environment(CloudFormationTemplate template) {
        return asMap(asMap(template.properties(FUNCTION).get("Environment")).get("Variables"));
    }

    static Map<String, Object> sqsEvent(CloudFormationTemplate template) {
        Map<String, Object> events = asMap(template.properties(FUNCTION).get("Events"));
        assertThat(events).hasSize(1);
        Map<String, Object> event = asMap(events.values().iterator().next());
        assertThat(event.get("Type")).isEqualTo("SQS");
        return asMap(event.get("Properties"));
    }

    /** The environment the function would see, with resource names as CloudFormation might generate them. */
    static Map<String, String> renderEnvironment(Map<String, String> parameters) {
        Map<String, String> rendered = new LinkedHashMap<>();
        asMap(asMap(Deployment.of(TEMPLATE, parameters).properties(FUNCTION).get("Environment")).get("Variables"))
                .forEach((name, value) -> rendered.put(name, (String) value));
        return rendered;
    }

    static List<Type> requestHandlerTypeArguments(Class<?> handlerClass) {
        for (Class<?> type = handlerClass; type != null; type = type.getSuperclass()) {
            for (Type implemented : type.getGenericInterfaces()) {
                if (implemented instanceof ParameterizedType parameterized
                        && parameterized.getRawType() == RequestHandler.class) {
                    return List.of(parameterized.getActualTypeArguments());
                }
            }
        }
        return List.of();
    }

    static void assertGrant(Map<String, Object> statement, List<String> actions, Object resource) {
        assertThat(statement).as("statement").isNotNull();
        assertThat(statement.get("Effect")).isEqualTo("Allow");
        assertThat(actions(statement)).containsExactlyInAnyOrderElementsOf(actions);
        assertThat(statement.get("Resource")).isEqualTo(resource);
    }

    static void assertDeniesInsecureTransport(Map<String, Object> statement, String queue) {
        assertThat(statement).containsEntry("Effect", "Deny").containsEntry("Principal", "*")
                .containsEntry("Action", "sqs:*").containsEntry("Resource", getAtt(queue))
                .containsEntry("Condition", Map.of("Bool", Map.of("aws:SecureTransport", "false")));
    }

    static List<String> actions(Map<String, Object> statement) {
        Object action = statement.get("Action");
        return action instanceof List<?> list ? list.stream().map(String::valueOf).toList() : List.of((String) action);
    }

    static Map<String, Map<String, Object>> bySid(List<Object> statements) {
        Map<String, Map<String, Object>> bySid = new LinkedHashMap<>();
        statements.forEach(statement -> bySid.put((String) asMap(statement).get("Sid"), asMap(statement)));
        return bySid;
    }

    /** The statements of the function's role's inline policies, by Sid. */
    static Map<String, Map<String, Object>> roleStatements(CloudFormationTemplate template) {
        Map<String, Map<String, Object>> statements = new LinkedHashMap<>();
        for (Object policy : asList(template.properties(ROLE).get("Policies"))) {
            statements.putAll(bySid(asList(asMap(asMap(policy).get("PolicyDocument")).get("Statement"))));
        }
        return statements;
    }

    /** Every statement of every policy document: role policies, queue policies and the bus policy. */
    static List<Map<String, Object>> policyStatements(CloudFormationTemplate template) {
        List<Map<String, Object>> statements = new ArrayList<>();
        template.resources().forEach((id, resource) -> {
            Map<String, Object> properties = asMap(asMap(resource).getOrDefault("Properties", Map.of()));
            List<Object> documents = new ArrayList<>();
            switch (String.valueOf(asMap(resource).get("Type"))) {
                case "AWS::IAM::Role" -> asList(properties.getOrDefault("Policies", List.of()))
                        .forEach(policy -> documents.add(asMap(policy).get("PolicyDocument")));
                case "AWS::SQS::QueuePolicy" -> documents.add(properties.get("PolicyDocument"));
                case "AWS::Events::EventBus" -> documents.add(properties.get("Policy"));
                default -> { }
            }
            documents.forEach(document -> asList(asMap(document).get("Statement"))
                    .forEach(statement -> statements.add(asMap(statement))));
        });
        return statements;
    }

    static List<String> strings(Object node) {
        List<String> strings = new ArrayList<>();
        collectStrings(node, strings);
        return strings;
    }

    private static void collectStrings(Object node, List<String> strings) {
        if (node instanceof String text) {
            strings.add(text);
        } else if (node instanceof Map<?, ?> map) {
            map.forEach((key, value) -> {
                strings.add(String.valueOf(key));
                collectStrings(value, strings);
            });
        } else if (node instanceof List<?> list) {
            list.forEach(item -> collectStrings(item, strings));
        }
    }

    // --- reference checks -----------------------------------------------------------------------------

    private static final Pattern SUB_VARIABLE = Pattern.compile("\\$\\{([^!}][^}]*)}");

    /** Ref, Fn::GetAtt, Fn::Sub variables, Fn::If and Condition names that do not resolve, with where they are. */
    static List<String> unresolvedReferences(Map<String, Object> root, CloudFormationTemplate expanded) {
        Set<String> parameters = asMap(root.getOrDefault("Parameters", Map.of())).keySet();
        Set<String> resources = new HashSet<>(expanded.resources().keySet());
        asMap(root.getOrDefault("Resources", Map.of())).keySet().stream()
                .filter(id -> !id.startsWith(CloudFormationTemplate.FOR_EACH_PREFIX)).forEach(resources::add);
        Set<String> samReferences = new HashSet<>();
        expanded.resourcesOfType("AWS::Serverless::Function").forEach(function -> {
            samReferences.add(function + ".Alias");
            samReferences.add(function + ".Version");
        });
        Set<String> conditions = expanded.conditions().keySet();
        List<String> problems = new ArrayList<>();
        new Object() {
            void visit(Object node, Set<String> loopIdentifiers, String where) {
                if (node instanceof List<?> list) {
                    for (int i = 0; i < list.size(); i++) {
                        visit(list.get(i), loopIdentifiers, where + "[" + i + "]");
                    }
                    return;
                }
                if (!(node instanceof Map<?, ?> map)) {
                    return;
                }
                for (Map.Entry<?, ?> entry : map.entrySet()) {
                    String key = (String) entry.getKey();
                    Object value = entry.getValue();
                    String here = where + "/" + key;
                    if (key.startsWith(CloudFormationTemplate.FOR_EACH_PREFIX)) {
                        List<Object> loop = asList(value);
                        Set<String> inner = new HashSet<>(loopIdentifiers);
                        inner.add((String) loop.get(0));
                        visit(loop.get(1), loopIdentifiers, here);
                        visit(loop.get(2), inner, here);
                        continue;
                    }
                    switch (key) {
                        case "Ref" -> checkName((String) value, loopIdentifiers, here);
                        case "Fn::GetAtt" -> {
                            String resource = (String) asList(value).get(0);
                            if (!resources.contains(resource)) {
                                problems.add(here + ": no resource " + resource);
                            }
                        }
                        case "Fn::Sub" -> checkSub(value, loopIdentifiers, here);
                        case "Fn::If" -> checkCondition((String) asList(value).get(0), here);
                        case "Condition" -> {
                            if (value instanceof String name) {
                                checkCondition(name, here);
                            }
                        }
                        default -> { }
                    }
                    visit(value, loopIdentifiers, here);
                }
            }

            void checkName(String name, Set<String> loopIdentifiers, String where) {
                if (!parameters.contains(name) && !resources.contains(name)
                        && !CloudFormationTemplate.PSEUDO_PARAMETERS.contains(name)
                        && !loopIdentifiers.contains(name) && !samReferences.contains(name)) {
                    problems.add(where + ": " + name + " is neither a parameter, a resource nor a pseudo parameter");
                }
            }

            void checkSub(Object value, Set<String> loopIdentifiers, String where) {
                String text;
                Set<String> local = new HashSet<>(loopIdentifiers);
                if (value instanceof List<?> list) {
                    text = (String) list.get(0);
                    local.addAll(asMap(list.get(1)).keySet());
                } else {
                    text = (String) value;
                }
                Matcher variables = SUB_VARIABLE.matcher(text);
                while (variables.find()) {
                    String variable = variables.group(1);
                    int dot = variable.indexOf('.');
                    if (dot > 0 && !CloudFormationTemplate.PSEUDO_PARAMETERS.contains(variable)) {
                        if (!resources.contains(variable.substring(0, dot))) {
                            problems.add(where + ": ${" + variable + "} names no resource");
                        }
                    } else {
                        checkName(variable, local, where);
                    }
                }
            }

            void checkCondition(String name, String where) {
                if (!conditions.contains(name)) {
                    problems.add(where + ": no condition " + name);
                }
            }
        }.visit(root, Set.of(), "");
        return problems;
    }

    private static void findMisplacedNoValue(Object node, boolean ifBranch, String where, List<String> misplaced) {
        if (node instanceof Map<?, ?> map) {
            if (map.size() == 1 && "AWS::NoValue".equals(map.get("Ref")) && !ifBranch) {
                misplaced.add(where);
            }
            map.forEach((key, value) -> {
                if ("Fn::If".equals(key)) {
                    List<Object> branches = asList(value);
                    for (int i = 0; i < branches.size(); i++) {
                        findMisplacedNoValue(branches.get(i), i > 0, where + "/Fn::If[" + i + "]", misplaced);
                    }
                } else {
                    findMisplacedNoValue(value, false, where + "/" + key, misplaced);
                }
            });
        } else if (node instanceof List<?> list) {
            for (int i = 0; i < list.size(); i++) {
                findMisplacedNoValue(list.get(i), false, where + "[" + i + "]", misplaced);
            }
        }
    }

    /** Names a template uses: Ref targets, Sub variables and Fn::ForEach collections. */
    private static void collectNames(Object node, Set<String> names) {
        if (node instanceof Map<?, ?> map) {
            map.forEach((key, value) -> {
                if ("Ref".equals(key) && value instanceof String name) {
                    names.add(name);
                } else if ("Fn::Sub".equals(key)) {
                    Object text = value instanceof List<?> list ? list.get(0) : value;
                    Matcher variables = SUB_VARIABLE.matcher((String) text);
                    while (variables.find()) {
                        names.add(variables.group(1));
                    }
                }
                collectNames(value, names);
            });
        } else if (node instanceof List<?> list) {
            list.forEach(item -> collectNames(item, names));
        }
    }

    private static void collectConditionUses(Object node, Set<String> used) {
        if (node instanceof Map<?, ?> map) {
            map.forEach((key, value) -> {
                if ("Fn::If".equals(key)) {
                    used.add((String) asList(value).get(0));
                } else if ("Condition".equals(key) && value instanceof String name) {
                    used.add(name);
                }
                collectConditionUses(value, used);
            });
        } else if (node instanceof List<?> list) {
            list.forEach(item -> collectConditionUses(item, used));
        }
    }

    @Test
    void templateHelpers_whenTheTemplateIsRead_findEveryPolicyDocument() {
        assertThatCode(() -> policyStatements(deployed())).doesNotThrowAnyException();
        assertThat(policyStatements(deployed()).stream().map(statement -> statement.get("Sid")))
                .contains("PollRequestQueue", "ApproversMaySend", "ThisAccountPublishes", "DenyInsecureTransport",
                        "SendToTheRequestQueueOnly", "NoDirectSends");
    }
}
