package dev.eksaccessupdater.request;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * The fields of one request object, checked against docs/contract.md section 2 in the order of its table; the first
 * rule broken is reported.
 *
 * <p>Decisions docs/contract.md leaves open:
 * <ul>
 *   <li>Lengths count Unicode code points, as JSON Schema's {@code minLength}/{@code maxLength} do.</li>
 *   <li>No string may hold a control character (C0, DEL, C1) or an unpaired surrogate, metadata included: none is
 *       ever legitimate in a name, and rejecting them keeps events and logs free of forged line breaks.</li>
 *   <li>An explicit JSON {@code null} is rejected, never read as "absent": a sender who writes {@code null}
 *       may mean "clear", which this function does not offer.</li>
 *   <li>A group named twice in one list is tolerated: each list means a set, and sets are what the request holds
 *       and what the canonical form hashes (docs/contract.md section 2.1).</li>
 * </ul>
 */
final class RequestFields {

    static final String CLUSTER_NAME = "clusterName";
    static final String PRINCIPAL_ARN = "principalArn";
    static final String KUBERNETES_GROUPS = "kubernetesGroups";
    static final String ADD_KUBERNETES_GROUPS = "addKubernetesGroups";
    static final String REMOVE_KUBERNETES_GROUPS = "removeKubernetesGroups";
    static final String USERNAME = "username";
    static final String CLIENT_REQUEST_TOKEN = "clientRequestToken";
    static final String METADATA = "metadata";
    static final String EXPIRES_AT = "expiresAt";
    static final String EXPIRY_OF = "expiryOf";

    private static final Set<String> KNOWN_FIELDS = Set.of(CLUSTER_NAME, PRINCIPAL_ARN, KUBERNETES_GROUPS,
            ADD_KUBERNETES_GROUPS, REMOVE_KUBERNETES_GROUPS, USERNAME, CLIENT_REQUEST_TOKEN, METADATA, EXPIRES_AT,
            EXPIRY_OF);

    private static final String CLUSTER_NAME_REGEX = "^[0-9A-Za-z][A-Za-z0-9\\-_]*$";
    private static final Pattern CLUSTER_NAME_PATTERN = Pattern.compile(CLUSTER_NAME_REGEX);
    private static final int MAX_CLUSTER_NAME = 100;
    private static final int MAX_PRINCIPAL_ARN = 2048;
    private static final int MAX_GROUP = 256;
    private static final int MAX_USERNAME = 256;
    private static final Pattern TOKEN_PATTERN = Pattern.compile("[\\x21-\\x7E]{1,128}");
    private static final int MAX_METADATA_ENTRIES = 20;
    private static final int MAX_METADATA_KEY = 64;
    private static final int MAX_METADATA_VALUE = 256;
    /** Exactly {@code YYYY-MM-DDTHH:MM:SSZ}: one spelling per instant, since the schedule's name is derived from it. */
    private static final Pattern EXPIRES_AT_PATTERN = Pattern.compile("[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z");

    /** Kubernetes reserves {@code system:} for its own groups; EKS rejects such groups. */
    private static final String RESERVED_GROUP_PREFIX = "system:";
    /** EKS reserves these username prefixes. */
    private static final List<String> RESERVED_USERNAME_PREFIXES = List.of("system:", "eks:", "aws:", "amazon:", "iam:");
    /** A session-name placeholder with no ':' anywhere before it (searched with find, not matches). */
    private static final Pattern SESSION_NAME_WITHOUT_COLON = Pattern.compile("^[^:]*\\{\\{SessionName(Raw)?}}");

    private final Map<String, Object> fields;
    private final String messageId;

    RequestFields(Map<String, Object> fields, String messageId) {
        this.fields = fields;
        this.messageId = messageId;
    }

    /** @throws RuleViolation naming the first field or rule at fault */
    AccessChangeRequest toRequest() {
        rejectUnknownFields();
        String clusterName = clusterName();
        String principalArn = principalArn();
        SortedSet<String> replace = groups(KUBERNETES_GROUPS);
        SortedSet<String> add = groups(ADD_KUBERNETES_GROUPS);
        SortedSet<String> remove = groups(REMOVE_KUBERNETES_GROUPS);
        String username = username();
        String token = effectiveToken();
        Map<String, String> metadata = metadata();
        if (metadata == null) {
            metadata = Map.of();
        }
        String expiresAt = expiresAt();
        String expiryOf = expiryOf();
        GroupChange groupChange = groupChange(replace, add, remove, username);
        checkTimeBounds(expiresAt, expiryOf, replace, add, remove, username);
        return new AccessChangeRequest(clusterName, principalArn, groupChange, username, token, metadata, expiresAt,
                expiryOf);
    }

    /** What can be read of an invalid request: each field that is valid on its own, else {@code null}. */
    RequestSummary readable() {
        return new RequestSummary(orNull(this::clusterName), orNull(this::principalArn), orNull(this::effectiveToken),
                orNull(this::metadata));
    }

