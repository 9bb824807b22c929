package dev.eksaccessupdater.standin;

import com.sun.net.httpserver.HttpExchange;
import dev.eksaccessupdater.eks.AccessEntry;
import java.io.IOException;
import java.math.BigDecimal;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A stateful stand-in for the EKS access-entry API (DescribeAccessEntry, UpdateAccessEntry) on 127.0.0.1,
 * speaking the restJson1 wire format the AWS SDKs use and behaving like EKS where it is documented or observed:
 * an update replaces the entry (omitted groups become [], an omitted username its default), {@code system:}
 * groups and reserved username prefixes are refused, entries of other types than STANDARD take neither groups
 * nor usernames, and a client request token replays its first answer. Every request is recorded; faults and
 * delays can be injected. Thread-safe.
 */
public final class EksStandIn implements AutoCloseable {

    public static final String STANDARD = "STANDARD";
    public static final String DEFAULT_REGION = "us-east-1";
    public static final String API_AND_CONFIG_MAP = "API_AND_CONFIG_MAP";
    public static final String CONFIG_MAP = "CONFIG_MAP";
    public static final String DESCRIBE = "DescribeAccessEntry";
    public static final String UPDATE = "UpdateAccessEntry";

    private static final List<String> RESERVED_USERNAME_PREFIXES =
            List.of("system:", "eks:", "aws:", "amazon:", "iam:");
    private static final Pattern PRINCIPAL = Pattern.compile("arn:(aws[a-z-]*):iam::([0-9]{12}):(user|role)/(.+)");
    private static final Pattern PATH = Pattern.compile("/clusters/([^/]+)/access-entries/([^/]+)");
    private static final String JSON_TYPE = "application/json";

    /** A cluster: its account and region make the entries' ARNs; CONFIG_MAP mode refuses access-entry calls. */
    public record Cluster(String name, String accountId, String region, String authenticationMode) {

        public Cluster {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(accountId, "accountId");
            region = region == null ? DEFAULT_REGION : region;
            authenticationMode = authenticationMode == null ? API_AND_CONFIG_MAP : authenticationMode;
        }
    }

    /**
     * One request as received and answered.
     *
     * @param operation {@link #DESCRIBE}, {@link #UPDATE} or {@code null} for a path no operation serves
     * @param rawPath the path exactly as sent, percent-encoding included
     * @param principalArn percent-decoded from its one path segment
     * @param body the parsed JSON body, {@code null} when there was none
     * @param errorType the {@code x-amzn-ErrorType} answered, {@code null} on success
     */
    public record RecordedRequest(String operation, String method, String rawPath, String clusterName,
                                  String principalArn, Map<String, Object> body, String rawBody, int status,
                                  String errorType) {
    }

    private record EntryKey(String clusterName, String principalArn) {
    }

    private record TokenUse(String clusterName, String principalArn, List<String> groups, String username,
                            AccessEntry result) {
    }

    private static final class Fault {
        final String operation;
        final String principalArn;
        final String errorType;
        final int status;
        final String message;
        int remaining;

        Fault(String operation, String principalArn, int times, String errorType, int status, String message) {
            this.operation = operation;
            this.principalArn = principalArn;
            this.remaining = times;
            this.errorType = Objects.requireNonNull(errorType, "errorType");
            this.status = status;
            this.message = message;
        }

        boolean matches(String operation, String principalArn) {
            return (this.operation == null || this.operation.equals(operation))
                    && (this.principalArn == null || this.principalArn.equals(principalArn));
        }
    }

    private final Clock clock;
    private final Object lock = new Object();
    private final Map<String, Cluster> clusters = new LinkedHashMap<>();
    private final Map<EntryKey, AccessEntry> entries = new LinkedHashMap<>();
    private final Map<String, TokenUse> tokens = new LinkedHashMap<>();
    private final List<Fault> faults = new ArrayList<>();
    private final List<RecordedRequest> requests = new ArrayList<>();
    private int changeCount;
    private volatile Duration delay = Duration.ZERO;
    private volatile StandInHttp http;

    public EksStandIn() {
        this(Clock.systemUTC());
    }

