package dev.eksaccessupdater.template;

import static dev.eksaccessupdater.template.IamPolicyEvaluator.Decision.ALLOW;
import static dev.eksaccessupdater.template.IamPolicyEvaluator.Decision.EXPLICIT_DENY;
import static dev.eksaccessupdater.template.IamPolicyEvaluator.Decision.IMPLICIT_DENY;
import static dev.eksaccessupdater.template.IamPolicyEvaluator.evaluate;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.eksaccessupdater.template.IamPolicyEvaluator.Request;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The evaluator the security tests rest on behaves as IAM documents it. */
class IamPolicyEvaluatorTest {

    private static final String ROLE = "arn:aws:iam::111122223333:role/app";
    private static final String TABLE = "arn:aws:dynamodb:us-east-1:111122223333:table/t";

    @Test
    void evaluate_whenNothingMatches_deniesImplicitly() {
        assertThat(evaluate(List.of(), Request.of(ROLE, "dynamodb:GetItem", TABLE))).isEqualTo(IMPLICIT_DENY);
        assertThat(evaluate(List.of(allow("dynamodb:PutItem", TABLE)), Request.of(ROLE, "dynamodb:GetItem", TABLE)))
                .isEqualTo(IMPLICIT_DENY);
    }

    @Test
    void evaluate_whenAnAllowAndADenyMatch_deniesExplicitly() {
        List<Map<String, Object>> statements = List.of(allow("dynamodb:*", "*"),
                Map.of("Effect", "Deny", "Action", "dynamodb:DeleteItem", "Resource", TABLE));

        assertThat(evaluate(statements, Request.of(ROLE, "dynamodb:DeleteItem", TABLE))).isEqualTo(EXPLICIT_DENY);
        assertThat(evaluate(statements, Request.of(ROLE, "DynamoDB:getitem", TABLE))).isEqualTo(ALLOW);
    }

    @Test
    void resources_whenWildcarded_matchAcrossSlashesAndColonsButCaseSensitively() {
        Map<String, Object> statement = allow("eks:UpdateAccessEntry", "arn:aws:eks:*:*:access-entry/demo/*");

        assertThat(evaluate(List.of(statement), Request.of(ROLE, "eks:UpdateAccessEntry",
                "arn:aws:eks:us-east-1:1:access-entry/demo/role/1/x/uuid"))).isEqualTo(ALLOW);
        assertThat(evaluate(List.of(statement), Request.of(ROLE, "eks:UpdateAccessEntry",
                "arn:aws:eks:us-east-1:1:access-entry/Demo/role/1/x/uuid"))).isEqualTo(IMPLICIT_DENY);
        assertThat(evaluate(List.of(statement), Request.of(ROLE, "eks:UpdateAccessEntry",
                "arn:aws:eks:us-east-1:1:access-entry/demo-2/role/1/x/uuid"))).isEqualTo(IMPLICIT_DENY);
    }

    @Test
    void notResource_whenTheResourceIsListed_doesNotApply() {
        Map<String, Object> deny = Map.of("Effect", "Deny", "Action", "eks:*", "NotResource", List.of("arn:*:a/*"));

        assertThat(IamPolicyEvaluator.applies(deny, Request.of(ROLE, "eks:X", "arn:aws:a/1"))).isFalse();
        assertThat(IamPolicyEvaluator.applies(deny, Request.of(ROLE, "eks:X", "arn:aws:b/1"))).isTrue();
    }

    @Test
    void conditions_whenTheKeyIsMissing_failPositiveOperatorsAndPassNegatedAndIfExistsOnes() {
        Request withoutKey = Request.of("sqs.amazonaws.com", "sqs:SendMessage", "q");

        assertThat(holds("ArnEquals", "aws:PrincipalArn", ROLE, withoutKey)).isFalse();
        assertThat(holds("ArnNotEquals", "aws:PrincipalArn", ROLE, withoutKey)).isTrue();
        assertThat(holds("StringEqualsIfExists", "aws:PrincipalArn", ROLE, withoutKey)).isTrue();
        assertThat(holds("StringNotLike", "aws:PrincipalArn", ROLE, withoutKey)).isTrue();
    }

