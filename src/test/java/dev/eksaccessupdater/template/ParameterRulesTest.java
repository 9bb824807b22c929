package dev.eksaccessupdater.template;

import static dev.eksaccessupdater.template.CloudFormationTemplate.asList;
import static dev.eksaccessupdater.template.CloudFormationTemplate.asMap;
import static dev.eksaccessupdater.template.TemplateTest.FUNCTION;
import static dev.eksaccessupdater.template.TemplateTest.TEMPLATE;
import static org.assertj.core.api.Assertions.assertThat;

import dev.eksaccessupdater.Configuration;
import dev.eksaccessupdater.failure.ConfigurationException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Parameters fail at deploy time, not at version publish: one table of sample values per setting, each checked
 * against the template parameter's constraints (AllowedPattern with java.util.regex, AllowedValues, MinValue,
 * MaxValue) and against {@link Configuration#fromEnvironment}, which must agree. The only difference allowed is
 * deliberate and one-way: the template refuses blanks around values and list items (and an empty EventSource or
 * MetricsNamespace), because CloudFormation also hands the raw value to IAM policies and alarms, where the code would
 * have trimmed it.
 */
class ParameterRulesTest {

    private static final String PROTECTED = "arn:aws:iam::111122223333:role/cluster-admin";
    private static final String PROTECTED_USER = "arn:aws:iam::111122223333:user/ops/break-glass";
    private static final Map<String, String> REQUIRED = Map.of("IDEMPOTENCY_TABLE_NAME", "access-requests",
            "EVENT_BUS_NAME", "access-events", "ALLOWED_CLUSTER_NAMES", "demo");

    /** A parameter's samples: accepted by both, rejected by both, and refused by the template only (blanks). */
    record Samples(String parameter, List<String> accepted, List<String> rejected, List<String> templateOnly) {
    }

    static final List<Samples> TABLE = List.of(
            new Samples("AllowedClusterNames",
                    List.of("demo", "demo,prod-1", "*", "a", "0cluster", "a_b-c", "c".repeat(100)),
                    List.of("", "demo,", ",demo", "demo,,prod", "*,demo", "demo,*", "**", "prod-*", "-prod", "_prod",
                            "c".repeat(101), "demo prod", "démo"),
                    List.of("demo, prod", " demo", "demo ", " * ")),
            new Samples("AllowedKubernetesGroups",
                    List.of("", "team-*", "team-*,viewers", "team a", "*", "?x", "system:*", "a,b,c"),
                    List.of("team-*,", ",viewers", "a,,b", ",", "a, ,b"),
                    List.of(" ", "team-*, viewers", " team-*", "team-* ")),
            new Samples("TimeBoundGroups",
                    List.of("", "break-glass-*", "break-glass-*,oncall", "on call"),
                    List.of("break-glass-*,", ",oncall", "a,,b"),
                    List.of(" ", "break-glass-*, oncall")),
            new Samples("ProtectedPrincipalArns",
                    List.of("", PROTECTED, PROTECTED + "," + PROTECTED_USER,
                            "arn:aws-us-gov:iam::111122223333:role/ops/team/Admin",
                            "arn:aws-cn:iam::111122223333:user/a+b=c.d@e_f-g",
                            "arn:aws:iam::111122223333:role/" + "r".repeat(64),
                            "arn:aws:iam::111122223333:role/p!a#t$h/Admin"),
                    List.of("arn:aws:sts::111122223333:assumed-role/Admin/session",
                            "arn:aws:iam::1111:role/Admin", "arn:aws:iam::111122223333:group/Admin",
                            "arn:aws:iam::111122223333:role/", "arn:aws:iam::111122223333:role/" + "r".repeat(65),
                            PROTECTED + ",", "admin", "arn:aws-iso:iam::111122223333:role/Admin",
                            "arn:aws:iam::111122223333:role/a b", "arn:aws:iam::111122223333:role/my path/Admin"),
                    List.of(" " + PROTECTED, PROTECTED + ", " + PROTECTED_USER)),
            new Samples("MessageConcurrency",
                    List.of("", "1", "8", "999", "1000", "08"),
                    List.of("0", "1001", "-1", "+8", "8.5", "eight", "\u0668", "99999999999999999999"),
                    List.of(" 8")),
            new Samples("IdempotencyTtlSeconds",
                    List.of("", "60", "99", "100", "604800", "99999999", "100000000", "299999999", "300000000",
                            "309999999", "310000000", "314999999", "315000000", "315299999", "315300000",
                            "315359999", "315360000", "0060"),
                    List.of("59", "0", "315360001", "315400000", "316000000", "320000000", "400000000", "999999999",
                            "1000000000", "-60", "6e1", "seven days", "99999999999999999999"),
                    List.of(" 60", "60 ")),
            new Samples("MaxGrantSeconds",
                    List.of("", "300", "999", "1000", "86400", "999999", "1000000", "6999999", "7000000", "7699999",
                            "7700000", "7769999", "7770000", "7775999", "7776000"),
                    List.of("299", "0", "7776001", "7777000", "7780000", "7800000", "8000000", "10000000", "90d"),
                    List.of(" 300")),
            new Samples("EventSource",
                    List.of("eks-access-updater", "com.example.eks/access_1", "aws", "aws-x", "awsome.events", "a",
                            "aw", "a.w", "AWS.eks", "s".repeat(256)),
                    List.of("aws.eks", "aws.", "my source", "s".repeat(257), "ék", "aws.\u0000"),
                    List.of("", " eks-access-updater")),
            new Samples("MetricsNamespace",
                    List.of("EksAccessUpdater", "A", "AW", "AWS", "AWS-x", "AWSx/y", "AW/S", "AWS Lambda", "A B",
                            "A W", "AW S", "AWS:x", "My App/Metrics #1", "n".repeat(255), "a/b"),
                    List.of("AWS/Lambda", "AWS/", "n".repeat(256), "bad!char", "a\tb"),
                    List.of("", " Ns", "Ns ", "  ")));

    static Stream<Arguments> samples() {
        List<Arguments> arguments = new ArrayList<>();
        for (Samples samples : TABLE) {
            samples.accepted().forEach(value -> arguments.add(Arguments.of(samples.parameter(), value, true, true)));
            samples.rejected().forEach(value -> arguments.add(Arguments.of(samples.parameter(), value, false, false)));
            samples.templateOnly().forEach(value -> arguments.add(Arguments.of(samples.parameter(), value, false,
                    true)));
        }
        return arguments.stream();
    }

    @ParameterizedTest(name = "{0}=\"{1}\"")
    @MethodSource("samples")
    void parameterAndConfiguration_whenGivenTheSameValue_agree(String parameter, String value, boolean template,
                                                               boolean code) {
        assertThat(templateAccepts(parameter, value)).as("template").isEqualTo(template);
        assertThat(codeAccepts(variable(parameter), value)).as("Configuration").isEqualTo(code);
    }

    /** Digit-boundary sweeps (10^k, the limits, both plus and minus 2) and random numbers for the numeric settings. */
    @Test
    void numericParameters_whenSweptAcrossTheirRanges_agreeWithTheCodeOnEveryNumber() {
        Random random = new Random(42);
        for (String parameter : List.of("MessageConcurrency", "IdempotencyTtlSeconds", "MaxGrantSeconds")) {
            TreeSet<Long> numbers = new TreeSet<>();
            for (long power = 1; power <= 10_000_000_000L; power *= 10) {
                for (long delta = -2; delta <= 2; delta++) {
                    numbers.add(power + delta);
                    numbers.add(3 * power + delta);
                    numbers.add(7 * power + delta);
                }
            }
            for (long limit : List.of(1L, 1_000L, 60L, 315_360_000L, 300L, 7_776_000L)) {
                for (long delta = -2; delta <= 2; delta++) {
                    numbers.add(limit + delta);
                }
            }
            random.longs(300, 0, 400_000_000L).forEach(numbers::add);
            for (long number : numbers) {
                String value = Long.toString(number);
                assertThat(templateAccepts(parameter, value)).as("%s=%s", parameter, value)
                        .isEqualTo(codeAccepts(variable(parameter), value));
            }
        }
    }

    /** Every setting the code validates and the template feeds from a parameter is in the table. */
    @Test
    void table_whenComparedWithTheFunctionsEnvironment_coversEveryParameterTheCodeValidates() {
        Map<String, String> parameterByVariable = new LinkedHashMap<>();
        asMap(asMap(TEMPLATE.properties(FUNCTION).get("Environment")).get("Variables")).forEach((variable, value) -> {
            Object ref = asMap(value).get("Ref");
            if (ref != null && TEMPLATE.parameters().containsKey(ref)) {
                parameterByVariable.put(variable, (String) ref);
            }
        });

        assertThat(TABLE.stream().map(Samples::parameter))
                .containsExactlyInAnyOrderElementsOf(parameterByVariable.values());
        for (Samples samples : TABLE) {
            assertThat(samples.accepted()).as(samples.parameter()).isNotEmpty();
            assertThat(samples.rejected()).as(samples.parameter()).isNotEmpty();
            assertThat(asMap(TEMPLATE.parameters().get(samples.parameter())))
                    .as("%s is constrained", samples.parameter())
                    .containsAnyOf(Map.entry("Type", "Number"), Map.entry("Type", "String"))
                    .containsKeys("AllowedPattern", "ConstraintDescription");
        }
    }

    /** CloudFormation checks a parameter's default against its own constraints, too. */
    @Test
    void defaults_whenTheStackIsCreated_passTheirParametersConstraints() {
        TEMPLATE.parameters().forEach((name, declaration) -> {
            Object defaultValue = asMap(declaration).get("Default");
            if (defaultValue != null) {
                assertThat(templateAccepts(name, String.valueOf(defaultValue))).as(name).isTrue();
            }
        });
    }

    /** Whether CloudFormation would take this value for the parameter. */
    static boolean templateAccepts(String parameter, String value) {
        Map<String, Object> declaration = asMap(TEMPLATE.parameters().get(parameter));
        Object pattern = declaration.get("AllowedPattern");
        if (pattern != null) {
            List<String> values = String.valueOf(declaration.get("Type")).equals("CommaDelimitedList")
                    ? List.of(value.split(",", -1)) : List.of(value);
            if (!values.stream().allMatch(item -> Pattern.compile((String) pattern).matcher(item).matches())) {
                return false;
            }
        }
        Object allowedValues = declaration.get("AllowedValues");
        if (allowedValues != null && asList(allowedValues).stream().map(String::valueOf).noneMatch(value::equals)) {
            return false;
        }
        if ("Number".equals(declaration.get("Type"))) {
            try {
                double number = Double.parseDouble(value);
                return !(declaration.get("MinValue") instanceof Number min && number < min.doubleValue())
                        && !(declaration.get("MaxValue") instanceof Number max && number > max.doubleValue());
            } catch (NumberFormatException notANumber) {
                return false;
            }
        }
        return true;
    }

    private static boolean codeAccepts(String variable, String value) {
        Map<String, String> environment = new HashMap<>(REQUIRED);
        environment.put(variable, value);
        try {
            Configuration.fromEnvironment(environment);
            return true;
        } catch (ConfigurationException refused) {
            return false;
        }
    }

    private static String variable(String parameter) {
        Map<String, Object> variables = asMap(asMap(TEMPLATE.properties(FUNCTION).get("Environment")).get("Variables"));
        return variables.entrySet().stream().filter(entry -> Map.of("Ref", parameter).equals(entry.getValue()))
                .map(Map.Entry::getKey).findFirst().orElseThrow();
    }
}