    /** @param clock the source of {@code createdAt} and {@code modifiedAt} */
    public EksStandIn(Clock clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /**
     * A stand-in (not started) seeded from JSON:
     * <pre>{"clusters": [{"name", "accountId", "region"?, "authenticationMode"?}],
     *  "accessEntries": [{"clusterName", "principalArn", "kubernetesGroups"?, "username"?, "type"?, "tags"?}]}</pre>
     * Clusters named by an entry but not listed are created in the principal's account.
     */
    public static EksStandIn fromJson(String seedJson) {
        return new EksStandIn().seed(seedJson);
    }

    /** Adds the clusters and entries of a seed document (see {@link #fromJson}). */
    @SuppressWarnings("unchecked")
    public EksStandIn seed(String seedJson) {
        Map<String, Object> seed;
        try {
            seed = StandInHttp.parseObject(seedJson);
        } catch (IOException e) {
            throw new IllegalArgumentException("the seed is not a JSON object", e);
        }
        for (Object item : (List<Object>) seed.getOrDefault("clusters", List.of())) {
            Map<String, Object> cluster = (Map<String, Object>) item;
            putCluster(new Cluster((String) cluster.get("name"), (String) cluster.get("accountId"),
                    (String) cluster.get("region"), (String) cluster.get("authenticationMode")));
        }
        for (Object item : (List<Object>) seed.getOrDefault("accessEntries", List.of())) {
            Map<String, Object> entry = (Map<String, Object>) item;
            putEntry((String) entry.get("clusterName"), (String) entry.get("principalArn"),
                    (List<String>) entry.getOrDefault("kubernetesGroups", List.of()), (String) entry.get("username"),
                    (String) entry.getOrDefault("type", STANDARD),
                    (Map<String, String>) entry.getOrDefault("tags", Map.of()));
        }
        return this;
    }

    /** Starts on a free port of 127.0.0.1. */
    public EksStandIn start() {
        return start(0);
    }

    public EksStandIn start(int port) {
        if (http != null) {
            throw new IllegalStateException("already started");
        }
        http = StandInHttp.start("eks-stand-in", port, this::handle);
        return this;
    }

    public URI endpoint() {
        return started().endpoint();
    }

    public int port() {
        return started().port();
    }

    @Override
    public void close() {
        StandInHttp running = http;
        if (running != null) {
            running.close();
        }
    }

    // Seeding.

    public Cluster putCluster(Cluster cluster) {
        synchronized (lock) {
            clusters.put(cluster.name(), cluster);
        }
        return cluster;
    }

    /** A STANDARD entry without groups and with the default username. */
    public AccessEntry putEntry(String clusterName, String principalArn) {
        return putEntry(clusterName, principalArn, List.of(), null);
    }

    /** A STANDARD entry; a {@code null} username means the default EKS gives the principal. */
    public AccessEntry putEntry(String clusterName, String principalArn, List<String> kubernetesGroups,
                                String username) {
        return putEntry(clusterName, principalArn, kubernetesGroups, username, STANDARD, Map.of());
    }

    /** Any entry, stored as given (seeding bypasses the API's checks, so node entries may hold system: names). */
    public AccessEntry putEntry(String clusterName, String principalArn, List<String> kubernetesGroups,
                                String username, String type, Map<String, String> tags) {
        Matcher principal = PRINCIPAL.matcher(principalArn);
        if (!principal.matches()) {
            throw new IllegalArgumentException("not an IAM user or role ARN: " + principalArn);
        }
        Instant now = now();
        synchronized (lock) {
            Cluster cluster = clusters.computeIfAbsent(clusterName,
                    name -> new Cluster(name, principal.group(2), null, null));
            AccessEntry entry = new AccessEntry(clusterName, principalArn, List.copyOf(kubernetesGroups),
                    entryArn(cluster, principal), now, now, tags,
                    username == null ? defaultUsername(principalArn, type) : username, type);
            entries.put(new EntryKey(clusterName, principalArn), entry);
            return entry;
        }
    }

    public void removeEntry(String clusterName, String principalArn) {
        synchronized (lock) {
            entries.remove(new EntryKey(clusterName, principalArn));
        }
    }

    // Inspection.

    /** The entry as it is now, or {@code null}. */
    public AccessEntry entry(String clusterName, String principalArn) {
        synchronized (lock) {
            return entries.get(new EntryKey(clusterName, principalArn));
        }
    }

    public List<AccessEntry> entries() {
        synchronized (lock) {
            return List.copyOf(entries.values());
        }
    }

    /** Every request received, in order, including failed ones. */
    public List<RecordedRequest> requests() {
        synchronized (lock) {
            return List.copyOf(requests);
        }
    }

    public List<RecordedRequest> requests(String operation) {
        return requests().stream().filter(request -> operation.equals(request.operation())).toList();
    }

    /** UpdateAccessEntry calls received, whatever their answer. */
    public int updateCount() {
        return requests(UPDATE).size();
    }

    public int describeCount() {
        return requests(DESCRIBE).size();
    }

    /** Updates that changed an entry: a replayed client request token or an error does not count. */
    public int changeCount() {
        synchronized (lock) {
            return changeCount;
        }
    }

    public void clearRequests() {
        synchronized (lock) {
            requests.clear();
        }
    }

    // Fault injection.

    /** The next {@code times} calls about {@code principalArn} (either operation) fail with this error. */
    public void failNext(String principalArn, int times, String errorType, int status) {
        addFault(new Fault(null, Objects.requireNonNull(principalArn, "principalArn"), times, errorType, status,
                null));
    }

    /** The next {@code times} calls, about any principal, fail with this error. */
    public void failNext(int times, String errorType, int status) {
        addFault(new Fault(null, null, times, errorType, status, null));
    }

    /** The next {@code times} calls of one operation ({@link #DESCRIBE} or {@link #UPDATE}) fail with this error. */
    public void failNextOperation(String operation, int times, String errorType, int status, String message) {
        addFault(new Fault(Objects.requireNonNull(operation, "operation"), null, times, errorType, status, message));
    }

    /** Every call waits this long before it is answered (zero to stop). */
    public void delay(Duration delay) {
        this.delay = Objects.requireNonNull(delay, "delay");
    }

    public void clearFaults() {
        synchronized (lock) {
            faults.clear();
        }
        delay = Duration.ZERO;
    }

    private void addFault(Fault fault) {
        if (fault.remaining < 1) {
            throw new IllegalArgumentException("times must be at least 1");
        }
        synchronized (lock) {
            faults.add(fault);
        }
    }

    // Serving.

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String rawBody = StandInHttp.body(exchange);
            if (!StandInHttp.pause(delay)) {
                return;
            }
            String method = exchange.getRequestMethod();
            String rawPath = exchange.getRequestURI().getRawPath();
            Matcher path = PATH.matcher(rawPath);
            String operation = null;
            String clusterName = null;
            String principalArn = null;
            Map<String, Object> body = null;
            int status = 200;
            String errorType = null;
            Object answer;
            try {
                if (!path.matches() || !method.equals("GET") && !method.equals("POST")) {
                    throw new AwsError(404, "UnknownOperationException",
                            "No operation serves " + method + " " + rawPath);
                }
                operation = method.equals("GET") ? DESCRIBE : UPDATE;
                clusterName = decode(path.group(1));
                principalArn = decode(path.group(2));
                body = parseBody(rawBody);
                answer = answer(operation, clusterName, principalArn, body);
            } catch (AwsError error) {
                status = error.status;
                errorType = error.type;
                answer = Map.of("message", error.getMessage());
            }
            synchronized (lock) {
                requests.add(new RecordedRequest(operation, method, rawPath, clusterName, principalArn,
                        body == null ? null : Collections.unmodifiableMap(body), rawBody, status, errorType));
            }
            StandInHttp.respond(exchange, status, JSON_TYPE,
                    errorType == null ? Map.of() : Map.of("x-amzn-ErrorType", errorType), answer);
        }
    }

    private Object answer(String operation, String clusterName, String principalArn, Map<String, Object> body)
            throws AwsError {
        Instant now = now();
        synchronized (lock) {
            Fault fault = takeFault(operation, principalArn);
            if (fault != null) {
                throw new AwsError(fault.status, fault.errorType,
                        fault.message != null ? fault.message : "Injected " + fault.errorType + " by the stand-in");
            }
            AccessEntry entry = find(clusterName, principalArn);
            if (operation.equals(DESCRIBE)) {
                return Map.of("accessEntry", toWire(entry));
            }
            return Map.of("accessEntry", toWire(update(entry, body == null ? Map.of() : body, now)));
        }
    }

    private Fault takeFault(String operation, String principalArn) {
        for (Iterator<Fault> iterator = faults.iterator(); iterator.hasNext(); ) {
            Fault fault = iterator.next();
            if (fault.matches(operation, principalArn)) {
                if (--fault.remaining == 0) {
                    iterator.remove();
                }
                return fault;
            }
        }
        return null;
    }

    private AccessEntry find(String clusterName, String principalArn) throws AwsError {
        Cluster cluster = clusters.get(clusterName);
        if (cluster == null) {
            throw AwsError.notFound("No cluster found for name: " + clusterName + ".");
        }
        if (CONFIG_MAP.equals(cluster.authenticationMode())) {
            throw AwsError.invalidRequest("The cluster's authentication mode must be set to one of [API, "
                    + "API_AND_CONFIG_MAP] to perform this operation.");
        }
        if (!PRINCIPAL.matcher(principalArn).matches()) {
            throw AwsError.invalidParameter("The specified principalArn is invalid: invalid principal");
        }
        AccessEntry entry = entries.get(new EntryKey(clusterName, principalArn));
        if (entry == null) {
            throw AwsError.notFound("The specified principalArn could not be found. You can view your available "
                    + "access entries with 'list-access-entries'.");
        }
        return entry;
    }

    /** UpdateAccessEntry replaces: what the body leaves out is reset to its default, not kept. */
    private AccessEntry update(AccessEntry current, Map<String, Object> body, Instant now) throws AwsError {
        List<String> groups = stringList(body.get("kubernetesGroups"), "kubernetesGroups");
        String username = string(body.get("username"), "username");
        String token = string(body.get("clientRequestToken"), "clientRequestToken");
        if (token != null) {
            // Observed on CreateCluster; enforced here too, as the function promises tokens of this length.
            if (token.length() < 33 || token.length() > 126) {
                throw AwsError.invalidParameter("The client request token parameter must be between 33 and 126 "
                        + "characters");
            }
            TokenUse use = tokens.get(token);
            if (use != null) {
                if (use.clusterName().equals(current.clusterName()) && use.principalArn().equals(current.principalArn())
                        && Objects.equals(use.groups(), groups) && Objects.equals(use.username(), username)) {
                    return use.result();
                }
                // Undocumented for EKS; other AWS APIs refuse a token reused with different parameters.
                throw AwsError.invalidParameter("The client request token " + token + " was already used with "
                        + "different parameters");
            }
        }
        List<String> newGroups = groups == null ? List.of() : List.copyOf(new LinkedHashSet<>(groups));
        for (String group : newGroups) {
            if (group.isEmpty()) {
                throw AwsError.invalidParameter("The kubernetes group name must not be empty");
            }
            if (group.startsWith("system:")) {
                throw AwsError.invalidParameter("The kubernetes group name " + group
                        + " is invalid, it cannot start with system:");
            }
        }
        if (username != null) {
            checkUsername(username);
        }
        AccessEntry updated;
        if (STANDARD.equals(current.type())) {
            updated = new AccessEntry(current.clusterName(), current.principalArn(), newGroups,
                    current.accessEntryArn(), current.createdAt(), now, current.tags(),
                    username == null ? defaultUsername(current.principalArn(), STANDARD) : username, STANDARD);
        } else {
            if (!newGroups.isEmpty()) {
                throw AwsError.invalidParameter("Kubernetes groups can only be specified for access entries of type "
                        + "STANDARD, not " + current.type());
            }
            if (username != null) {
                throw AwsError.invalidParameter("A username can only be specified for access entries of type "
                        + "STANDARD, not " + current.type());
            }
            // EKS manages the groups and username of node entries; an update leaves them as they are.
            updated = new AccessEntry(current.clusterName(), current.principalArn(), current.kubernetesGroups(),
                    current.accessEntryArn(), current.createdAt(), now, current.tags(), current.username(),
                    current.type());
        }
        entries.put(new EntryKey(current.clusterName(), current.principalArn()), updated);
        changeCount++;
        if (token != null) {
            tokens.put(token, new TokenUse(current.clusterName(), current.principalArn(), groups, username, updated));
        }
        return updated;
    }

    private static void checkUsername(String username) throws AwsError {
        if (username.isEmpty()) {
            throw AwsError.invalidParameter("The username must not be empty");
        }
        for (String prefix : RESERVED_USERNAME_PREFIXES) {
            if (username.startsWith(prefix)) {
                throw AwsError.invalidParameter("The username must not begin with " + prefix);
            }
        }
        for (String template : List.of("{{SessionName}}", "{{SessionNameRaw}}")) {
            int at = username.indexOf(template);
            if (at >= 0 && username.lastIndexOf(':', at) < 0) {
                throw AwsError.invalidParameter("The username must contain a colon before " + template);
            }
        }
    }

    /** The username EKS gives an entry created without one (user guide, creating-access-entries). */
    static String defaultUsername(String principalArn, String type) {
        Matcher principal = PRINCIPAL.matcher(principalArn);
        if (!principal.matches()) {
            throw new IllegalArgumentException("not an IAM user or role ARN: " + principalArn);
        }
        return switch (type) {
            case "EC2_LINUX", "EC2_WINDOWS", "EC2" -> "system:node:{{EC2PrivateDNSName}}";
            case STANDARD -> principal.group(3).equals("user") ? principalArn
                    : "arn:" + principal.group(1) + ":sts::" + principal.group(2) + ":assumed-role/"
                    + lastSegment(principal.group(4)) + "/{{SessionName}}";
            default -> "system:node:{{SessionName}}";
        };
    }

    private static String entryArn(Cluster cluster, Matcher principal) {
        return "arn:" + principal.group(1) + ":eks:" + cluster.region() + ":" + cluster.accountId() + ":access-entry/"
                + cluster.name() + "/" + principal.group(3) + "/" + principal.group(2) + "/"
                + lastSegment(principal.group(4)) + "/" + UUID.randomUUID();
    }

    private static String lastSegment(String pathAndName) {
        return pathAndName.substring(pathAndName.lastIndexOf('/') + 1);
    }

    /** The response shape: timestamps as epoch seconds (a JSON number), as restJson1 sends them. */
    private static Map<String, Object> toWire(AccessEntry entry) {
        Map<String, Object> wire = new LinkedHashMap<>();
        wire.put("clusterName", entry.clusterName());
        wire.put("principalArn", entry.principalArn());
        wire.put("kubernetesGroups", entry.kubernetesGroups());
        wire.put("accessEntryArn", entry.accessEntryArn());
        wire.put("createdAt", epochSeconds(entry.createdAt()));
        wire.put("modifiedAt", epochSeconds(entry.modifiedAt()));
        wire.put("tags", entry.tags());
        wire.put("username", entry.username());
        wire.put("type", entry.type());
        return wire;
    }

    private static BigDecimal epochSeconds(Instant instant) {
        return BigDecimal.valueOf(instant.toEpochMilli()).movePointLeft(3);
    }

    private Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.MILLIS);
    }

    private StandInHttp started() {
        StandInHttp running = http;
        if (running == null) {
            throw new IllegalStateException("not started");
        }
        return running;
    }

    private static String decode(String segment) throws AwsError {
        try {
            return StandInHttp.decodeSegment(segment);
        } catch (IllegalArgumentException e) {
            throw new AwsError(400, "SerializationException", "Malformed path segment: " + segment);
        }
    }

    private static Map<String, Object> parseBody(String rawBody) throws AwsError {
        if (rawBody.isBlank()) {
            return null;
        }
        try {
            return StandInHttp.parseObject(rawBody);
        } catch (IOException e) {
            throw new AwsError(400, "SerializationException", "The request body is not a JSON object");
        }
    }

    private static String string(Object value, String field) throws AwsError {
        if (value == null || value instanceof String) {
            return (String) value;
        }
        throw new AwsError(400, "SerializationException", field + " must be a string");
    }

    private static List<String> stringList(Object value, String field) throws AwsError {
        if (value == null) {
            return null;
        }
        if (value instanceof List<?> list && list.stream().allMatch(String.class::isInstance)) {
            return list.stream().map(String.class::cast).toList();
        }
        throw new AwsError(400, "SerializationException", field + " must be a list of strings");
    }
}
