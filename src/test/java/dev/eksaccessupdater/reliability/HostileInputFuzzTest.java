package dev.eksaccessupdater.reliability;

import dev.eksaccessupdater.testing.TestContext;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Thousands of generated and mutated messages (broken JSON, wrong types, huge strings, deep nesting, control and
 * format characters, lone surrogates, near-miss ARNs, group and username edge cases, SNS envelopes with junk)
 * through the real handler on in-memory ports. Each ends REJECTED with a reason naming the rule, or APPLIED when
 * it was valid, and then nothing invalid reached EKS; nothing escapes, nothing hangs, memory stays bounded, and
 * every log line is one line of JSON whatever the input echoed into it. Seeded: a failure names its seed.
 */
class HostileInputFuzzTest {

    private static final long SEED = 0xF022_2026L;
    private static final int MESSAGES = 3_000;
    private static final int BATCH = 10;
    private static final String PROTECTED = "arn:aws:iam::111122223333:role/cluster-admin";
    private static final Map<String, String> SETTINGS = Map.of(
            "ALLOWED_KUBERNETES_GROUPS", "team-*,viewers", "PROTECTED_PRINCIPAL_ARNS", PROTECTED,
            "MAX_CONCURRENCY", "4");
    /** docs/contract.md section 2 for a principal EKS gets: an IAM user or role of an allowed partition. */
    private static final Pattern PRINCIPAL = Pattern.compile(
            "arn:(aws|aws-cn|aws-us-gov):iam::[0-9]{12}:(user|role)/.+");
    private static final List<String> RULE_WORDS = List.of("clusterName", "principalArn", "kubernetesGroups",
            "addKubernetesGroups", "removeKubernetesGroups", "username", "clientRequestToken", "metadata",
            "field", "JSON", "message body", "SNS", "group", "ALLOWED_", "PROTECTED_", "cluster");
    private static final List<String> HOSTILE = List.of("\u0000", "\n", "\r\n", "\u0085", "\u2028", "\u2029",
            "\u202e", "\u200b", "\ufeff", "\ud800", "\udfff", "\"", "\\", "\\u0000", "\\n", "\\ud800", "{", "}", "[",
            "]", ",", ":", "\u00e9", "\ud83d\ude00", "system:", "{{SessionName}}", "%00", "\t", " ", "\u007f");

    private final Random random = new Random(SEED);
    private int counter;

    @Test
    void handleRequest_withHostileMessages_rejectsNamingTheRuleOrAppliesOnlyValidChanges() {
        try (MemoryHarness harness = new MemoryHarness(SETTINGS, 4)) {
            for (String principal : List.of(Messages.PRINCIPALS.get(0), Messages.PRINCIPALS.get(1),
                    Messages.PRINCIPALS.get(2), PROTECTED)) {
                harness.putEntry(principal, Set.of("viewers"), "user");
            }
            Runtime runtime = Runtime.getRuntime();
            System.gc();
            long heapBefore = runtime.totalMemory() - runtime.freeMemory();
            Map<String, String> bodies = new HashMap<>();
            Map<String, String> outcomes = new HashMap<>();

            assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
                for (int sent = 0; sent < MESSAGES; sent += BATCH) {
                    List<SQSEvent.SQSMessage> batch = new ArrayList<>();
                    for (int index = 0; index < BATCH; index++) {
                        String id = "fuzz-" + (sent + index);
                        String body = nextBody();
                        bodies.put(id, body);
                        batch.add(Messages.record(id, body, random.nextInt(4) == 0 ? "group-" + index % 3 : null, 1));
                    }
                    int linesBefore = harness.logLines.size();
                    SQSBatchResponse response = harness.handler().handleRequest(Messages.event(batch),
                            TestContext.remaining(Duration.ofSeconds(60)));
                    assertThat(response.getBatchItemFailures())
                            .as("no message of a fault-free batch is retried (seed %d)", SEED).isEmpty();
                    for (String line : harness.logLines.subList(linesBefore, harness.logLines.size())) {
                        Map<String, Object> fields = MemoryHarness.parse(line);
                        if ("message".equals(fields.get("event"))) {
                            outcomes.put((String) fields.get("messageId"), fields.get("outcome") + " "
                                    + fields.getOrDefault("reasonCode", "") + " " + fields.getOrDefault("reason", ""));
                        }
                    }
                }
            });

