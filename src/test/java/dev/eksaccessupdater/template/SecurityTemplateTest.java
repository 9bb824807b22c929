package dev.eksaccessupdater.template;

import static dev.eksaccessupdater.template.CloudFormationTemplate.asList;
import static dev.eksaccessupdater.template.CloudFormationTemplate.asMap;
import static dev.eksaccessupdater.template.IamPolicyEvaluator.Decision.ALLOW;
import static dev.eksaccessupdater.template.IamPolicyEvaluator.Decision.EXPLICIT_DENY;
import static dev.eksaccessupdater.template.IamPolicyEvaluator.Decision.IMPLICIT_DENY;
import static dev.eksaccessupdater.template.TemplateTest.APPROVER;
import static dev.eksaccessupdater.template.TemplateTest.FUNCTION;
import static dev.eksaccessupdater.template.TemplateTest.KMS_KEY;
import static dev.eksaccessupdater.template.TemplateTest.OPERATOR;
import static dev.eksaccessupdater.template.TemplateTest.PROTECTED;
import static dev.eksaccessupdater.template.TemplateTest.ROLE;
import static dev.eksaccessupdater.template.TemplateTest.SCHEDULER_ROLE;
import static dev.eksaccessupdater.template.TemplateTest.TEMPLATE;
import static dev.eksaccessupdater.template.TemplateTest.with;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.jr.ob.JSON;
import dev.eksaccessupdater.template.IamPolicyEvaluator.Decision;
import dev.eksaccessupdater.template.IamPolicyEvaluator.Request;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Issue 11 and docs/contract.md section 7: the template closes every way around the function, and IAM enforces what it
 * can. The policies are rendered for a made-up account ({@link Deployment}) and evaluated ({@link IamPolicyEvaluator});
 * docs/security.md's threat table names these tests.
 */
class SecurityTemplateTest {

    static final String ACCOUNT = Deployment.ACCOUNT;
    /** Someone in the account whose own IAM policies allow everything. */
    static final String ADMIN = "arn:aws:iam::" + ACCOUNT + ":role/account-admin";
    static final String PROTECTED_USER = "arn:aws:iam::" + ACCOUNT + ":user/break-glass";
    static final String TOPIC = "arn:aws:sns:us-east-1:" + ACCOUNT + ":access-approvals";
    static final String SOURCE = "eks-access-updater";

    /** Clusters demo and prod, two protected principals, an operator and an approval topic. */
    static final Deployment SECURED = Deployment.of(TEMPLATE, with("ProtectedPrincipalArns",
            PROTECTED + "," + PROTECTED_USER, "OperatorRoleArn", OPERATOR, "ApproverTopicArns", TOPIC));

    // --- the function's role: IAM enforces the clusters and the protected principals ---------------------

