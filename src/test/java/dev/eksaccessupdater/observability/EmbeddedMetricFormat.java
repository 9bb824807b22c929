package dev.eksaccessupdater.observability;

import static dev.eksaccessupdater.observability.ObservedPipeline.Line;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The rules of the CloudWatch embedded metric format specification that a document must follow for CloudWatch to
 * extract its metrics: https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
 */
final class EmbeddedMetricFormat {

    private static final List<String> UNITS = List.of("Seconds", "Microseconds", "Milliseconds", "Bytes",
            "Kilobytes", "Megabytes", "Gigabytes", "Terabytes", "Bits", "Kilobits", "Megabits", "Gigabits",
            "Terabits", "Percent", "Count", "Bytes/Second", "Kilobytes/Second", "Megabytes/Second",
            "Gigabytes/Second", "Terabytes/Second", "Bits/Second", "Kilobits/Second", "Megabits/Second",
            "Gigabits/Second", "Terabits/Second", "Count/Second", "None");

    private EmbeddedMetricFormat() {
    }

    static boolean isDocument(Map<String, Object> object) {
        return object.containsKey("_aws");
    }

    /** What breaks the specification in {@code line}; empty when CloudWatch would extract every metric. */
    static List<String> violations(Line line) {
        List<String> problems = new ArrayList<>();
        if (line.json().contains("\n")) {
            problems.add("a log event holds one JSON object on one line");
        }
        Map<String, Object> root = line.fields();
        if (!(root.get("_aws") instanceof Map<?, ?> metadata)) {
            problems.add("_aws must be an object");
            return problems;
        }
        if (!(metadata.get("Timestamp") instanceof Number timestamp) || timestamp.longValue() <= 0) {
            problems.add("_aws.Timestamp must be epoch milliseconds");
        }
        if (!(metadata.get("CloudWatchMetrics") instanceof List<?> directives) || directives.isEmpty()) {
            problems.add("_aws.CloudWatchMetrics must be a non-empty array");
            return problems;
        }
        for (Object item : directives) {
            if (!(item instanceof Map<?, ?> directive)) {
                problems.add("a metric directive must be an object");
                continue;
            }
            if (!(directive.get("Namespace") instanceof String namespace) || namespace.isEmpty()
                    || namespace.length() > 255) {
                problems.add("Namespace must be a string of 1-255 characters");
            }
            if (!(directive.get("Dimensions") instanceof List<?> dimensionSets)) {
                problems.add("Dimensions must be an array of dimension sets");
            } else {
                for (Object set : dimensionSets) {
                    if (!(set instanceof List<?> keys) || keys.size() > 30) {
                        problems.add("a dimension set is an array of at most 30 keys");
                        continue;
                    }
                    for (Object key : keys) {
                        if (!(root.get(String.valueOf(key)) instanceof String value) || value.isEmpty()
                                || value.length() > 1024) {
                            problems.add("dimension " + key + " must be a root member holding a string");
                        }
                    }
                }
            }
            if (!(directive.get("Metrics") instanceof List<?> metrics) || metrics.isEmpty() || metrics.size() > 100) {
                problems.add("Metrics must be an array of 1-100 metric definitions");
                continue;
            }
            for (Object definition : metrics) {
                Map<?, ?> metric = (Map<?, ?>) definition;
                Object name = metric.get("Name");
                Object value = root.get(String.valueOf(name));
                boolean numeric = value instanceof Number || value instanceof List<?> values
                        && !values.isEmpty() && values.size() <= 100
                        && values.stream().allMatch(Number.class::isInstance);
                if (!numeric) {
                    problems.add("metric " + name + " must be a root member holding a number or numbers");
                }
                if (metric.containsKey("Unit") && !UNITS.contains(metric.get("Unit"))) {
                    problems.add("metric " + name + " has an unknown unit " + metric.get("Unit"));
                }
            }
        }
        return problems;
    }
}