            System.gc();
            long heapAfter = runtime.totalMemory() - runtime.freeMemory();
            assertThat(heapAfter - heapBefore).as("heap growth over %d messages", MESSAGES)
                    .isLessThan(256L * 1024 * 1024);

            assertThat(outcomes).hasSize(MESSAGES);
            int applied = 0;
            for (Map.Entry<String, String> outcome : outcomes.entrySet()) {
                String text = outcome.getValue();
                String body = bodies.get(outcome.getKey());
                String shown = body.length() > 300 ? body.substring(0, 300) + "..." : body;
                if (text.startsWith("APPLIED") || text.startsWith("DUPLICATE")) {
                    applied++;
                    continue;
                }
                assertThat(text).as("outcome of %s", shown).startsWith("REJECTED");
                String[] parts = text.split(" ", 3);
                if (parts[1].equals("NOT_FOUND")) {
                    // A valid request for a principal without an access entry: EKS says so.
                    assertThat(parts[2]).startsWith("EKS ");
                    continue;
                }
                assertThat(parts[1]).as("reason code for %s", shown).isIn("INVALID_MESSAGE", "POLICY_DENIED",
                        "TOKEN_CONFLICT");
                assertThat(parts.length > 2 ? parts[2] : "").as("reason for %s", shown).isNotBlank()
                        .satisfies(reason -> assertThat(RULE_WORDS).anyMatch(reason::contains));
            }
            assertThat(applied).as("valid messages among the generated ones").isGreaterThan(MESSAGES / 20);

