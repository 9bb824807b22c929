package dev.eksaccessupdater.observability;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The runbook in {@code docs/} against what the function really logs. The subscribers' guide is checked by
 * {@code docs/DocumentedEventPatternsTest} and {@code docs/DocumentedJsonTest}.
 */
class RunbookTest {

    private static final String RUNBOOK = document("docs/operations.md");
    private static final Pattern CODE_BLOCK = Pattern.compile("(?m)^```([a-z]*)\\n(.*?)^```", Pattern.DOTALL);
    private static final Pattern QUERY_START = Pattern.compile("^(fields|filter|stats|sort|display|parse)\\b");
    /** Logs Insights commands, functions and keywords: every other word of a query names a field. */
    private static final Set<String> QUERY_WORDS = Set.of("fields", "filter", "stats", "sort", "limit", "display",
            "parse", "dedup", "by", "as", "and", "or", "not", "in", "like", "asc", "desc", "count", "sum", "avg",
            "min", "max", "pct", "stddev", "count_distinct", "earliest", "latest", "bin", "ispresent", "isempty",
            "strlen", "tolower", "toupper", "concat");

    private static String document(String path) {
        try {
            return Files.readString(Path.of(path));
        } catch (IOException unreadable) {
            throw new IllegalStateException(unreadable);
        }
    }

    private static List<String> codeBlocks(String document, String language, Pattern firstLine) {
        List<String> blocks = new ArrayList<>();
        Matcher block = CODE_BLOCK.matcher(document);
        while (block.find()) {
            if (block.group(1).equals(language) && firstLine.matcher(block.group(2)).find()) {
                blocks.add(block.group(2));
            }
        }
        return blocks;
    }

    /** Every field name a batch with every outcome writes, nested objects flattened as Logs Insights does. */
    private static Set<String> loggedFields() {
        Set<String> fields = new HashSet<>();
        ObservedPipeline.everyOutcomeOutput().forEach(line -> flatten("", line, fields));
        return fields;
    }

    private static void flatten(String prefix, Map<?, ?> object, Set<String> fields) {
        object.forEach((key, value) -> {
            String name = prefix + key;
            fields.add(name);
            if (value instanceof Map<?, ?> nested) {
                flatten(name + ".", nested, fields);
            }
        });
    }

    /** The words of a query that name fields: not strings, numbers, durations, @-fields, commands or aliases. */
    static Set<String> fieldNames(String query) {
        String code = query.replaceAll("\"(\\\\.|[^\"\\\\])*\"", " ").replaceAll("'(\\\\.|[^'\\\\])*'", " ");
        Set<String> aliases = new HashSet<>();
        Matcher alias = Pattern.compile("\\bas\\s+([A-Za-z_][A-Za-z0-9_]*)").matcher(code);
        while (alias.find()) {
            aliases.add(alias.group(1));
        }
        Set<String> names = new HashSet<>();
        Matcher word = Pattern.compile("[A-Za-z0-9_.@]+").matcher(code);
        while (word.find()) {
            String token = word.group();
            if (!Character.isDigit(token.charAt(0)) && !token.startsWith("@") && !QUERY_WORDS.contains(token)
                    && !aliases.contains(token)) {
                names.add(token);
            }
        }
        return names;
    }

    @Test
    void fieldNames_ofAQuery_leaveOutCommandsLiteralsAliasesAndBuiltInFields() {
        assertThat(fieldNames("fields @timestamp, outcome\n| filter event = \"message\" and attempt > 2\n"
                + "| stats count(*) as n, pct(EksLatency, 99) by bin(5m), outcomes.RETRY\n| sort n desc | limit 5"))
                .containsExactlyInAnyOrder("outcome", "event", "attempt", "EksLatency", "outcomes.RETRY");
    }

    @Test
    void queries_inTheRunbook_useOnlyFieldsTheFunctionLogs() {
        List<String> queries = codeBlocks(RUNBOOK, "", QUERY_START);
        Set<String> logged = loggedFields();

        assertThat(queries).hasSizeGreaterThanOrEqualTo(6);
        queries.forEach(query -> assertThat(logged).as(query).containsAll(fieldNames(query)));
        assertThat(String.join("\n", queries)).contains("clientRequestToken = ", "principalArn = ");
    }

    @Test
    void runbook_showsTheRedriveCommandForTheDeadLetterQueue() {
        assertThat(RUNBOOK).contains("aws sqs start-message-move-task --source-arn <DeadLetterQueueArn>");
        for (String alarm : List.of("DeadLetterQueueAlarm", "RequestQueueAgeAlarm", "RejectionRateAlarm",
                "FunctionErrorsAlarm", "FunctionThrottlesAlarm")) {
            assertThat(RUNBOOK).as(alarm).containsPattern("(?m)^\\| `" + alarm + "` \\|");
        }
    }
}
