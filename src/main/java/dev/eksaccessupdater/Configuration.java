package dev.eksaccessupdater;

import dev.eksaccessupdater.failure.ConfigurationException;
import dev.eksaccessupdater.observability.Observability;
import dev.eksaccessupdater.policy.AccessPolicy;
import dev.eksaccessupdater.policy.GroupPattern;
import dev.eksaccessupdater.request.PrincipalArn;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The function's settings (docs/contract.md section 6), read and validated once at initialisation.
 *
 * @param eventBusName a bus name or ARN
 * @param metricsNamespace the CloudWatch namespace of the function's metrics ({@code METRICS_NAMESPACE})
 * @param timeBoundGroups groups that may only be granted for a while ({@code TIME_BOUND_GROUPS}); empty for none
 * @param maxGrant the latest {@code expiresAt} allowed, counted from the message's {@code SentTimestamp}
 * @param scheduleGroupName the EventBridge Scheduler group for expiries; {@code null} when time-bound grants are off
 * @param schedulerRoleArn the role the expiry schedules run as; {@code null} when time-bound grants are off
 * @param requestQueueArn the queue expiries are sent to; {@code null} when time-bound grants are off
 */
public record Configuration(String idempotencyTableName, String eventBusName, String eventSource,
                            Duration idempotencyTtl, int maxConcurrency, AccessPolicy accessPolicy,
                            String metricsNamespace, List<GroupPattern> timeBoundGroups, Duration maxGrant,
                            String scheduleGroupName, String schedulerRoleArn, String requestQueueArn) {

    public static final String DEFAULT_EVENT_SOURCE = "eks-access-updater";
    public static final long DEFAULT_TTL_SECONDS = 604_800;
    public static final long MIN_TTL_SECONDS = 60;
    public static final long MAX_TTL_SECONDS = 10L * 365 * 86_400;
    public static final int DEFAULT_MAX_CONCURRENCY = 8;
    public static final long MIN_GRANT_SECONDS = 300;
    public static final long DEFAULT_MAX_GRANT_SECONDS = 7_776_000;

    private static final Pattern TABLE_NAME = Pattern.compile("[A-Za-z0-9_.-]{3,255}");
    private static final Pattern BUS_NAME = Pattern.compile(
            "[A-Za-z0-9/._-]{1,256}|arn:aws[a-z-]*:events:[a-z0-9-]+:[0-9]{12}:event-bus/[A-Za-z0-9/._-]{1,256}");
    private static final Pattern CLUSTER_NAME = Pattern.compile("[0-9A-Za-z][A-Za-z0-9_-]{0,99}");
    private static final Pattern EVENT_SOURCE = Pattern.compile("[A-Za-z0-9._/-]{1,256}");
    /** botocore scheduler/2021-06-30 {@code ScheduleGroupName}: 1-64 characters of {@code [0-9a-zA-Z-_.]}. */
    private static final Pattern SCHEDULE_GROUP_NAME = Pattern.compile("[0-9A-Za-z_.-]{1,64}");
    /** botocore scheduler/2021-06-30 {@code RoleArn}, at most 1600 characters; any partition. */
    private static final Pattern ROLE_ARN = Pattern.compile(
            "(?=.{1,1600}$)arn:aws(-[a-z]+)*:iam::[0-9]{12}:role/[A-Za-z0-9_+=,.@/-]+");
    /** An SQS queue ARN: names are 1-80 characters of {@code [A-Za-z0-9_-]}, a FIFO queue's ending in {@code .fifo}. */
    private static final Pattern QUEUE_ARN = Pattern.compile(
            "arn:aws(-[a-z]+)*:sqs:[a-z0-9-]+:[0-9]{12}:([A-Za-z0-9_-]{1,80}|[A-Za-z0-9_-]{1,75}\\.fifo)");
    private static final Pattern DIGITS = Pattern.compile("[0-9]+");

    public Configuration {
        timeBoundGroups = List.copyOf(timeBoundGroups);
    }

    /** @throws ConfigurationException naming the first missing or invalid variable */
    public static Configuration fromEnvironment(Map<String, String> environment) {
        Settings settings = new Settings(environment);
        String table = settings.required("IDEMPOTENCY_TABLE_NAME", TABLE_NAME);
        String bus = settings.required("EVENT_BUS_NAME", BUS_NAME);
        String eventSource = settings.optional("EVENT_SOURCE", DEFAULT_EVENT_SOURCE);
        if (!EVENT_SOURCE.matcher(eventSource).matches() || eventSource.startsWith("aws.")) {
            throw new ConfigurationException("EVENT_SOURCE must be 1-256 characters of [A-Za-z0-9._/-] and must not"
                    + " start with 'aws.' (EventBridge reserves it)");
        }
        long ttlSeconds = settings.number("IDEMPOTENCY_TTL_SECONDS", DEFAULT_TTL_SECONDS, MIN_TTL_SECONDS,
                MAX_TTL_SECONDS);
        int maxConcurrency = (int) settings.number("MAX_CONCURRENCY", DEFAULT_MAX_CONCURRENCY, 1, 1_000);
        List<GroupPattern> timeBoundGroups = settings.list("TIME_BOUND_GROUPS", false).stream()
                .map(GroupPattern::of).toList();
        long maxGrantSeconds = settings.number("MAX_GRANT_SECONDS", DEFAULT_MAX_GRANT_SECONDS, MIN_GRANT_SECONDS,
                DEFAULT_MAX_GRANT_SECONDS);
        String scheduleGroup = settings.optional("SCHEDULE_GROUP_NAME", null);
        String schedulerRole = null;
        String requestQueue = null;
        if (scheduleGroup != null) {
            if (!SCHEDULE_GROUP_NAME.matcher(scheduleGroup).matches()) {
                throw new ConfigurationException("SCHEDULE_GROUP_NAME must be 1-64 characters of [0-9A-Za-z_.-]: "
                        + scheduleGroup);
            }
            schedulerRole = settings.requiredWith("SCHEDULER_ROLE_ARN", "SCHEDULE_GROUP_NAME", ROLE_ARN,
                    "an IAM role ARN");
            requestQueue = settings.requiredWith("REQUEST_QUEUE_ARN", "SCHEDULE_GROUP_NAME", QUEUE_ARN,
                    "an SQS queue ARN");
        }
        Optional<Duration> maxGrant = scheduleGroup == null ? Optional.empty()
                : Optional.of(Duration.ofSeconds(maxGrantSeconds));
        return new Configuration(table, bus, eventSource, Duration.ofSeconds(ttlSeconds), maxConcurrency,
                accessPolicy(settings, timeBoundGroups, maxGrant),
                Observability.metricsNamespace(environment.get(Observability.METRICS_NAMESPACE)), timeBoundGroups,
                Duration.ofSeconds(maxGrantSeconds), scheduleGroup, schedulerRole, requestQueue);
    }

    /**
     * Whether requests with {@code expiresAt} can be applied: {@code SCHEDULE_GROUP_NAME} is set (docs/contract.md
     * section 8).
     */
    public boolean timeBoundGrantsEnabled() {
        return scheduleGroupName != null;
    }

    /** Settings that are valid but weaken a safety guard, worded for the init log. */
    public List<String> warnings() {
        if (accessPolicy.allowedClusters() instanceof AccessPolicy.ClusterScope.Any) {
            return List.of("ALLOWED_CLUSTER_NAMES is *: this function may change the access entries of every cluster"
                    + " its role can reach; list the clusters instead");
        }
        return List.of();
    }

    private static AccessPolicy accessPolicy(Settings settings, List<GroupPattern> timeBoundGroups,
                                             Optional<Duration> maxGrant) {
        List<String> clusters = settings.listOrAny("ALLOWED_CLUSTER_NAMES");
        boolean anyCluster = clusters.equals(List.of("*"));
        if (!anyCluster) {
            for (String cluster : clusters) {
                if (!CLUSTER_NAME.matcher(cluster).matches()) {
                    throw new ConfigurationException("ALLOWED_CLUSTER_NAMES holds an invalid cluster name: " + cluster
                            + " (use cluster names separated by commas, or * alone)");
                }
            }
        }
        List<String> globs = settings.list("ALLOWED_KUBERNETES_GROUPS", false);
        List<GroupPattern> groupPatterns = globs.isEmpty() ? List.of(GroupPattern.ANY)
                : globs.stream().map(GroupPattern::of).toList();
        Set<PrincipalArn> protectedPrincipals = new LinkedHashSet<>();
        for (String arn : settings.list("PROTECTED_PRINCIPAL_ARNS", false)) {
            PrincipalArn principal = PrincipalArn.parse(arn);
            if (principal == null) {
                throw new ConfigurationException("PROTECTED_PRINCIPAL_ARNS holds a value that is not an IAM user or"
                        + " role ARN: " + arn);
            }
            protectedPrincipals.add(principal);
        }
        AccessPolicy.ClusterScope scope = anyCluster ? new AccessPolicy.ClusterScope.Any()
                : new AccessPolicy.ClusterScope.Named(Set.copyOf(clusters));
        return new AccessPolicy(scope, groupPatterns, protectedPrincipals, timeBoundGroups, maxGrant);
    }

    /** Reads variables; a blank value counts as unset, so a template can pass "" for "use the default". */
    private record Settings(Map<String, String> environment) {

        String optional(String name, String defaultValue) {
            String value = environment.get(name);
            return value == null || value.isBlank() ? defaultValue : value.strip();
        }

        String required(String name, Pattern pattern) {
            String value = optional(name, null);
            if (value == null) {
                throw new ConfigurationException(name + " is required");
            }
            if (!pattern.matcher(value).matches()) {
                throw new ConfigurationException(name + " is invalid: " + value);
            }
            return value;
        }

        /** A setting another one makes necessary, such as SCHEDULER_ROLE_ARN once SCHEDULE_GROUP_NAME is set. */
        String requiredWith(String name, String because, Pattern pattern, String kind) {
            String value = optional(name, null);
            if (value == null) {
                throw new ConfigurationException(name + " is required with " + because);
            }
            if (!pattern.matcher(value).matches()) {
                throw new ConfigurationException(name + " is not " + kind + ": " + value);
            }
            return value;
        }

        /** ASCII digits only: Long.parseLong alone would also take "+5" and other scripts' digits. */
        long number(String name, long defaultValue, long min, long max) {
            String value = optional(name, null);
            if (value == null) {
                return defaultValue;
            }
            try {
                long number = DIGITS.matcher(value).matches() ? Long.parseLong(value) : -1;
                if (number >= min && number <= max) {
                    return number;
                }
            } catch (NumberFormatException tooLarge) {
                // reported below
            }
            throw new ConfigurationException(name + " must be a whole number from " + min + " to " + max + ": "
                    + value);
        }

        /** A comma-separated list without empty items; unset is an empty list unless {@code required}. */
        List<String> list(String name, boolean required) {
            String value = optional(name, null);
            if (value == null) {
                if (required) {
                    throw new ConfigurationException(name + " is required");
                }
                return List.of();
            }
            List<String> items = new ArrayList<>();
            for (String item : value.split(",", -1)) {
                String trimmed = item.strip();
                if (trimmed.isEmpty()) {
                    throw new ConfigurationException(name + " has an empty item: " + value);
                }
                items.add(trimmed);
            }
            return List.copyOf(items);
        }

        /** A required list, where {@code *} alone stands for "any" and may not be mixed with names. */
        List<String> listOrAny(String name) {
            List<String> items = list(name, true);
            if (items.contains("*") && items.size() > 1) {
                throw new ConfigurationException(name + " must be * alone or a list of names");
            }
            return items;
        }
    }
}
