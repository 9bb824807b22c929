package dev.eksaccessupdater.request;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * Request bodies, valid and invalid, one per rule of docs/contract.md section 2: shared by the parser's tests and the
 * JSON Schema's, so that the two are held to the same examples.
 */
final class RequestExamples {

    static final String MESSAGE_ID = "059f36b4-87a3-44ab-83d2-661975830a7d";
    static final String CLUSTER = "prod-1";
    static final String ROLE = "arn:aws:iam::111122223333:role/deployer";

    private RequestExamples() {
    }

    /**
     * @param messageNames text the rejection message must contain: the field or rule at fault
     * @param schemaCanTell false for rules JSON Schema cannot state (size, syntax, duplicates, SNS, set overlap)
     */
    record Invalid(String rule, String body, String messageNames, boolean schemaCanTell) {
        @Override
        public String toString() {
            return rule;
        }
    }

    /** @param schemaApplies false for bodies the schema does not describe (an SNS envelope) */
    record Valid(String name, String body, AccessChangeRequest expected, boolean schemaApplies) {
        @Override
        public String toString() {
            return name;
        }
    }

    /** A request body built field by field; values are JSON text in which ' stands for ". */
    static final class Body {
        private final Map<String, String> fields = new LinkedHashMap<>();

        static Body empty() {
            return new Body();
        }

        /** The smallest valid request: cluster, principal and one group. */
        static Body minimal() {
            return empty().with("clusterName", "'" + CLUSTER + "'").with("principalArn", "'" + ROLE + "'")
                    .with("kubernetesGroups", "['team-a']");
        }

        Body with(String name, String json) {
            Body copy = copy();
            copy.fields.put(name, json.replace('\'', '"'));
            return copy;
        }

        Body without(String name) {
            Body copy = copy();
            copy.fields.remove(name);
            return copy;
        }

        String json() {
            return fields.entrySet().stream()
                    .map(field -> "\"" + field.getKey() + "\":" + field.getValue())
                    .collect(Collectors.joining(",", "{", "}"));
        }

        private Body copy() {
            Body copy = new Body();
            copy.fields.putAll(fields);
            return copy;
        }
    }

    /** A role ARN of exactly {@code length} characters, made long by its path. */
    static String roleArnOfLength(int length) {
        String prefix = "arn:aws:iam::111122223333:role/";
        String path = "p/".repeat((length - prefix.length() - 1) / 2);
        return prefix + path + "n".repeat(length - prefix.length() - path.length());
    }

    static SortedSet<String> groups(String... groups) {
        return new TreeSet<>(List.of(groups));
    }

    /** A body padded with whitespace to exactly {@code bytes} bytes of UTF-8. */
    static String paddedTo(int bytes, String body) {
        return body + " ".repeat(bytes - body.getBytes(StandardCharsets.UTF_8).length);
    }

    /** {@code {"metadata": {"n": {"n": ... "x" ...}}}} nested {@code depth} objects deep. */
    static String nestedMetadata(int depth) {
        return "{\"n\":".repeat(depth) + "\"x\"" + "}".repeat(depth);
    }

    static String snsEnvelope(String message) {
        return "{\"Type\":\"Notification\",\"MessageId\":\"22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324\","
                + "\"TopicArn\":\"arn:aws:sns:us-east-1:111122223333:access-requests\",\"Subject\":null,"
                + "\"Message\":" + jsonString(message) + ",\"Timestamp\":\"2026-01-01T00:00:00.000Z\","
                + "\"SignatureVersion\":\"1\",\"Signature\":\"EXAMPLE\","
                + "\"SigningCertURL\":\"https://sns.us-east-1.amazonaws.com/SimpleNotificationService-example.pem\","
                + "\"UnsubscribeURL\":\"https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe\","
                + "\"MessageAttributes\":{}}";
    }