            // Nothing invalid reached EKS, whatever was APPLIED.
            for (Harness.Change change : harness.changes()) {
                assertThat(change.principal()).matches(PRINCIPAL).isNotEqualTo(PROTECTED);
                assertThat(change.groupsAfter()).allSatisfy(group -> assertThat(group)
                        .hasSizeBetween(1, 256).doesNotStartWith("system:")
                        .satisfies(name -> assertThat(name.codePoints()).noneMatch(Character::isISOControl)));
                assertThat(change.usernameAfter()).doesNotStartWith("system:").doesNotStartWith("eks:")
                        .doesNotStartWith("aws:").doesNotStartWith("amazon:").doesNotStartWith("iam:");
            }
            // Events and log lines: one line of JSON each, whatever was echoed into them.
            for (String line : harness.logLines) {
                assertThat(line).as("log line").doesNotContain("\n", "\r", "\u2028", "\u2029", "\u0085");
                MemoryHarness.parse(line);
            }
            for (Map<String, Object> detail : harness.events("Access Change Rejected")) {
                @SuppressWarnings("unchecked")
                String reason = (String) ((Map<String, Object>) detail.get("reason")).get("message");
                assertThat(reason).as("rejection reason").doesNotContain("\n", "\r", "\u2028", "\u2029", "\u0085")
                        .hasSizeLessThanOrEqualTo(1024);
            }
        }
    }

    /** First every hostile string at every place a value is echoed, then random ones. */
    /** Regression: a denied group or a JSON syntax error echoed U+2028, U+2029 or U+202E raw into logs and events. */
    @ParameterizedTest
    @ValueSource(strings = {"\u2028admins", "\u2029admins", "\u202eadmins"})
    void handleRequest_whenAnEchoedValueHoldsALineOrFormatCharacter_escapesIt(String hostile) {
        try (MemoryHarness harness = new MemoryHarness(SETTINGS, 1)) {
            harness.putEntry(Messages.PRINCIPALS.get(0), Set.of("viewers"), "user");
            String denied = "{\"clusterName\":\"demo\",\"principalArn\":\"" + Messages.PRINCIPALS.get(0)
                    + "\",\"addKubernetesGroups\":[\"" + hostile + "\"]}";
            String broken = "{" + hostile + "}";

            harness.handler().handleRequest(Messages.event(Messages.record("denied", denied, null, 1),
                    Messages.record("broken", broken, null, 1)), null);

            String escaped = String.format("\\u%04x", (int) hostile.charAt(0));
            List<Map<String, Object>> rejections = harness.events("Access Change Rejected");
            assertThat(rejections).hasSize(2).allSatisfy(detail -> {
                @SuppressWarnings("unchecked")
                String reason = (String) ((Map<String, Object>) detail.get("reason")).get("message");
                assertThat(reason).doesNotContain(hostile.substring(0, 1)).contains(escaped);
            });
            assertThat(harness.logLines).allSatisfy(line -> assertThat(line).doesNotContain(hostile.substring(0, 1)));
        }
    }

    private String nextBody() {
        counter++;
        int systematic = counter - 1;
        if (systematic < HOSTILE.size() * 8) {
            return hostileAt(HOSTILE.get(systematic / 8), systematic % 8);
        }
        List<Supplier<String>> generators = List.of(
                this::validBody, this::validBody, this::mutatedBody, this::mutatedBody, this::mutatedBody,
                this::brokenJson, this::wrongTypes, this::hugeStrings, this::deepNesting, this::hostileStrings,
                this::nearMissArn, this::groupEdgeCases, this::usernameEdgeCases, this::snsEnvelope,
                this::structuralOddities);
        return generators.get(random.nextInt(generators.size())).get();
    }

    private static String quote(String text) {
        StringBuilder quoted = new StringBuilder("\"");
        for (char character : text.toCharArray()) {
            switch (character) {
                case '"' -> quoted.append("\\\"");
                case '\\' -> quoted.append("\\\\");
                default -> {
                    if (character < 0x20) {
                        quoted.append(String.format("\\u%04x", (int) character));
                    } else {
                        quoted.append(character);
                    }
                }
            }
        }
        return quoted.append('"').toString();
    }

    private String principal() {
        return Messages.PRINCIPALS.get(random.nextInt(Messages.PRINCIPALS.size()));
    }

    private String token() {
        return "fz-" + counter + "-" + random.nextInt(1_000_000);
    }

    private String body(String principal, String field, List<String> groups, String username) {
        StringBuilder body = new StringBuilder("{\"clusterName\":\"demo\",\"principalArn\":").append(quote(principal));
        if (field != null) {
            body.append(",").append(quote(field)).append(":[")
                    .append(String.join(",", groups.stream().map(HostileInputFuzzTest::quote).toList())).append(']');
        }
        if (username != null) {
            body.append(",\"username\":").append(quote(username));
        }
        return body.append(",\"clientRequestToken\":").append(quote(token()))
                .append(",\"metadata\":{\"ticket\":\"T-").append(counter).append("\"}}").toString();
    }

    private String validBody() {
        String field = List.of("kubernetesGroups", "addKubernetesGroups", "removeKubernetesGroups")
                .get(random.nextInt(3));
        List<String> groups = new ArrayList<>();
        for (int index = random.nextInt(3); index >= 0; index--) {
            groups.add(List.of("team-a", "team-b", "viewers", "team-" + random.nextInt(50)).get(random.nextInt(4)));
        }
        String username = random.nextBoolean() ? null : "dev:{{SessionName}}";
        return body(principal(), field, groups, username);
    }

    private String mutatedBody() {
        StringBuilder body = new StringBuilder(validBody());
        for (int mutations = 1 + random.nextInt(3); mutations > 0; mutations--) {
            int at = random.nextInt(body.length());
            switch (random.nextInt(4)) {
                case 0 -> body.insert(at, HOSTILE.get(random.nextInt(HOSTILE.size())));
                case 1 -> body.deleteCharAt(at);
                case 2 -> body.setCharAt(at, (char) random.nextInt(0x3000));
                default -> body.insert(at, body.substring(at, Math.min(body.length(), at + random.nextInt(20))));
            }
        }
        return body.toString();
    }

    private String brokenJson() {
        String valid = validBody();
        return switch (random.nextInt(6)) {
            case 0 -> valid.substring(0, random.nextInt(valid.length()));
            case 1 -> valid.replace(":", "=");
            case 2 -> "";
            case 3 -> "   ";
            case 4 -> valid.replace("\"", "'");
            default -> "\u0000\u0001" + valid;
        };
    }

    private String wrongTypes() {
        List<String> values = List.of("1", "-1e309", "1e400", "true", "null", "[]", "{}", "[1,2]", "{\"a\":1}",
                "\"\"", "123456789012345678901234567890", "[null]", "[[\"team-a\"]]", "[{\"x\":1}]");
        String value = values.get(random.nextInt(values.size()));
        String field = List.of("clusterName", "principalArn", "kubernetesGroups", "addKubernetesGroups",
                "removeKubernetesGroups", "username", "clientRequestToken", "metadata").get(random.nextInt(8));
        String body = "{\"clusterName\":\"demo\",\"principalArn\":" + quote(principal())
                + ",\"addKubernetesGroups\":[\"team-a\"]}";
        if (body.contains("\"" + field + "\"")) {
            return body.replaceFirst("\"" + field + "\":(\"[^\"]*\"|\\[[^\\]]*\\])", "\"" + field + "\":" + value);
        }
        return body.substring(0, body.length() - 1) + ",\"" + field + "\":" + value + "}";
    }

    private String hugeStrings() {
        int length = List.of(100, 101, 128, 129, 256, 257, 2048, 2049, 10_000, 65_000, 70_000).get(random.nextInt(11));
        String huge = "a".repeat(length);
        return switch (random.nextInt(7)) {
            case 0 -> body(principal(), "addKubernetesGroups", List.of("team-" + huge), null);
            case 1 -> body(principal(), "addKubernetesGroups", List.of("team-a"), "u" + huge);
            case 2 -> body("arn:aws:iam::111122223333:role/" + huge, "addKubernetesGroups", List.of("team-a"), null);
            case 3 -> "{\"clusterName\":\"" + huge + "\",\"principalArn\":" + quote(principal())
                    + ",\"addKubernetesGroups\":[\"team-a\"]}";
            case 4 -> "{\"clusterName\":\"demo\",\"principalArn\":" + quote(principal())
                    + ",\"addKubernetesGroups\":[\"team-a\"],\"clientRequestToken\":\"" + huge + "\"}";
            case 5 -> "{\"clusterName\":\"demo\",\"principalArn\":" + quote(principal())
                    + ",\"addKubernetesGroups\":[\"team-a\"],\"metadata\":{\"k\":\"" + huge + "\"}}";
            default -> "{\"" + huge + "\":1}";
        };
    }

    private String deepNesting() {
        int depth = List.of(33, 100, 1_000, 10_000).get(random.nextInt(4));
        String open = random.nextBoolean() ? "[" : "{\"a\":";
        String close = open.equals("[") ? "]" : "}";
        String nested = open.repeat(depth) + "1" + close.repeat(depth);
        return switch (random.nextInt(3)) {
            case 0 -> nested;
            case 1 -> "{\"clusterName\":\"demo\",\"principalArn\":" + quote(principal())
                    + ",\"addKubernetesGroups\":[\"team-a\"],\"metadata\":" + nested + "}";
            default -> open.repeat(depth);
        };
    }

    private String hostileStrings() {
        String hostile = HOSTILE.get(random.nextInt(HOSTILE.size()));
        String value = random.nextBoolean() ? "team-" + hostile + "x" : hostile + "admins";
        String raw = random.nextBoolean() ? quote(value) : "\"" + value + "\"";
        return switch (random.nextInt(4)) {
            case 0 -> "{\"clusterName\":\"demo\",\"principalArn\":" + quote(principal())
                    + ",\"addKubernetesGroups\":[" + raw + "]}";
            case 1 -> "{\"clusterName\":\"demo\",\"principalArn\":" + quote(principal())
                    + ",\"addKubernetesGroups\":[\"team-a\"],\"username\":" + raw + "}";
            case 2 -> "{\"clusterName\":\"demo\",\"principalArn\":" + quote(principal())
                    + ",\"addKubernetesGroups\":[\"team-a\"],\"metadata\":{" + raw + ":" + raw + "}}";
            default -> "{\"clusterName\":\"demo\",\"principalArn\":" + quote(principal())
                    + ",\"addKubernetesGroups\":[\"team-a\"]," + raw + ":1}";
        };
    }

    private String hostileAt(String hostile, int place) {
        String raw = '"' + hostile.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
        String start = "{\"clusterName\":\"demo\",\"principalArn\":" + quote(principal());
        return switch (place) {
            case 0 -> start + ",\"addKubernetesGroups\":[\"team-" + raw.substring(1, raw.length() - 1) + "x\"]}";
            case 1 -> start + ",\"addKubernetesGroups\":[\"" + raw.substring(1, raw.length() - 1) + "admins\"]}";
            case 2 -> start + ",\"addKubernetesGroups\":[\"team-a\"],\"username\":\"dev:"
                    + raw.substring(1, raw.length() - 1) + "\"}";
            case 3 -> start + ",\"addKubernetesGroups\":[\"team-a\"],\"metadata\":{" + raw + ":" + raw + "}}";
            case 4 -> start + ",\"addKubernetesGroups\":[\"team-a\"]," + raw + ":1}";
            case 5 -> "{\"clusterName\":\"demo\",\"principalArn\":\"arn:aws:iam::111122223333:role/x"
                    + raw.substring(1, raw.length() - 1) + "\",\"addKubernetesGroups\":[\"team-a\"]}";
            case 6 -> start + ",\"addKubernetesGroups\":[\"team-a\"],\"clientRequestToken\":" + raw + "}";
            default -> "{\"clusterName\":" + raw + ",\"principalArn\":" + quote(principal())
                    + ",\"addKubernetesGroups\":[\"team-a\"]}";
        };
    }

    private String nearMissArn() {
        List<String> arns = List.of("arn:aws:iam::11112222333:role/x", "arn:aws:iam::1111222233334:role/x",
                "arn:aws:iam::111122223333:group/x", "arn:aws:iam::111122223333:role/",
                "arn:aws:iam::111122223333:role",
                "arn:aws-foo:iam::111122223333:role/x", "arn:aws:sts::111122223333:assumed-role/x/y",
                "arn:aws:iam:us-east-1:111122223333:role/x", "ARN:AWS:IAM::111122223333:ROLE/x",
                " arn:aws:iam::111122223333:role/x", "arn:aws:iam::111122223333:role/x ",
                "arn:aws:iam::１１１１２２２２３３３３:role/x", "arn:aws:iam::111122223333:user/alice\n",
                "arn:aws:iam::111122223333:role/cluster-admin", "arn:aws:iam::111122223333:role/path/../cluster-admin",
                "arn:aws:iam::111122223333:role/Cluster-Admin", "arn:aws-cn:iam::111122223333:role/cluster-admin",
                "arn:aws:iam::111122223333:root", "*", "arn:aws:iam::*:role/*", "");
        return body(arns.get(random.nextInt(arns.size())), "addKubernetesGroups", List.of("team-a"), null);
    }

    private String groupEdgeCases() {
        List<List<String>> groups = List.of(List.of(""), List.of("system:masters"), List.of(" system:masters"),
                List.of("System:masters"), List.of("team-a", "team-a"), List.of("team-" + "b".repeat(251)),
                List.of("team-" + "b".repeat(252)), List.of("cluster-admins"), List.of("team-*"), List.of("*"),
                List.of("viewers", "system:nodes"), List.of());
        List<String> chosen = groups.get(random.nextInt(groups.size()));
        return switch (random.nextInt(4)) {
            case 0 -> body(principal(), "kubernetesGroups", chosen, null);
            case 1 -> body(principal(), "addKubernetesGroups", chosen, null);
            case 2 -> body(principal(), "removeKubernetesGroups", chosen, null);
            default -> "{\"clusterName\":\"demo\",\"principalArn\":" + quote(principal())
                    + ",\"addKubernetesGroups\":[\"team-a\"],\"removeKubernetesGroups\":[\"team-a\"]}";
        };
    }

    private String usernameEdgeCases() {
        List<String> usernames = List.of("", "system:admin", "eks:x", "aws:x", "amazon:x", "iam:x", "SYSTEM:admin",
                "{{SessionName}}", "x{{SessionName}}", "a:{{SessionName}}", "{{SessionNameRaw}}:a",
                "a:{{SessionNameRaw}}", "u".repeat(256), "u".repeat(257), "{{SessionName", ":", "a:b:c");
        return body(principal(), random.nextBoolean() ? "addKubernetesGroups" : null, List.of("team-a"),
                usernames.get(random.nextInt(usernames.size())));
    }

    private String snsEnvelope() {
        String inner = random.nextBoolean() ? validBody() : mutatedBody();
        List<String> messages = List.of(quote(inner), "1", "null", "{}", inner, quote("{broken"), quote(""),
                quote("{\"Type\":\"Notification\",\"Message\":" + quote(validBody()) + "}"), quote("[]"));
        String message = messages.get(random.nextInt(messages.size()));
        return "{\"Type\":\"Notification\",\"MessageId\":\"" + counter + "\",\"TopicArn\":\"arn:aws:sns:us-east-1:"
                + "111122223333:approvals\",\"Message\":" + message + ",\"Timestamp\":\"2026-11-29T12:00:00.000Z\"}";
    }

    private String structuralOddities() {
        String valid = validBody();
        return switch (random.nextInt(6)) {
            case 0 -> valid + valid;
            case 1 -> valid.replace("\"clusterName\":\"demo\"", "\"clusterName\":\"demo\",\"clusterName\":\"demo\"");
            case 2 -> "[" + valid + "]";
            case 3 -> valid.replace("addKubernetesGroups", "addKubernetesGroup");
            case 4 -> "\ufeff" + valid;
            default -> valid.replace("}", ",\"Type\":\"Notification\"}");
        };
    }
}