    private void rejectUnknownFields() {
        for (String name : fields.keySet()) {
            if (!KNOWN_FIELDS.contains(name)) {
                throw new RuleViolation("unknown field: " + Untrusted.escape(name, Untrusted.MAX_ECHOED_CHARACTERS));
            }
        }
    }

    private String clusterName() {
        String clusterName = requiredString(CLUSTER_NAME);
        checkLength(CLUSTER_NAME, clusterName, 1, MAX_CLUSTER_NAME);
        if (!CLUSTER_NAME_PATTERN.matcher(clusterName).matches()) {
            throw new RuleViolation(CLUSTER_NAME + " must match " + CLUSTER_NAME_REGEX);
        }
        return clusterName;
    }

    private String principalArn() {
        String arn = requiredString(PRINCIPAL_ARN);
        checkLength(PRINCIPAL_ARN, arn, 1, MAX_PRINCIPAL_ARN);
        if (!PrincipalArn.PATTERN.matcher(arn).matches()) {
            throw new RuleViolation(PRINCIPAL_ARN + " must be an IAM user or role ARN,"
                    + " arn:<aws|aws-cn|aws-us-gov>:iam::<12 digits>:<user|role>/<path and name>"
                    + (arn.contains(":sts:") ? " (an STS assumed-role session is not an IAM role ARN)" : ""));
        }
        return arn;
    }

    /** Returns the groups as a set, or {@code null} when the field is absent. */
    private SortedSet<String> groups(String field) {
        if (!fields.containsKey(field)) {
            return null;
        }
        Object value = fields.get(field);
        if (!(value instanceof List<?> items)) {
            throw new RuleViolation(value == null ? field + " must not be null"
                    : field + " must be an array of strings, not " + jsonType(value));
        }
        SortedSet<String> groups = new TreeSet<>();
        for (int index = 0; index < items.size(); index++) {
            String element = field + "[" + index + "]";
            String group = string(element, items.get(index));
            checkLength(element, group, 1, MAX_GROUP);
            checkText(element, group);
            if (group.startsWith(RESERVED_GROUP_PREFIX)) {
                throw new RuleViolation(element + " " + Untrusted.quote(group) + " must not start with \""
                        + RESERVED_GROUP_PREFIX + "\"");
            }
            groups.add(group);
        }
        return Collections.unmodifiableSortedSet(groups);
    }

    private String username() {
        if (!fields.containsKey(USERNAME)) {
            return null;
        }
        String username = string(USERNAME, fields.get(USERNAME));
        checkLength(USERNAME, username, 1, MAX_USERNAME);
        checkText(USERNAME, username);
        for (String prefix : RESERVED_USERNAME_PREFIXES) {
            if (username.startsWith(prefix)) {
                throw new RuleViolation(USERNAME + " must not start with \"" + prefix + "\"");
            }
        }
        if (SESSION_NAME_WITHOUT_COLON.matcher(username).find()) {
            throw new RuleViolation(USERNAME + " must have a ':' before {{SessionName}} or {{SessionNameRaw}}");
        }
        return username;
    }

    /** The request's token, or the SQS message id when it gives none (docs/contract.md section 2). */
    private String effectiveToken() {
        if (!fields.containsKey(CLIENT_REQUEST_TOKEN)) {
            return messageId;
        }
        String token = string(CLIENT_REQUEST_TOKEN, fields.get(CLIENT_REQUEST_TOKEN));
        if (!TOKEN_PATTERN.matcher(token).matches()) {
            throw new RuleViolation(CLIENT_REQUEST_TOKEN + " must be 1-128 printable ASCII characters without spaces");
        }
        return token;
    }

    /** Returns the metadata, or {@code null} when the field is absent. */
    private Map<String, String> metadata() {
        if (!fields.containsKey(METADATA)) {
            return null;
        }
        Object value = fields.get(METADATA);
        if (!(value instanceof Map<?, ?> entries)) {
            throw new RuleViolation(value == null ? METADATA + " must not be null"
                    : METADATA + " must be an object of strings, not " + jsonType(value));
        }
        if (entries.size() > MAX_METADATA_ENTRIES) {
            throw new RuleViolation(METADATA + " must have at most " + MAX_METADATA_ENTRIES + " entries");
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Map.Entry<?, ?> entry : entries.entrySet()) {
            String key = (String) entry.getKey();
            String keyName = METADATA + " key " + Untrusted.quote(key);
            checkLength(keyName, key, 1, MAX_METADATA_KEY);
            checkText(keyName, key);
            String valueName = METADATA + "[" + Untrusted.quote(key) + "]";
            String text = string(valueName, entry.getValue());
            checkLength(valueName, text, 0, MAX_METADATA_VALUE);
            checkText(valueName, text);
            metadata.put(key, text);
        }
        return metadata;
    }

    /** Returns {@code expiresAt} as sent, or {@code null} when absent. Its window is checked with the policy. */
    private String expiresAt() {
        if (!fields.containsKey(EXPIRES_AT)) {
            return null;
        }
        String expiresAt = string(EXPIRES_AT, fields.get(EXPIRES_AT));
        if (!EXPIRES_AT_PATTERN.matcher(expiresAt).matches() || !isInstant(expiresAt)) {
            throw new RuleViolation(EXPIRES_AT + " must be a UTC instant written as YYYY-MM-DDTHH:MM:SSZ");
        }
        return expiresAt;
    }