    @Test
    void conditions_whenSeveralValuesAreListed_matchAnyAndNegationsMatchNone() {
        Request request = Request.of(ROLE, "sqs:SendMessage", "q");
        List<String> roles = List.of("arn:aws:iam::111122223333:role/other", ROLE);

        assertThat(holds("ArnEquals", "aws:PrincipalArn", roles, request)).isTrue();
        assertThat(holds("ArnNotEquals", "aws:PrincipalArn", roles, request)).isFalse();
        assertThat(holds("ArnNotEquals", "aws:PrincipalArn", List.of("arn:aws:iam::111122223333:role/other"),
                request)).isTrue();
    }

    @Test
    void arnOperators_whenComparing_matchEachPartWithWildcardsAndCase() {
        Request request = Request.of(ROLE, "a:b", "r");

        assertThat(holds("ArnLike", "aws:PrincipalArn", "arn:aws:iam::*:role/a*", request)).isTrue();
        assertThat(holds("ArnEquals", "aws:PrincipalArn", "arn:aws:iam::111122223333:role/App", request)).isFalse();
        assertThat(holds("ArnLike", "aws:PrincipalArn", "arn:aws:iam::111122223333", request)).isFalse();
        assertThat(holds("StringEqualsIgnoreCase", "aws:PrincipalArn", ROLE.toUpperCase(), request)).isTrue();
        assertThat(holds("StringLike", "aws:PrincipalArn", "*:role/ap?", request)).isTrue();
        assertThat(holds("Bool", "aws:SecureTransport", "TRUE", request)).isTrue();
    }

    @Test
    void conditions_whenSeveralKeysOrOperatorsAreGiven_mustAllHold() {
        Map<String, Object> deny = Map.of("Effect", "Deny", "Principal", "*", "Action", "sqs:SendMessage",
                "Resource", "q", "Condition", Map.of("ArnNotEquals",
                        Map.of("aws:PrincipalArn", ROLE, "aws:SourceArn", "arn:aws:sns:us-east-1:1:t")));

        assertThat(IamPolicyEvaluator.applies(deny, Request.of("arn:aws:iam::1:role/x", "sqs:SendMessage", "q")))
                .isTrue();
        assertThat(IamPolicyEvaluator.applies(deny, Request.of("sns.amazonaws.com", "sqs:SendMessage", "q",
                "aws:SourceArn", "arn:aws:sns:us-east-1:1:t"))).isFalse();
        assertThat(IamPolicyEvaluator.applies(deny, Request.of(ROLE, "sqs:SendMessage", "q"))).isFalse();
    }

    @Test
    void principals_whenNamedInAResourcePolicy_matchThatPrincipalOrTheirAccountsRoot() {
        Map<String, Object> allow = Map.of("Effect", "Allow", "Principal",
                Map.of("AWS", "arn:aws:iam::111122223333:root"), "Action", "events:PutEvents", "Resource", "b");

        assertThat(evaluate(List.of(allow), Request.of(ROLE, "events:PutEvents", "b"))).isEqualTo(ALLOW);
        assertThat(evaluate(List.of(allow), Request.of("arn:aws:iam::444455556666:role/x", "events:PutEvents", "b")))
                .isEqualTo(IMPLICIT_DENY);
    }

    @Test
    void evaluate_whenAnOperatorIsNotModelled_fails() {
        Map<String, Object> statement = Map.of("Effect", "Allow", "Action", "a:b", "Resource", "*",
                "Condition", Map.of("IpAddress", Map.of("aws:SourceIp", "10.0.0.0/8")));

        assertThatThrownBy(() -> evaluate(List.of(statement), Request.of(ROLE, "a:b", "r", "aws:SourceIp", "10.0.0.1")))
                .hasMessageContaining("IpAddress");
    }

    private static Map<String, Object> allow(String action, String resource) {
        return Map.of("Effect", "Allow", "Action", action, "Resource", resource);
    }

    private static boolean holds(String operator, String key, Object values, Request request) {
        Map<String, Object> statement = Map.of("Effect", "Allow", "Action", "*", "Resource", "*",
                "Condition", Map.of(operator, Map.of(key, values)));
        return IamPolicyEvaluator.applies(statement, request);
    }
}