    private static String jsonString(String text) {
        return "\"" + text.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    static List<Valid> valid() {
        String arnMax = roleArnOfLength(2048);
        Body minimal = Body.minimal();
        Body grant = minimal.without("kubernetesGroups").with("addKubernetesGroups", "['oncall']");
        Body expiry = minimal.without("kubernetesGroups").with("removeKubernetesGroups", "['oncall']");
        return List.of(
                valid("groups replaced, token defaults to the message id", minimal.json(),
                        request(new GroupChange.Replace(groups("team-a")), null, MESSAGE_ID, Map.of())),
                valid("repeated and unsorted groups become one sorted set",
                        minimal.with("kubernetesGroups", "['team-b','team-a','team-b']").json(),
                        request(new GroupChange.Replace(groups("team-a", "team-b")), null, MESSAGE_ID, Map.of())),
                valid("an empty kubernetesGroups clears the groups", minimal.with("kubernetesGroups", "[]").json(),
                        request(new GroupChange.Replace(groups()), null, MESSAGE_ID, Map.of())),
                valid("groups added and removed",
                        minimal.without("kubernetesGroups").with("addKubernetesGroups", "['team-a','team-a']")
                                .with("removeKubernetesGroups", "['old']").json(),
                        request(new GroupChange.Modify(groups("team-a"), groups("old")), null, MESSAGE_ID, Map.of())),
                valid("groups removed only",
                        minimal.without("kubernetesGroups").with("removeKubernetesGroups", "['old']").json(),
                        request(new GroupChange.Modify(groups(), groups("old")), null, MESSAGE_ID, Map.of())),
                valid("an empty addKubernetesGroups alone counts as present and changes nothing",
                        minimal.without("kubernetesGroups").with("addKubernetesGroups", "[]").json(),
                        request(new GroupChange.Modify(groups(), groups()), null, MESSAGE_ID, Map.of())),
                valid("username only keeps the groups",
                        minimal.without("kubernetesGroups").with("username", "'deployer'").json(),
                        request(new GroupChange.Keep(), "deployer", MESSAGE_ID, Map.of())),
                valid("username with a colon before {{SessionName}}",
                        minimal.with("username", "'deployer:{{SessionName}}'").json(),
                        request(new GroupChange.Replace(groups("team-a")), "deployer:{{SessionName}}", MESSAGE_ID,
                                Map.of())),
                valid("username with a colon well before {{SessionNameRaw}}",
                        minimal.with("username", "'ops:x-{{SessionNameRaw}}'").json(),
                        request(new GroupChange.Replace(groups("team-a")), "ops:x-{{SessionNameRaw}}", MESSAGE_ID,
                                Map.of())),
                valid("token and metadata given",
                        minimal.with("clientRequestToken", "'CHG-42!~'")
                                .with("metadata", "{'approver':'alice','ticket':'CHG-42','note':''}").json(),
                        request(new GroupChange.Replace(groups("team-a")), null, "CHG-42!~",
                                Map.of("approver", "alice", "ticket", "CHG-42", "note", ""))),
                valid("longest values: cluster 100, group 256, username 256 code points, token 128, ARN 2048",
                        Body.empty().with("clusterName", "'" + "c".repeat(100) + "'")
                                .with("principalArn", "'" + arnMax + "'")
                                .with("kubernetesGroups", "['" + "g".repeat(256) + "']")
                                .with("username", "'" + "\uD83D\uDE80".repeat(256) + "'")
                                .with("clientRequestToken", "'" + "t".repeat(128) + "'").json(),
                        new AccessChangeRequest("c".repeat(100), arnMax,
                                new GroupChange.Replace(groups("g".repeat(256))), "\uD83D\uDE80".repeat(256),
                                "t".repeat(128), Map.of())),
                valid("metadata with 20 entries, 64-character key and 256-character value",
                        minimal.with("metadata", metadataJson(20, "k".repeat(64), "v".repeat(256))).json(),
                        request(new GroupChange.Replace(groups("team-a")), null, MESSAGE_ID,
                                metadata(20, "k".repeat(64), "v".repeat(256)))),
                valid("IAM user with a path in aws-cn",
                        minimal.with("principalArn", "'arn:aws-cn:iam::111122223333:user/division/ops/Alice.B@x'").json(),
                        new AccessChangeRequest(CLUSTER, "arn:aws-cn:iam::111122223333:user/division/ops/Alice.B@x",
                                new GroupChange.Replace(groups("team-a")), null, MESSAGE_ID, Map.of())),
                valid("role in aws-us-gov",
                        minimal.with("principalArn", "'arn:aws-us-gov:iam::111122223333:role/deployer'").json(),
                        new AccessChangeRequest(CLUSTER, "arn:aws-us-gov:iam::111122223333:role/deployer",
                                new GroupChange.Replace(groups("team-a")), null, MESSAGE_ID, Map.of())),
                valid("a body of exactly 64 KiB", paddedTo(65_536, minimal.json()),
                        request(new GroupChange.Replace(groups("team-a")), null, MESSAGE_ID, Map.of())),
                new Valid("an SNS notification is unwrapped", snsEnvelope(minimal.with("username", "'deployer'").json()),
                        request(new GroupChange.Replace(groups("team-a")), "deployer", MESSAGE_ID, Map.of()), false),
                // time-bound grants and their expiries (section 8)
                valid("a time-bound grant: groups added until expiresAt",
                        grant.with("expiresAt", "'2026-12-04T18:00:00Z'").json(),
                        timeBound(new GroupChange.Modify(groups("oncall"), groups()), "2026-12-04T18:00:00Z", null)),
                valid("a time-bound grant of no group",
                        grant.with("addKubernetesGroups", "[]").with("expiresAt", "'2026-12-04T18:00:00Z'").json(),
                        timeBound(new GroupChange.Modify(groups(), groups()), "2026-12-04T18:00:00Z", null)),
                valid("expiresAt on a leap day", grant.with("expiresAt", "'2028-02-29T23:59:59Z'").json(),
                        timeBound(new GroupChange.Modify(groups("oncall"), groups()), "2028-02-29T23:59:59Z", null)),
                valid("expiresAt on the leap day of a year divisible by 400",
                        grant.with("expiresAt", "'2400-02-29T00:00:00Z'").json(),
                        timeBound(new GroupChange.Modify(groups("oncall"), groups()), "2400-02-29T00:00:00Z", null)),
                valid("expiresAt on the 31st of a long month", grant.with("expiresAt", "'2026-12-31T23:59:59Z'").json(),
                        timeBound(new GroupChange.Modify(groups("oncall"), groups()), "2026-12-31T23:59:59Z", null)),
                valid("an expiry removes the grant's groups",
                        expiry.with("expiryOf", "'ticket-4711-approval-1'").json(),
                        timeBound(new GroupChange.Modify(groups(), groups("oncall")), null, "ticket-4711-approval-1")),
                valid("expiryOf of 128 printable characters", expiry.with("expiryOf", "'!" + "x".repeat(126) + "~'").json(),
                        timeBound(new GroupChange.Modify(groups(), groups("oncall")), null, "!" + "x".repeat(126) + "~")));
    }

    static List<Invalid> invalid() {
        Body minimal = Body.minimal();
        Body noGroups = minimal.without("kubernetesGroups");
        Body grant = noGroups.with("addKubernetesGroups", "['oncall']");
        Body expiry = noGroups.with("removeKubernetesGroups", "['oncall']");
        String expiresAtRule = "expiresAt must be a UTC instant written as YYYY-MM-DDTHH:MM:SSZ";
        String expiryOfRule = "expiryOf must be 1-128 printable ASCII characters without spaces";
        String clusterRule = "clusterName must match ^[0-9A-Za-z][A-Za-z0-9\\-_]*$";
        String arnRule = "principalArn must be an IAM user or role ARN";
        String tokenRule = "clientRequestToken must be 1-128 printable ASCII characters without spaces";
        String sessionNameRule = "username must have a ':' before {{SessionName}} or {{SessionNameRaw}}";
        String exclusive = "kubernetesGroups and addKubernetesGroups/removeKubernetesGroups are mutually exclusive";
        return List.of(
                // the body as a whole
                parserOnly("empty body", "", "message body is empty"),
                parserOnly("blank body", " \n\t", "message body is empty"),
                parserOnly("body of 64 KiB and one byte", paddedTo(65_537, minimal.json()),
                        "message body is larger than 65536 bytes"),
                parserOnly("body under 64 Ki characters but over 64 KiB of UTF-8",
                        paddedTo(65_600, minimal.with("metadata", "{'note':'" + "\u20AC".repeat(256) + "'}").json()),
                        "message body is larger than 65536 bytes"),
                parserOnly("not JSON", "clusterName=prod-1", "message body is not valid JSON at line 1"),
                parserOnly("truncated JSON", "{\"clusterName\":\"prod-1\"", "message body is not valid JSON"),
                parserOnly("garbage after the object", minimal.json() + " x", "message body is not valid JSON"),
                parserOnly("a second value after the object", minimal.json() + " {}",
                        "message body has content after the JSON object"),
                parserOnly("duplicate key", minimal.json().replace("{", "{\"clusterName\":\"other\","),
                        "Duplicate field 'clusterName'"),
                schema("top level is an array", "[" + minimal.json() + "]", "must be a JSON object, not an array"),
                schema("top level is a string", "\"prod-1\"", "must be a JSON object, not a string"),
                schema("top level is null", "null", "must be a JSON object, not null"),
                schema("nesting deeper than 32 levels", minimal.with("metadata", nestedMetadata(40)).json(),
                        "nesting depth"),
                schema("unknown field (a typo)", minimal.with("kubernetesGroup", "['team-b']").json(),
                        "unknown field: kubernetesGroup"),
                // clusterName
                schema("clusterName missing", minimal.without("clusterName").json(), "clusterName is required"),
                schema("clusterName null", minimal.with("clusterName", "null").json(), "clusterName must not be null"),
                schema("clusterName a number", minimal.with("clusterName", "42").json(),
                        "clusterName must be a string, not a number"),
                schema("clusterName empty", minimal.with("clusterName", "''").json(),
                        "clusterName must be 1-100 characters"),
                schema("clusterName of 101 characters", minimal.with("clusterName", "'" + "c".repeat(101) + "'").json(),
                        "clusterName must be 1-100 characters"),
                schema("clusterName starting with a hyphen", minimal.with("clusterName", "'-prod'").json(), clusterRule),
                schema("clusterName with a dot", minimal.with("clusterName", "'prod.1'").json(), clusterRule),
                schema("clusterName with a trailing newline", minimal.with("clusterName", "'prod\\n'").json(),
                        clusterRule),
                // principalArn
                schema("principalArn missing", minimal.without("principalArn").json(), "principalArn is required"),
                schema("principalArn an array", minimal.with("principalArn", "['" + ROLE + "']").json(),
                        "principalArn must be a string, not an array"),
                schema("principalArn an STS assumed-role session",
                        minimal.with("principalArn", "'arn:aws:sts::111122223333:assumed-role/deployer/s1'").json(),
                        "not an IAM role ARN"),
                schema("principalArn in an unsupported partition",
                        minimal.with("principalArn", "'arn:aws-iso:iam::111122223333:role/deployer'").json(), arnRule),
                schema("principalArn with an 11-digit account",
                        minimal.with("principalArn", "'arn:aws:iam::11112222333:role/deployer'").json(), arnRule),
                schema("principalArn with a trailing slash", minimal.with("principalArn", "'" + ROLE + "/'").json(),
                        arnRule),
                schema("principalArn of an IAM group",
                        minimal.with("principalArn", "'arn:aws:iam::111122223333:group/admins'").json(), arnRule),
                schema("principalArn with a region", minimal.with("principalArn",
                        "'arn:aws:iam:us-east-1:111122223333:role/deployer'").json(), arnRule),
                schema("principalArn of 2049 characters", minimal.with("principalArn",
                        "'" + roleArnOfLength(2049) + "'").json(),
                        "principalArn must be 1-2048 characters"),
                // groups
                schema("kubernetesGroups a string", minimal.with("kubernetesGroups", "'team-a'").json(),
                        "kubernetesGroups must be an array of strings, not a string"),
                schema("kubernetesGroups null", minimal.with("kubernetesGroups", "null").json(),
                        "kubernetesGroups must not be null"),
                schema("group a number", minimal.with("kubernetesGroups", "['team-a',7]").json(),
                        "kubernetesGroups[1] must be a string, not a number"),
                schema("group null", minimal.with("kubernetesGroups", "[null]").json(),
                        "kubernetesGroups[0] must not be null"),
                schema("group empty", minimal.with("kubernetesGroups", "['']").json(),
                        "kubernetesGroups[0] must be 1-256 characters"),
                schema("group of 257 characters", minimal.with("kubernetesGroups", "['" + "g".repeat(257) + "']").json(),
                        "kubernetesGroups[0] must be 1-256 characters"),
                schema("group starting with system:", minimal.with("kubernetesGroups", "['system:masters']").json(),
                        "kubernetesGroups[0] \"system:masters\" must not start with \"system:\""),
                schema("added group starting with system:",
                        noGroups.with("addKubernetesGroups", "['system:masters']").json(),
                        "addKubernetesGroups[0] \"system:masters\" must not start with \"system:\""),
                schema("removed group starting with system:",
                        noGroups.with("removeKubernetesGroups", "['system:nodes']").json(),
                        "removeKubernetesGroups[0] \"system:nodes\" must not start with \"system:\""),
                schema("group with a control character", minimal.with("kubernetesGroups", "['team\\u0007a']").json(),
                        "kubernetesGroups[0] must not contain control characters"),
                parserOnly("group with an unpaired surrogate", minimal.with("kubernetesGroups", "['team\\ud800']").json(),
                        "kubernetesGroups[0] must not contain unpaired surrogates"),
                schema("addKubernetesGroups an object", noGroups.with("addKubernetesGroups", "{}").json(),
                        "addKubernetesGroups must be an array of strings, not an object"),
                schema("kubernetesGroups with addKubernetesGroups",
                        minimal.with("addKubernetesGroups", "['team-b']").json(), exclusive),
                schema("kubernetesGroups with an empty removeKubernetesGroups",
                        minimal.with("removeKubernetesGroups", "[]").json(), exclusive),
                parserOnly("group both added and removed",
                        noGroups.with("addKubernetesGroups", "['team-a','team-b']")
                                .with("removeKubernetesGroups", "['team-b']").json(),
                        "group \"team-b\" is in both addKubernetesGroups and removeKubernetesGroups"),
                schema("no group field and no username", noGroups.json(),
                        "at least one of kubernetesGroups, addKubernetesGroups, removeKubernetesGroups or username"),
                schema("metadata alone is no change", noGroups.with("metadata", "{'ticket':'CHG-1'}").json(),
                        "at least one of kubernetesGroups"),
                // username
                schema("username a boolean", minimal.with("username", "true").json(),
                        "username must be a string, not a boolean"),
                schema("username null", minimal.with("username", "null").json(), "username must not be null"),
                schema("username empty", minimal.with("username", "''").json(), "username must be 1-256 characters"),
                schema("username of 257 code points", minimal.with("username", "'" + "\uD83D\uDE80".repeat(257) + "'")
                        .json(), "username must be 1-256 characters"),
                schema("username starting with system:", minimal.with("username", "'system:admin'").json(),
                        "username must not start with \"system:\""),
                schema("username starting with eks:", minimal.with("username", "'eks:x'").json(),
                        "username must not start with \"eks:\""),
                schema("username starting with aws:", minimal.with("username", "'aws:x'").json(),
                        "username must not start with \"aws:\""),
                schema("username starting with amazon:", minimal.with("username", "'amazon:x'").json(),
                        "username must not start with \"amazon:\""),
                schema("username starting with iam:", minimal.with("username", "'iam:x'").json(),
                        "username must not start with \"iam:\""),
                schema("username {{SessionName}} without a colon", minimal.with("username", "'{{SessionName}}'").json(),
                        sessionNameRule),
                schema("username {{SessionNameRaw}} without a colon",
                        minimal.with("username", "'admin-{{SessionNameRaw}}'").json(), sessionNameRule),
                schema("username with the colon only after {{SessionName}}",
                        minimal.with("username", "'x{{SessionName}}:y'").json(), sessionNameRule),
                schema("username with a NUL", minimal.with("username", "'a\\u0000b'").json(),
                        "username must not contain control characters"),
                // clientRequestToken
                schema("token empty", minimal.with("clientRequestToken", "''").json(), tokenRule),
                schema("token with a space", minimal.with("clientRequestToken", "'CHG 42'").json(), tokenRule),
                schema("token with a tab", minimal.with("clientRequestToken", "'CHG\\t42'").json(), tokenRule),
                schema("token not ASCII", minimal.with("clientRequestToken", "'CHG-\u00e9'").json(), tokenRule),
                schema("token of 129 characters", minimal.with("clientRequestToken", "'" + "t".repeat(129) + "'")
                        .json(), tokenRule),
                schema("token a number", minimal.with("clientRequestToken", "42").json(),
                        "clientRequestToken must be a string, not a number"),
                schema("token null", minimal.with("clientRequestToken", "null").json(),
                        "clientRequestToken must not be null"),
                // metadata
                schema("metadata an array", minimal.with("metadata", "['x']").json(),
                        "metadata must be an object of strings, not an array"),
                schema("metadata null", minimal.with("metadata", "null").json(), "metadata must not be null"),
                schema("metadata with 21 entries", minimal.with("metadata", metadataJson(21, "k", "v")).json(),
                        "metadata must have at most 20 entries"),
                schema("metadata key empty", minimal.with("metadata", "{'':'v'}").json(),
                        "metadata key \"\" must be 1-64 characters"),
                schema("metadata key of 65 characters", minimal.with("metadata", "{'" + "k".repeat(65) + "':'v'}")
                        .json(), "must be 1-64 characters"),
                schema("metadata key with a newline", minimal.with("metadata", "{'a\\nb':'v'}").json(),
                        "metadata key \"a\\u000ab\" must not contain control characters"),
                schema("metadata value a number", minimal.with("metadata", "{'ticket':42}").json(),
                        "metadata[\"ticket\"] must be a string, not a number"),
                schema("metadata value null", minimal.with("metadata", "{'ticket':null}").json(),
                        "metadata[\"ticket\"] must not be null"),
                schema("metadata value of 257 characters", minimal.with("metadata", "{'note':'" + "v".repeat(257) + "'}")
                        .json(), "metadata[\"note\"] must be at most 256 characters"),
                schema("metadata value with a newline", minimal.with("metadata", "{'reason':'a\\nb'}").json(),
                        "metadata[\"reason\"] must not contain control characters"),
                // expiresAt
                schema("expiresAt with milliseconds", grant.with("expiresAt", "'2026-12-04T18:00:00.000Z'").json(),
                        expiresAtRule),
                schema("expiresAt with an offset", grant.with("expiresAt", "'2026-12-04T18:00:00+00:00'").json(),
                        expiresAtRule),
                schema("expiresAt without seconds", grant.with("expiresAt", "'2026-12-04T18:00Z'").json(), expiresAtRule),
                schema("expiresAt without a zone", grant.with("expiresAt", "'2026-12-04T18:00:00'").json(),
                        expiresAtRule),
                schema("expiresAt in lower case", grant.with("expiresAt", "'2026-12-04t18:00:00z'").json(),
                        expiresAtRule),
                schema("expiresAt a date only", grant.with("expiresAt", "'2026-12-04'").json(), expiresAtRule),
                schema("expiresAt with a trailing newline", grant.with("expiresAt", "'2026-12-04T18:00:00Z\\n'").json(),
                        expiresAtRule),
                schema("expiresAt in month 13", grant.with("expiresAt", "'2026-13-01T00:00:00Z'").json(), expiresAtRule),
                schema("expiresAt on 30 February", grant.with("expiresAt", "'2028-02-30T00:00:00Z'").json(),
                        expiresAtRule),
                schema("expiresAt on 29 February of a common year", grant.with("expiresAt", "'2027-02-29T00:00:00Z'")
                        .json(), expiresAtRule),
                schema("expiresAt on 29 February of a century not divisible by 400",
                        grant.with("expiresAt", "'2100-02-29T00:00:00Z'").json(), expiresAtRule),
                schema("expiresAt on 31 April", grant.with("expiresAt", "'2026-04-31T00:00:00Z'").json(), expiresAtRule),
                schema("expiresAt at hour 24", grant.with("expiresAt", "'2026-12-04T24:00:00Z'").json(), expiresAtRule),
                schema("expiresAt at a leap second", grant.with("expiresAt", "'2026-12-31T23:59:60Z'").json(),
                        expiresAtRule),
                schema("expiresAt a number", grant.with("expiresAt", "1796407200").json(),
                        "expiresAt must be a string, not a number"),
                schema("expiresAt null", grant.with("expiresAt", "null").json(), "expiresAt must not be null"),
                schema("expiresAt with removeKubernetesGroups only",
                        expiry.with("expiresAt", "'2026-12-04T18:00:00Z'").json(),
                        "expiresAt is only allowed with addKubernetesGroups"),
                schema("expiresAt with kubernetesGroups", minimal.with("expiresAt", "'2026-12-04T18:00:00Z'").json(),
                        "expiresAt is only allowed with addKubernetesGroups"),
                schema("expiresAt with username only",
                        noGroups.with("username", "'deployer'").with("expiresAt", "'2026-12-04T18:00:00Z'").json(),
                        "expiresAt is only allowed with addKubernetesGroups"),
                schema("expiresAt with added and removed groups", grant.with("removeKubernetesGroups", "['old']")
                        .with("expiresAt", "'2026-12-04T18:00:00Z'").json(),
                        "expiresAt is not allowed with removeKubernetesGroups"),
                schema("expiresAt with added groups and a username", grant.with("username", "'deployer'")
                        .with("expiresAt", "'2026-12-04T18:00:00Z'").json(), "expiresAt is not allowed with username"),
                schema("expiresAt with added groups and kubernetesGroups", grant.with("kubernetesGroups", "['team-a']")
                        .with("expiresAt", "'2026-12-04T18:00:00Z'").json(), exclusive),
                // expiryOf
                schema("expiryOf empty", expiry.with("expiryOf", "''").json(), expiryOfRule),
                schema("expiryOf with a space", expiry.with("expiryOf", "'CHG 42'").json(), expiryOfRule),
                schema("expiryOf not ASCII", expiry.with("expiryOf", "'CHG-\u00e9'").json(), expiryOfRule),
                schema("expiryOf of 129 characters", expiry.with("expiryOf", "'" + "t".repeat(129) + "'").json(),
                        expiryOfRule),
                schema("expiryOf a number", expiry.with("expiryOf", "42").json(),
                        "expiryOf must be a string, not a number"),
                schema("expiryOf null", expiry.with("expiryOf", "null").json(), "expiryOf must not be null"),
                schema("expiryOf with addKubernetesGroups only", grant.with("expiryOf", "'CHG-42'").json(),
                        "expiryOf is only allowed with removeKubernetesGroups"),
                schema("expiryOf with kubernetesGroups", minimal.with("expiryOf", "'CHG-42'").json(),
                        "expiryOf is only allowed with removeKubernetesGroups"),
                schema("expiryOf with removed and added groups", expiry.with("addKubernetesGroups", "['new']")
                        .with("expiryOf", "'CHG-42'").json(), "expiryOf is not allowed with addKubernetesGroups"),
                schema("expiryOf with removed groups and a username", expiry.with("username", "'deployer'")
                        .with("expiryOf", "'CHG-42'").json(), "expiryOf is not allowed with username"),
                schema("expiresAt and expiryOf together", grant.with("removeKubernetesGroups", "['old']")
                        .with("expiresAt", "'2026-12-04T18:00:00Z'").with("expiryOf", "'CHG-42'").json(),
                        "expiresAt is not allowed with removeKubernetesGroups"),
                // SNS
                parserOnly("SNS notification without a Message string",
                        "{\"Type\":\"Notification\",\"Message\":" + minimal.json() + "}",
                        "SNS notification must have a Message string"),
                parserOnly("SNS Message not JSON", snsEnvelope("approve prod-1"), "SNS Message is not valid JSON"),
                parserOnly("SNS Message an array", snsEnvelope("[]"), "SNS Message must be a JSON object, not an array"),
                parserOnly("SNS Message empty", snsEnvelope(""), "SNS Message is empty"),
                parserOnly("SNS notification inside an SNS notification", snsEnvelope(snsEnvelope(minimal.json())),
                        "unknown field: Type"),
                parserOnly("SNS Message breaking a rule",
                        snsEnvelope(minimal.with("clusterName", "'-prod'").json()), clusterRule));
    }

    private static Valid valid(String name, String body, AccessChangeRequest expected) {
        return new Valid(name, body, expected, true);
    }

    private static Invalid schema(String rule, String body, String messageNames) {
        return new Invalid(rule, body, messageNames, true);
    }

    private static Invalid parserOnly(String rule, String body, String messageNames) {
        return new Invalid(rule, body, messageNames, false);
    }

    private static AccessChangeRequest request(GroupChange groupChange, String username, String token,
                                               Map<String, String> metadata) {
        return new AccessChangeRequest(CLUSTER, ROLE, groupChange, username, token, metadata);
    }

    private static AccessChangeRequest timeBound(GroupChange groupChange, String expiresAt, String expiryOf) {
        return new AccessChangeRequest(CLUSTER, ROLE, groupChange, null, MESSAGE_ID, Map.of(), expiresAt, expiryOf);
    }

    private static String metadataJson(int entries, String keyPrefix, String value) {
        return metadata(entries, keyPrefix, value).entrySet().stream()
                .map(entry -> "'" + entry.getKey() + "':'" + entry.getValue() + "'")
                .collect(Collectors.joining(",", "{", "}"));
    }

    /** {@code entries} entries; keys are {@code keyPrefix} with its end replaced by the entry's number. */
    private static Map<String, String> metadata(int entries, String keyPrefix, String value) {
        return IntStream.range(0, entries).boxed().collect(Collectors.toMap(
                index -> keyPrefix.substring(0, Math.max(1, keyPrefix.length() - 2)) + index, index -> value));
    }
}