    private static boolean isInstant(String text) {
        try {
            return Instant.parse(text).toString().equals(text);
        } catch (DateTimeParseException notAnInstant) {
            return false;
        }
    }

    /** Returns {@code expiryOf}, or {@code null} when absent. */
    private String expiryOf() {
        if (!fields.containsKey(EXPIRY_OF)) {
            return null;
        }
        String expiryOf = string(EXPIRY_OF, fields.get(EXPIRY_OF));
        if (!TOKEN_PATTERN.matcher(expiryOf).matches()) {
            throw new RuleViolation(EXPIRY_OF + " must be 1-128 printable ASCII characters without spaces");
        }
        return expiryOf;
    }

    /** A grant only adds; an expiry only removes; neither changes the username (docs/contract.md section 2). */
    private static void checkTimeBounds(String expiresAt, String expiryOf, SortedSet<String> replace,
                                        SortedSet<String> add, SortedSet<String> remove, String username) {
        if (expiresAt != null) {
            if (add == null) {
                throw new RuleViolation(EXPIRES_AT + " is only allowed with " + ADD_KUBERNETES_GROUPS);
            }
            if (remove != null || username != null) {
                throw new RuleViolation(EXPIRES_AT + " is not allowed with "
                        + (remove != null ? REMOVE_KUBERNETES_GROUPS : USERNAME));
            }
        }
        if (expiryOf != null) {
            if (remove == null) {
                throw new RuleViolation(EXPIRY_OF + " is only allowed with " + REMOVE_KUBERNETES_GROUPS);
            }
            if (add != null || username != null) {
                throw new RuleViolation(EXPIRY_OF + " is not allowed with "
                        + (add != null ? ADD_KUBERNETES_GROUPS : USERNAME));
            }
        }
    }

    private static GroupChange groupChange(SortedSet<String> replace, SortedSet<String> add, SortedSet<String> remove,
                                           String username) {
        if (replace != null && (add != null || remove != null)) {
            throw new RuleViolation(KUBERNETES_GROUPS + " and " + ADD_KUBERNETES_GROUPS + "/" + REMOVE_KUBERNETES_GROUPS
                    + " are mutually exclusive");
        }
        if (add != null && remove != null) {
            for (String group : add) {
                if (remove.contains(group)) {
                    throw new RuleViolation("group " + Untrusted.quote(group) + " is in both " + ADD_KUBERNETES_GROUPS
                            + " and " + REMOVE_KUBERNETES_GROUPS);
                }
            }
        }
        if (replace == null && add == null && remove == null && username == null) {
            throw new RuleViolation("at least one of " + KUBERNETES_GROUPS + ", " + ADD_KUBERNETES_GROUPS + ", "
                    + REMOVE_KUBERNETES_GROUPS + " or " + USERNAME + " is required");
        }
        if (replace != null) {
            return new GroupChange.Replace(replace);
        }
        if (add != null || remove != null) {
            return new GroupChange.Modify(add == null ? new TreeSet<>() : add, remove == null ? new TreeSet<>() : remove);
        }
        return new GroupChange.Keep();
    }

    private String requiredString(String field) {
        if (!fields.containsKey(field)) {
            throw new RuleViolation(field + " is required");
        }
        return string(field, fields.get(field));
    }

    private static String string(String field, Object value) {
        if (value instanceof String text) {
            return text;
        }
        throw new RuleViolation(value == null ? field + " must not be null"
                : field + " must be a string, not " + jsonType(value));
    }

    private static void checkLength(String field, String text, int min, int max) {
        int length = text.codePointCount(0, text.length());
        if (length < min || length > max) {
            throw new RuleViolation(field + (min == 0 ? " must be at most " + max : " must be " + min + "-" + max)
                    + " characters");
        }
    }

    private static void checkText(String field, String text) {
        for (int index = 0; index < text.length(); ) {
            int codePoint = text.codePointAt(index);
            index += Character.charCount(codePoint);
            int type = Character.getType(codePoint);
            if (type == Character.CONTROL) {
                throw new RuleViolation(field + " must not contain control characters");
            }
            if (type == Character.SURROGATE) {
                throw new RuleViolation(field + " must not contain unpaired surrogates");
            }
        }
    }

    /** The JSON type of a value read by jackson-jr, with its article, for "must be X, not Y" messages. */
    static String jsonType(Object value) {
        if (value == null) {
            return "null";
        }
        if (value instanceof String) {
            return "a string";
        }
        if (value instanceof Boolean) {
            return "a boolean";
        }
        if (value instanceof Number) {
            return "a number";
        }
        if (value instanceof List<?>) {
            return "an array";
        }
        if (value instanceof Map<?, ?>) {
            return "an object";
        }
        return "an unsupported value";
    }

    private static <T> T orNull(Supplier<T> field) {
        try {
            return field.get();
        } catch (RuleViolation invalid) {
            return null;
        }
    }
}
