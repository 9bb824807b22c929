package dev.eksaccessupdater.template;

import static dev.eksaccessupdater.template.CloudFormationTemplate.asMap;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A small model of IAM policy evaluation, enough to prove what the template's policies allow and deny: an explicit
 * Deny wins, else an Allow grants, else the request is implicitly denied. It reads rendered statements (concrete
 * strings, see {@link Deployment}) with Principal, Action/NotAction, Resource/NotResource and the condition
 * operators the template uses. It follows the IAM policy evaluation logic and condition-operator reference:
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html and
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
 */
final class IamPolicyEvaluator {

    enum Decision { ALLOW, IMPLICIT_DENY, EXPLICIT_DENY }

    /**
     * One request.
     *
     * @param principal who asks: an IAM role ARN, or a service principal such as {@code sqs.amazonaws.com}; only
     *                  resource policies look at it
     * @param context   condition keys and their values; {@code aws:PrincipalArn} is filled from an ARN principal
     */
    record Request(String principal, String action, String resource, Map<String, String> context) {

        Request {
            context = Map.copyOf(context);
        }

        static Request of(String principal, String action, String resource, String... keyValuePairs) {
            Map<String, String> context = new java.util.LinkedHashMap<>();
            if (principal.startsWith("arn:")) {
                context.put("aws:PrincipalArn", principal);
            }
            context.put("aws:SecureTransport", "true");
            for (int i = 0; i < keyValuePairs.length; i += 2) {
                if (keyValuePairs[i + 1] == null) {
                    context.remove(keyValuePairs[i]);
                } else {
                    context.put(keyValuePairs[i], keyValuePairs[i + 1]);
                }
            }
            return new Request(principal, action, resource, context);
        }

        Request with(String key, String value) {
            Map<String, String> changed = new java.util.LinkedHashMap<>(context);
            changed.put(key, value);
            return new Request(principal, action, resource, changed);
        }
    }

    private IamPolicyEvaluator() {
    }

    static Decision evaluate(List<Map<String, Object>> statements, Request request) {
        boolean allowed = false;
        for (Map<String, Object> statement : statements) {
            if (!applies(statement, request)) {
                continue;
            }
            if ("Deny".equals(statement.get("Effect"))) {
                return Decision.EXPLICIT_DENY;
            }
            allowed = true;
        }
        return allowed ? Decision.ALLOW : Decision.IMPLICIT_DENY;
    }

    static boolean applies(Map<String, Object> statement, Request request) {
        return principalMatches(statement.get("Principal"), request.principal())
                && matchesOrNot(statement, "Action", "NotAction", value -> globMatches(value, request.action(), true))
                && matchesOrNot(statement, "Resource", "NotResource",
                        value -> globMatches(value, request.resource(), false))
                && conditionsHold(statement.get("Condition"), request.context());
    }

    private static boolean principalMatches(Object principal, String who) {
        if (principal == null || "*".equals(principal)) {
            return true; // an identity policy names no principal: it is the principal's own
        }
        for (Map.Entry<String, Object> entry : asMap(principal).entrySet()) {
            for (String value : strings(entry.getValue())) {
                if (value.equals("*") || value.equals(who)) {
                    return true;
                }
                if (entry.getKey().equals("AWS") && value.matches("arn:[^:]+:iam::[0-9]{12}:root")
                        && who.startsWith("arn:") && who.split(":")[4].equals(value.split(":")[4])) {
                    return true; // an account's root stands for every principal of the account
                }
            }
        }
        return false;
    }

    private interface ValueMatcher {
        boolean matches(String value);
    }

    private static boolean matchesOrNot(Map<String, Object> statement, String positive, String negative,
                                        ValueMatcher matcher) {
        if (statement.containsKey(positive)) {
            return strings(statement.get(positive)).stream().anyMatch(matcher::matches);
        }
        if (statement.containsKey(negative)) {
            return strings(statement.get(negative)).stream().noneMatch(matcher::matches);
        }
        if (positive.equals("Resource") && statement.containsKey("Principal")) {
            return true; // a role's trust policy: its resource is the role itself
        }
        throw new IllegalArgumentException("Statement without " + positive + " or " + negative + ": " + statement);
    }

    private static boolean conditionsHold(Object condition, Map<String, String> context) {
        if (condition == null) {
            return true;
        }
        for (Map.Entry<String, Object> block : asMap(condition).entrySet()) {
            for (Map.Entry<String, Object> test : asMap(block.getValue()).entrySet()) {
                if (!holds(block.getKey(), context.get(test.getKey()), strings(test.getValue()), context)) {
                    return false;
                }
            }
        }
        return true;
    }

    /** One operator on one key: any listed value may match; a missing key fails a positive test and passes a Not. */
    private static boolean holds(String operator, String actual, List<String> expected, Map<String, String> context) {
        boolean ifExists = operator.endsWith("IfExists");
        String base = ifExists ? operator.substring(0, operator.length() - "IfExists".length()) : operator;
        boolean negated = base.contains("Not");
        if (actual == null) {
            return ifExists || negated;
        }
        String positive = base.replace("Not", "");
        boolean any = false;
        for (String value : expected) {
            String resolved = resolveVariables(value, context);
            any |= switch (positive) {
                case "StringEquals" -> actual.equals(resolved);
                case "StringEqualsIgnoreCase" -> actual.equalsIgnoreCase(resolved);
                case "StringLike" -> globMatches(resolved, actual, false);
                case "ArnEquals", "ArnLike" -> arnMatches(resolved, actual);
                case "Bool" -> actual.equalsIgnoreCase(resolved);
                default -> throw new IllegalArgumentException("Condition operator not modelled: " + operator);
            };
        }
        return negated != any;
    }

    /** ArnEquals and ArnLike: each of the six colon-separated parts matched on its own, with wildcards. */
    private static boolean arnMatches(String pattern, String arn) {
        String[] patternParts = pattern.split(":", 6);
        String[] arnParts = arn.split(":", 6);
        if (patternParts.length != 6 || arnParts.length != 6) {
            return false;
        }
        for (int i = 0; i < 6; i++) {
            if (!globMatches(patternParts[i], arnParts[i], false)) {
                return false;
            }
        }
        return true;
    }

    private static String resolveVariables(String value, Map<String, String> context) {
        String resolved = value;
        for (Map.Entry<String, String> entry : context.entrySet()) {
            resolved = resolved.replace("${" + entry.getKey() + "}", entry.getValue());
        }
        return resolved;
    }

    /** {@code *} any run of characters (slashes and colons too), {@code ?} one character. */
    static boolean globMatches(String glob, String value, boolean ignoreCase) {
        StringBuilder regex = new StringBuilder();
        for (char character : glob.toCharArray()) {
            regex.append(switch (character) {
                case '*' -> ".*";
                case '?' -> ".";
                default -> Pattern.quote(String.valueOf(character));
            });
        }
        Pattern pattern = Pattern.compile(regex.toString(), Pattern.DOTALL | (ignoreCase ? Pattern.CASE_INSENSITIVE : 0));
        return pattern.matcher(ignoreCase ? value.toLowerCase(Locale.ROOT) : value).matches();
    }

    static List<String> strings(Object value) {
        List<String> strings = new ArrayList<>();
        if (value instanceof List<?> list) {
            list.forEach(item -> strings.add(String.valueOf(item)));
        } else if (value != null) {
            strings.add(String.valueOf(value));
        }
        return strings;
    }
}