    static Stream<Arguments> eksRequests() {
        return Stream.of(
                eks("update an entry of an allowed cluster", "UpdateAccessEntry", "demo", "us-east-1", ACCOUNT,
                        "role/developers", ALLOW),
                eks("read an entry of the other allowed cluster", "DescribeAccessEntry", "prod", "us-east-1", ACCOUNT,
                        "role/developers", ALLOW),
                eks("update an entry of a cluster not listed", "UpdateAccessEntry", "staging", "us-east-1", ACCOUNT,
                        "role/developers", EXPLICIT_DENY),
                eks("read an entry of a cluster not listed", "DescribeAccessEntry", "staging", "us-east-1", ACCOUNT,
                        "role/developers", EXPLICIT_DENY),
                eks("a cluster whose name begins like an allowed one", "UpdateAccessEntry", "demo-2", "us-east-1",
                        ACCOUNT, "role/developers", EXPLICIT_DENY),
                eks("an allowed name in other case", "UpdateAccessEntry", "Demo", "us-east-1", ACCOUNT,
                        "role/developers", EXPLICIT_DENY),
                eks("an allowed cluster name in another Region", "UpdateAccessEntry", "demo", "eu-west-1", ACCOUNT,
                        "role/developers", IMPLICIT_DENY),
                eks("an allowed cluster name in another account", "UpdateAccessEntry", "demo", "us-east-1",
                        "444455556666", "role/developers", IMPLICIT_DENY),
                eks("update a protected role", "UpdateAccessEntry", "demo", "us-east-1", ACCOUNT,
                        "role/cluster-admin", EXPLICIT_DENY),
                eks("update a protected user", "UpdateAccessEntry", "prod", "us-east-1", ACCOUNT,
                        "user/break-glass", EXPLICIT_DENY),
                eks("read a protected role", "DescribeAccessEntry", "demo", "us-east-1", ACCOUNT,
                        "role/cluster-admin", ALLOW),
                eks("a role named like a protected one", "UpdateAccessEntry", "demo", "us-east-1", ACCOUNT,
                        "role/cluster-admin-2", ALLOW),
                eks("a user with a protected role's name", "UpdateAccessEntry", "demo", "us-east-1", ACCOUNT,
                        "user/cluster-admin", ALLOW),
                eks("a protected role's name in another account", "UpdateAccessEntry", "demo", "us-east-1", ACCOUNT,
                        "role/cluster-admin@444455556666", ALLOW));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("eksRequests")
    void functionRole_whenAskedForAnAccessEntry_allowsOnlyTheAllowedClustersAndNeverUpdatesAProtectedPrincipal(
            String why, Request request, Decision expected) {
        assertThat(IamPolicyEvaluator.evaluate(identityStatements(SECURED, ROLE), request)).as(why).isEqualTo(expected);
    }

    @Test
    void functionRole_whenEveryClusterIsAllowed_reachesAnyClusterHereButStillNoProtectedPrincipal() {
        Deployment anyCluster = Deployment.of(TEMPLATE, with("AllowedClusterNames", "*",
                "ProtectedPrincipalArns", PROTECTED));
        List<Map<String, Object>> statements = identityStatements(anyCluster, ROLE);

        assertThat(IamPolicyEvaluator.evaluate(statements, eksRequest("UpdateAccessEntry", "any-cluster", "us-east-1",
                ACCOUNT, "role/developers"))).isEqualTo(ALLOW);
        assertThat(IamPolicyEvaluator.evaluate(statements, eksRequest("UpdateAccessEntry", "any-cluster", "us-east-1",
                ACCOUNT, "role/cluster-admin"))).isEqualTo(EXPLICIT_DENY);
        assertThat(IamPolicyEvaluator.evaluate(statements, eksRequest("UpdateAccessEntry", "any-cluster", "eu-west-1",
                ACCOUNT, "role/developers"))).isEqualTo(IMPLICIT_DENY);
    }

    /** The deny on eks:principalArn stops updating a protected principal, and nothing else the role may do. */
    @Test
    void protectedPrincipalDeny_whenTheRequestNamesAProtectedPrincipal_stopsOnlyItsUpdate() {
        Deployment everything = Deployment.of(TEMPLATE, with("ProtectedPrincipalArns", PROTECTED,
                "KmsKeyArn", KMS_KEY));
        List<Map<String, Object>> statements = identityStatements(everything, ROLE);
        List<String> checked = new ArrayList<>();

        for (Map<String, Object> statement : statements) {
            if (!"Allow".equals(statement.get("Effect"))) {
                continue;
            }
            for (String action : IamPolicyEvaluator.strings(statement.get("Action"))) {
                for (String resource : IamPolicyEvaluator.strings(statement.get("Resource"))) {
                    Map<String, String> context = new LinkedHashMap<>(requiredContext(statement));
                    context.put("eks:principalArn", PROTECTED);
                    Request request = new Request(everything.arn(ROLE), action, sample(resource), context);

                    assertThat(IamPolicyEvaluator.evaluate(statements, request)).as("%s on %s", action, resource)
                            .isEqualTo(action.equals("eks:UpdateAccessEntry") ? EXPLICIT_DENY : ALLOW);
                    checked.add(action);
                }
            }
        }
        assertThat(checked).contains("eks:UpdateAccessEntry", "eks:DescribeAccessEntry", "dynamodb:PutItem",
                "events:PutEvents", "scheduler:CreateSchedule", "iam:PassRole", "kms:Decrypt", "sqs:ReceiveMessage");
    }

    @Test
    void functionRole_whenNoPrincipalIsProtected_deniesNoPrincipal() {
        Deployment plain = Deployment.of(TEMPLATE, with());

        assertThat(IamPolicyEvaluator.evaluate(identityStatements(plain, ROLE), eksRequest("UpdateAccessEntry", "demo",
                "us-east-1", ACCOUNT, "role/cluster-admin"))).isEqualTo(ALLOW);
    }

    static Stream<Arguments> schedulingRequests() {
        String group = SECURED.ref("ExpiryScheduleGroup");
        String schedules = "arn:aws:scheduler:us-east-1:" + ACCOUNT + ":schedule/";
        String schedulerRole = SECURED.arn(SCHEDULER_ROLE);
        return Stream.of(
                Arguments.of("create an expiry in its group", "scheduler:CreateSchedule", schedules + group + "/eau-1",
                        Map.of(), ALLOW),
                Arguments.of("read an expiry in its group", "scheduler:GetSchedule", schedules + group + "/eau-1",
                        Map.of(), ALLOW),
                Arguments.of("create a schedule in another group", "scheduler:CreateSchedule",
                        schedules + "default/eau-1", Map.of(), IMPLICIT_DENY),
                Arguments.of("delete an expiry", "scheduler:DeleteSchedule", schedules + group + "/eau-1", Map.of(),
                        IMPLICIT_DENY),
                Arguments.of("pass the expiry role to Scheduler", "iam:PassRole", schedulerRole,
                        Map.of("iam:PassedToService", "scheduler.amazonaws.com"), ALLOW),
                Arguments.of("pass the expiry role to another service", "iam:PassRole", schedulerRole,
                        Map.of("iam:PassedToService", "lambda.amazonaws.com"), IMPLICIT_DENY),
                Arguments.of("pass its own role to Scheduler", "iam:PassRole", SECURED.arn(ROLE),
                        Map.of("iam:PassedToService", "scheduler.amazonaws.com"), IMPLICIT_DENY));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("schedulingRequests")
    void functionRole_whenSchedulingAnExpiry_usesOnlyItsGroupAndPassesOnlyTheExpiryRole(String why, String action,
                                                                                      String resource,
                                                                                      Map<String, String> context,
                                                                                      Decision expected) {
        Request request = new Request(SECURED.arn(ROLE), action, resource, context);

        assertThat(IamPolicyEvaluator.evaluate(identityStatements(SECURED, ROLE), request)).as(why).isEqualTo(expected);
    }

    @Test
    void expiryRole_whenAssumedAndUsed_trustsSchedulerOfThisAccountAndSendsToTheRequestQueueOnly() {
        String role = SECURED.arn(SCHEDULER_ROLE);
        List<Map<String, Object>> trust = statements(SECURED.properties(SCHEDULER_ROLE).get("AssumeRolePolicyDocument"));
        List<Map<String, Object>> permissions = identityStatements(SECURED, SCHEDULER_ROLE);

        assertThat(IamPolicyEvaluator.evaluate(trust, Request.of("scheduler.amazonaws.com", "sts:AssumeRole", role,
                "aws:SourceAccount", ACCOUNT))).isEqualTo(ALLOW);
        assertThat(IamPolicyEvaluator.evaluate(trust, Request.of("scheduler.amazonaws.com", "sts:AssumeRole", role,
                "aws:SourceAccount", "444455556666"))).isEqualTo(IMPLICIT_DENY);
        assertThat(IamPolicyEvaluator.evaluate(trust, Request.of("lambda.amazonaws.com", "sts:AssumeRole", role,
                "aws:SourceAccount", ACCOUNT))).isEqualTo(IMPLICIT_DENY);
        assertThat(IamPolicyEvaluator.evaluate(permissions, Request.of(role, "sqs:SendMessage",
                SECURED.arn("RequestQueue")))).isEqualTo(ALLOW);
        assertThat(IamPolicyEvaluator.evaluate(permissions, Request.of(role, "sqs:SendMessage",
                SECURED.arn("DeadLetterQueue")))).isEqualTo(IMPLICIT_DENY);
        assertThat(IamPolicyEvaluator.evaluate(permissions, Request.of(role, "sqs:ReceiveMessage",
                SECURED.arn("RequestQueue")))).isEqualTo(IMPLICIT_DENY);
    }

    @Test
    void expiryRole_whenTheQueuesUseACustomerManagedKey_mayEncryptWithItThroughSqsOnly() {
        Deployment encrypted = Deployment.of(TEMPLATE, with("KmsKeyArn", KMS_KEY));
        List<Map<String, Object>> permissions = identityStatements(encrypted, SCHEDULER_ROLE);
        String role = encrypted.arn(SCHEDULER_ROLE);

        for (String action : List.of("kms:GenerateDataKey", "kms:Decrypt")) {
            assertThat(IamPolicyEvaluator.evaluate(permissions, Request.of(role, action, KMS_KEY,
                    "kms:ViaService", "sqs.us-east-1.amazonaws.com"))).as(action).isEqualTo(ALLOW);
            assertThat(IamPolicyEvaluator.evaluate(permissions, Request.of(role, action, KMS_KEY,
                    "kms:ViaService", "s3.us-east-1.amazonaws.com"))).as(action).isEqualTo(IMPLICIT_DENY);
        }
        assertThat(identityStatements(Deployment.of(TEMPLATE, with()), SCHEDULER_ROLE)).hasSize(1);
    }

    // --- the queues: who may send, read, drop ------------------------------------------------------------

    static Stream<Arguments> requestQueueRequests() {
        String function = SECURED.arn(ROLE);
        return Stream.of(
                queue("an approval system sends", APPROVER, "sqs:SendMessage", false),
                queue("the expiry schedules send", SECURED.arn(SCHEDULER_ROLE), "sqs:SendMessage", false),
                queue("the operator sends (a redrive sends as its starter)", OPERATOR, "sqs:SendMessage", false),
                queue("the approval topic delivers", "sns.amazonaws.com", "sqs:SendMessage", false,
                        "aws:SourceArn", TOPIC),
                queue("another topic delivers", "sns.amazonaws.com", "sqs:SendMessage", true,
                        "aws:SourceArn", "arn:aws:sns:us-east-1:" + ACCOUNT + ":other"),
                queue("an account admin sends", ADMIN, "sqs:SendMessage", true),
                queue("the function's role sends", function, "sqs:SendMessage", true),
                queue("the function receives", function, "sqs:ReceiveMessage", false),
                queue("the function deletes", function, "sqs:DeleteMessage", false),
                queue("the operator receives", OPERATOR, "sqs:ReceiveMessage", false),
                queue("the operator purges", OPERATOR, "sqs:PurgeQueue", false),
                queue("an account admin receives", ADMIN, "sqs:ReceiveMessage", true),
                queue("an account admin deletes", ADMIN, "sqs:DeleteMessage", true),
                queue("an account admin purges", ADMIN, "sqs:PurgeQueue", true),
                queue("an account admin hides a message", ADMIN, "sqs:ChangeMessageVisibility", true),
                queue("an approval system receives", APPROVER, "sqs:ReceiveMessage", true),
                queue("an approval system sends without TLS", APPROVER, "sqs:SendMessage", true,
                        "aws:SecureTransport", "false"),
                queue("the function receives without TLS", function, "sqs:ReceiveMessage", true,
                        "aws:SecureTransport", "false"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("requestQueueRequests")
    void requestQueuePolicy_whenAnyoneActs_deniesAllButTheSendersAndConsumers(String why, Request request,
                                                                             boolean denied) {
        Request onQueue = new Request(request.principal(), request.action(), SECURED.arn("RequestQueue"),
                request.context());

        assertThat(deniedBy(policy(SECURED, "RequestQueuePolicy"), onQueue)).as(why).isEqualTo(denied);
    }

    @Test
    void requestQueuePolicy_whenTheSendersAct_allowsThem() {
        List<Map<String, Object>> policy = policy(SECURED, "RequestQueuePolicy");
        String queue = SECURED.arn("RequestQueue");

        assertThat(IamPolicyEvaluator.evaluate(policy, Request.of(APPROVER, "sqs:SendMessage", queue))).isEqualTo(ALLOW);
        assertThat(IamPolicyEvaluator.evaluate(policy, Request.of(SECURED.arn(SCHEDULER_ROLE), "sqs:SendMessage",
                queue))).isEqualTo(ALLOW);
        assertThat(IamPolicyEvaluator.evaluate(policy, Request.of("sns.amazonaws.com", "sqs:SendMessage", queue,
                "aws:SourceArn", TOPIC))).isEqualTo(ALLOW);
    }

    @Test
    void queuePolicies_whenNoOperatorRoleIsGiven_letOnlyTheFunctionReadAndNobodyRedrive() {
        Deployment noOperator = Deployment.of(TEMPLATE, with());
        List<Map<String, Object>> requestQueue = policy(noOperator, "RequestQueuePolicy");
        List<Map<String, Object>> deadLetters = policy(noOperator, "DeadLetterQueuePolicy");

        assertThat(deniedBy(requestQueue, Request.of(OPERATOR, "sqs:SendMessage", noOperator.arn("RequestQueue"))))
                .isTrue();
        assertThat(deniedBy(requestQueue, Request.of(noOperator.arn(ROLE), "sqs:ReceiveMessage",
                noOperator.arn("RequestQueue")))).isFalse();
        assertThat(deniedBy(deadLetters, Request.of(OPERATOR, "sqs:StartMessageMoveTask",
                noOperator.arn("DeadLetterQueue")))).isTrue();
    }

    static Stream<Arguments> deadLetterQueueRequests() {
        String function = SECURED.arn(ROLE);
        return Stream.of(
                queue("an account admin plants a message", ADMIN, "sqs:SendMessage", true),
                queue("an approval system plants a message", APPROVER, "sqs:SendMessage", true),
                queue("the operator plants a message", OPERATOR, "sqs:SendMessage", true),
                queue("a topic delivers here", "sns.amazonaws.com", "sqs:SendMessage", true,
                        "aws:SourceArn", TOPIC),
                queue("SQS moves a dead letter from the request queue", "sqs.amazonaws.com", "sqs:SendMessage", false,
                        "aws:SourceArn", SECURED.arn("RequestQueue")),
                queue("the move is authorised as the receiving function", function, "sqs:SendMessage", false),
                queue("the operator inspects", OPERATOR, "sqs:ReceiveMessage", false),
                queue("the operator starts a redrive", OPERATOR, "sqs:StartMessageMoveTask", false),
                queue("the operator cancels a redrive", OPERATOR, "sqs:CancelMessageMoveTask", false),
                queue("an account admin reads", ADMIN, "sqs:ReceiveMessage", true),
                queue("an account admin purges", ADMIN, "sqs:PurgeQueue", true),
                queue("an account admin starts a redrive", ADMIN, "sqs:StartMessageMoveTask", true),
                queue("an approval system starts a redrive", APPROVER, "sqs:StartMessageMoveTask", true),
                queue("the operator reads without TLS", OPERATOR, "sqs:ReceiveMessage", true,
                        "aws:SecureTransport", "false"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("deadLetterQueueRequests")
    void deadLetterQueuePolicy_whenAnyoneActs_deniesDirectSendsAndAllButTheConsumers(String why, Request request,
                                                                                    boolean denied) {
        Request onQueue = new Request(request.principal(), request.action(), SECURED.arn("DeadLetterQueue"),
                request.context());

        assertThat(deniedBy(policy(SECURED, "DeadLetterQueuePolicy"), onQueue)).as(why).isEqualTo(denied);
    }

    /** The runbook's redrive, as the operator: every call it makes on both queues is let through. */
    @Test
    void redrive_whenTheOperatorMovesDeadLettersBack_isDeniedNowhere() {
        String deadLetters = SECURED.arn("DeadLetterQueue");
        List<Request> redrive = List.of(
                Request.of(OPERATOR, "sqs:StartMessageMoveTask", deadLetters),
                Request.of(OPERATOR, "sqs:ReceiveMessage", deadLetters),
                Request.of(OPERATOR, "sqs:DeleteMessage", deadLetters),
                Request.of(OPERATOR, "sqs:GetQueueAttributes", deadLetters),
                Request.of(OPERATOR, "sqs:SendMessage", SECURED.arn("RequestQueue")));

        for (Request request : redrive) {
            String policy = request.resource().equals(deadLetters) ? "DeadLetterQueuePolicy" : "RequestQueuePolicy";
            assertThat(deniedBy(policy(SECURED, policy), request)).as(request.action()).isFalse();
        }
    }

    // --- the bus: who may forge the function's events ---------------------------------------------------

    static Stream<Arguments> busRequests() {
        String function = SECURED.arn(ROLE);
        return Stream.of(
                Arguments.of("the function publishes its source", function, SOURCE, false),
                Arguments.of("an account admin publishes the function's source", ADMIN, SOURCE, true),
                Arguments.of("an approval system publishes the function's source", APPROVER, SOURCE, true),
                Arguments.of("another bus's rule forwards the function's source", "arn:aws:iam::" + ACCOUNT
                        + ":role/forwarder", SOURCE, true),
                Arguments.of("an account admin publishes another source", ADMIN, "com.example.other", false));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("busRequests")
    void busPolicy_whenAnyonePutsEvents_letsOnlyTheFunctionUseItsSource(String why, String principal, String source,
                                                                       boolean denied) {
        Request request = Request.of(principal, "events:PutEvents", SECURED.arn("AccessEventBus"),
                "events:source", source);

        assertThat(deniedBy(busPolicy(SECURED), request)).as(why).isEqualTo(denied);
    }

    @Test
    void functionRole_whenPublishing_mayPutItsOwnSourceOnItsOwnBusOnly() {
        List<Map<String, Object>> role = identityStatements(SECURED, ROLE);
        String bus = SECURED.arn("AccessEventBus");

        assertThat(IamPolicyEvaluator.evaluate(role, Request.of(SECURED.arn(ROLE), "events:PutEvents", bus,
                "events:source", SOURCE))).isEqualTo(ALLOW);
        assertThat(IamPolicyEvaluator.evaluate(role, Request.of(SECURED.arn(ROLE), "events:PutEvents", bus,
                "events:source", "aws.eks"))).isEqualTo(IMPLICIT_DENY);
        assertThat(IamPolicyEvaluator.evaluate(role, Request.of(SECURED.arn(ROLE), "events:PutEvents",
                bus.replace("access-changes", "default"), "events:source", SOURCE))).isEqualTo(IMPLICIT_DENY);
    }

    @Test
    void busDeadLetterQueue_whenAKeyEncryptsTheBus_takesOnlyTheBusesUndeliverableEvents() {
        Deployment encrypted = Deployment.of(TEMPLATE, with("KmsKeyArn", KMS_KEY, "OperatorRoleArn", OPERATOR));
        List<Map<String, Object>> policy = policy(encrypted, "EventBusDeadLetterQueuePolicy");
        String queue = encrypted.arn("EventBusDeadLetterQueue");

        assertThat(encrypted.properties("AccessEventBus").get("DeadLetterConfig")).isEqualTo(Map.of("Arn", queue));
        assertThat(encrypted.properties("EventBusDeadLetterQueue")).containsEntry("SqsManagedSseEnabled", true)
                .doesNotContainKey("KmsMasterKeyId");
        assertThat(IamPolicyEvaluator.evaluate(policy, Request.of("events.amazonaws.com", "sqs:SendMessage", queue,
                "aws:SourceArn", encrypted.arn("AccessEventBus")))).isEqualTo(ALLOW);
        assertThat(deniedBy(policy, Request.of("events.amazonaws.com", "sqs:SendMessage", queue,
                "aws:SourceArn", "arn:aws:events:us-east-1:" + ACCOUNT + ":event-bus/other"))).isTrue();
        assertThat(deniedBy(policy, Request.of(ADMIN, "sqs:SendMessage", queue))).isTrue();
        assertThat(deniedBy(policy, Request.of(ADMIN, "sqs:ReceiveMessage", queue))).isTrue();
        assertThat(deniedBy(policy, Request.of(OPERATOR, "sqs:ReceiveMessage", queue))).isFalse();
        assertThat(encrypted.template().resources()).containsKey("EventBusDeadLetterQueueAlarm");
        assertThat(Deployment.of(TEMPLATE, with()).template().resources())
                .doesNotContainKeys("EventBusDeadLetterQueue", "EventBusDeadLetterQueuePolicy",
                        "EventBusDeadLetterQueueAlarm");
    }

    // --- the template as a whole: lint-clean structure, kept state, guard rails ------------------------------

    static Stream<Map<String, String>> scenarios() {
        return Stream.concat(TemplateTest.scenarios(), Stream.of(
                with("AllowedClusterNames", "a-b,a_b,ab", "ProtectedPrincipalArns", PROTECTED + "," + PROTECTED_USER),
                with("AllowedClusterNames", "*", "QueueType", "Fifo", "KmsKeyArn", KMS_KEY, "OperatorRoleArn",
                        OPERATOR, "ApproverTopicArns", TOPIC, "RejectionAuditLog", "Enabled")));
    }

    /** cfn-lint's E3019 came from Fn::ForEach copies of one policy: now every name is a literal of its role. */
    @ParameterizedTest
    @MethodSource("scenarios")
    void policyNames_whenAnyParametersAreGiven_areLiteralAndUniquePerRole(Map<String, String> parameters) {
        CloudFormationTemplate template = TEMPLATE.deployedWith(parameters);

        assertThat(template.resourcesOfType("AWS::IAM::RolePolicy")).isEmpty();
        assertThat(template.resourcesOfType("AWS::IAM::Policy")).isEmpty();
        for (String role : template.resourcesOfType("AWS::IAM::Role")) {
            List<Object> names = asList(template.properties(role).get("Policies")).stream()
                    .map(policy -> asMap(policy).get("PolicyName")).toList();
            assertThat(names).as(role).allMatch(name -> name instanceof String).doesNotHaveDuplicates();
        }
    }

    @ParameterizedTest
    @MethodSource("scenarios")
    void resources_whenAnyParametersAreGiven_dependOnEachOtherWithoutACycle(Map<String, String> parameters) {
        CloudFormationTemplate template = TEMPLATE.deployedWith(parameters);
        Map<String, Set<String>> dependencies = new HashMap<>();
        template.resources().forEach((id, resource) -> dependencies.put(id, references(resource,
                template.resources().keySet())));

        assertThat(cycle(dependencies)).isEmpty();
        assertThat(dependencies.get("AccessEventBus")).contains(ROLE);
        assertThat(dependencies.get(ROLE)).doesNotContain("AccessEventBus");
        assertThat(dependencies.get("DeadLetterQueue")).doesNotContain("RequestQueue");
    }

    /** IAM allows 10,240 characters of inline policy per role: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html */
    @Test
    void functionRole_whenAHundredClustersAreAllowed_fitsTheInlinePolicyQuota() throws IOException {
        String clusters = IntStream.range(0, 100).mapToObj(i -> "production-cluster-" + i)
                .collect(Collectors.joining(","));
        Deployment many = Deployment.of(TEMPLATE, with("AllowedClusterNames", clusters, "ProtectedPrincipalArns",
                PROTECTED + "," + PROTECTED_USER, "KmsKeyArn", KMS_KEY));
        int characters = 0;
        for (Object policy : asList(many.properties(ROLE).get("Policies"))) {
            characters += JSON.std.asString(asMap(policy).get("PolicyDocument")).replaceAll("\\s", "").length();
        }

        assertThat(characters).isLessThan(10_240);
    }

    @Test
    void statefulResources_whenTheStackIsDeletedOrTheyAreReplaced_areKept() {
        for (String stateful : List.of("IdempotencyTable", "RequestQueue", "DeadLetterQueue", "ExpiryScheduleGroup",
                "EventBusDeadLetterQueue", "FunctionLogGroup")) {
            assertThat(TEMPLATE.resource(stateful)).as(stateful).containsEntry("DeletionPolicy", "Retain")
                    .containsEntry("UpdateReplacePolicy", "Retain");
        }
        assertThat(TEMPLATE.properties("IdempotencyTable"))
                .containsEntry("DeletionProtectionEnabled", Map.of("Ref", "TableDeletionProtection"));
        assertThat(TemplateTest.defaultOf("TableDeletionProtection")).isEqualTo("true");
        assertThat(asList(TemplateTest.parameter("TableDeletionProtection").get("AllowedValues")))
                .containsExactly("true", "false");
    }

    @Test
    void roles_whenAPermissionsBoundaryIsGiven_allCarryIt() {
        CloudFormationTemplate bounded = TEMPLATE.deployedWith(with("PermissionsBoundaryArn",
                "arn:aws:iam::" + ACCOUNT + ":policy/boundary"));
        CloudFormationTemplate unbounded = TEMPLATE.deployedWith(with());

        assertThat(bounded.resourcesOfType("AWS::IAM::Role")).containsExactlyInAnyOrder(ROLE, SCHEDULER_ROLE);
        for (String role : bounded.resourcesOfType("AWS::IAM::Role")) {
            assertThat(bounded.properties(role)).as(role)
                    .containsEntry("PermissionsBoundary", Map.of("Ref", "PermissionsBoundaryArn"));
            assertThat(unbounded.properties(role)).as(role).doesNotContainKey("PermissionsBoundary");
        }
        // SAM would generate a role (without the boundary) for a function that names none.
        assertThat(bounded.properties(FUNCTION)).containsKey("Role");
        assertThat(bounded.resources().values().stream().map(resource -> asMap(resource).get("Type")))
                .filteredOn(type -> String.valueOf(type).startsWith("AWS::Serverless::"))
                .containsExactly("AWS::Serverless::Function");
    }

    @Test
    void scheduleGroup_isNamedToTheFunctionAndOutput() {
        assertThat(TEMPLATE.resource("ExpiryScheduleGroup").get("Type")).isEqualTo("AWS::Scheduler::ScheduleGroup");
        assertThat(asMap(TEMPLATE.outputs().get("ScheduleGroupName")).get("Value"))
                .isEqualTo(Map.of("Ref", "ExpiryScheduleGroup"));
        assertThat(SECURED.properties(FUNCTION).toString()).contains("SCHEDULE_GROUP_NAME="
                + SECURED.ref("ExpiryScheduleGroup"));
    }

    // --- helpers ----------------------------------------------------------------------------------

    private static Arguments eks(String why, String operation, String cluster, String region, String account,
                                 String principal, Decision expected) {
        return Arguments.of(why, eksRequest(operation, cluster, region, account, principal), expected);
    }

    /** A request on the access entry of {@code principal} ({@code role/name}, {@code @account} for another one). */
    static Request eksRequest(String operation, String cluster, String region, String account, String principal) {
        String[] kindAndName = principal.split("@")[0].split("/");
        String principalAccount = principal.contains("@") ? principal.split("@")[1] : ACCOUNT;
        String principalArn = "arn:aws:iam::" + principalAccount + ":" + kindAndName[0] + "/" + kindAndName[1];
        String entry = "arn:aws:eks:" + region + ":" + account + ":access-entry/" + cluster + "/" + kindAndName[0]
                + "/" + principalAccount + "/" + kindAndName[1] + "/6ec5a2a0-0000-4000-8000-000000000000";
        return Request.of(SECURED.arn(ROLE), "eks:" + operation, entry, "eks:principalArn", principalArn,
                "eks:clusterName", cluster);
    }

    private static Arguments queue(String why, String principal, String action, boolean denied, String... context) {
        return Arguments.of(why, Request.of(principal, action, "the queue", context), denied);
    }

    static List<Map<String, Object>> identityStatements(Deployment deployment, String role) {
        List<Map<String, Object>> statements = new ArrayList<>();
        for (Object policy : asList(deployment.properties(role).get("Policies"))) {
            statements.addAll(statements(asMap(policy).get("PolicyDocument")));
        }
        return statements;
    }

    static List<Map<String, Object>> policy(Deployment deployment, String queuePolicy) {
        return statements(deployment.properties(queuePolicy).get("PolicyDocument"));
    }

    static List<Map<String, Object>> busPolicy(Deployment deployment) {
        return statements(deployment.properties("AccessEventBus").get("Policy"));
    }

    private static List<Map<String, Object>> statements(Object document) {
        return asList(asMap(document).get("Statement")).stream().map(CloudFormationTemplate::asMap).toList();
    }

    private static boolean deniedBy(List<Map<String, Object>> statements, Request request) {
        return statements.stream().anyMatch(statement -> "Deny".equals(statement.get("Effect"))
                && IamPolicyEvaluator.applies(statement, request));
    }

    /** The context a statement's own conditions ask for: the first value of each positive test. */
    private static Map<String, String> requiredContext(Map<String, Object> statement) {
        Map<String, String> context = new LinkedHashMap<>();
        Object condition = statement.get("Condition");
        if (condition != null) {
            asMap(condition).forEach((operator, tests) -> asMap(tests).forEach((key, values) -> context.put(key,
                    IamPolicyEvaluator.strings(values).get(0))));
        }
        return context;
    }

    /** A concrete resource a granted ARN pattern covers, on an allowed cluster for access entries. */
    private static String sample(String resource) {
        return resource.contains(":access-entry/")
                ? resource.replace("*", "demo/role/" + ACCOUNT + "/someone/6ec5a2a0-0000-4000-8000-000000000000")
                : resource.replace("*", "sample");
    }

    private static final Pattern SUB_RESOURCE = Pattern.compile("\\$\\{([A-Za-z0-9]+)(\\.[A-Za-z.]+)?}");

    /** Resources a node refers to: Ref, Fn::GetAtt, Fn::Sub variables and DependsOn. */
    private static Set<String> references(Object node, Set<String> resources) {
        Set<String> found = new LinkedHashSet<>();
        new Object() {
            void visit(Object value) {
                if (value instanceof List<?> list) {
                    list.forEach(this::visit);
                } else if (value instanceof Map<?, ?> map) {
                    map.forEach((key, inner) -> {
                        switch (String.valueOf(key)) {
                            case "Ref" -> add(String.valueOf(inner));
                            case "Fn::GetAtt" -> add(String.valueOf(asList(inner).get(0)));
                            case "DependsOn" -> IamPolicyEvaluator.strings(inner).forEach(this::add);
                            case "Fn::Sub" -> {
                                Matcher variables = SUB_RESOURCE.matcher(String.valueOf(
                                        inner instanceof List<?> list ? list.get(0) : inner));
                                while (variables.find()) {
                                    add(variables.group(1));
                                }
                            }
                            default -> { }
                        }
                        visit(inner);
                    });
                }
            }

            void add(String name) {
                if (resources.contains(name)) {
                    found.add(name);
                }
            }
        }.visit(node);
        return found;
    }

    /** One cycle through the graph, or an empty list. */
    private static List<String> cycle(Map<String, Set<String>> dependencies) {
        Set<String> done = new HashSet<>();
        for (String start : dependencies.keySet()) {
            List<String> path = new ArrayList<>();
            List<String> found = walk(start, dependencies, path, done);
            if (!found.isEmpty()) {
                return found;
            }
        }
        return List.of();
    }

    private static List<String> walk(String node, Map<String, Set<String>> dependencies, List<String> path,
                                     Set<String> done) {
        if (path.contains(node)) {
            return new ArrayList<>(path.subList(path.indexOf(node), path.size()));
        }
        if (done.contains(node)) {
            return List.of();
        }
        path.add(node);
        for (String next : dependencies.getOrDefault(node, Set.of())) {
            List<String> found = walk(next, dependencies, path, done);
            if (!found.isEmpty()) {
                return found;
            }
        }
        path.remove(path.size() - 1);
        done.add(node);
        return List.of();
    }
}
