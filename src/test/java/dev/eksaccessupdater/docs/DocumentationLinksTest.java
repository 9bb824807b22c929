package dev.eksaccessupdater.docs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Every relative link and image of README.md and docs/*.md leads to a file of the repository and, with an anchor, to a heading. */
class DocumentationLinksTest {

    private static final Path ROOT = Path.of("").toAbsolutePath().normalize();
    private static final long README_LIMIT_BYTES = 20 * 1024;

    private static final Pattern FENCE = Pattern.compile("^\\s{0,3}(```|~~~)");
    private static final Pattern CODE_SPAN = Pattern.compile("(`+)(?:(?!\\1).)+?\\1");
    /** An inline link or image: [text](target "title"); the text may hold one level of brackets (a badge). */
    private static final Pattern INLINE_LINK =
            Pattern.compile("!?\\[(?:[^\\[\\]]|\\[[^\\[\\]]*\\])*\\]\\(\\s*(<[^>]*>|[^\\s)]+)(?:\\s+\"[^\"]*\")?\\s*\\)");
    /** A link reference definition: [label]: target. */
    private static final Pattern REFERENCE_DEFINITION = Pattern.compile("^\\s{0,3}\\[[^\\]]+\\]:\\s*(<[^>]*>|\\S+)");
    private static final Pattern HEADING = Pattern.compile("^\\s{0,3}#{1,6}\\s+(.*?)\\s*#*\\s*$");
    private static final Pattern SCHEME = Pattern.compile("^[A-Za-z][A-Za-z0-9+.-]*:");

    @Test
    void relativeLinks_inReadmeAndDocs_leadToExistingFilesAndHeadings() {
        List<Path> documents = documents();
        List<String> broken = new ArrayList<>();
        int checked = 0;
        for (Path document : documents) {
            for (String target : links(read(document))) {
                if (SCHEME.matcher(target).find() || target.startsWith("//")) {
                    continue;
                }
                checked++;
                problem(document, target).ifPresent(problem ->
                        broken.add(ROOT.relativize(document) + ": (" + target + ") " + problem));
            }
        }

        assertThat(documents).contains(ROOT.resolve("README.md"), ROOT.resolve("docs/contract.md"));
        assertThat(checked).as("relative links found").isGreaterThan(20);
        assertThat(broken).as("broken relative links").isEmpty();
    }

    @Test
    void readme_staysUnder20KiB() throws IOException {
        assertThat(Files.size(ROOT.resolve("README.md"))).isLessThan(README_LIMIT_BYTES);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '"', textBlock = """
            Two commands                                       | two-commands
            Operating it (runbook)                             | operating-it-runbook
            4.2 Entry leases                                   | 42-entry-leases
            7. Deployment (template.yaml, AWS SAM)             | 7-deployment-templateyaml-aws-sam
            Keep it running: `--serve`                         | keep-it-running---serve
            Why don't I have access yet? — find a request      | why-dont-i-have-access-yet--find-a-request
            See [the contract](contract.md) first              | see-the-contract-first
            snake_case and UPPER-case                          | snake_case-and-upper-case
            """)
    void slug_ofAHeading_followsGitHubsRules(String heading, String slug) {
        assertThat(slug(heading)).isEqualTo(slug);
    }

    @Test
    void links_ofADocument_skipCodeAndKeepImagesAndReferences() {
        String markdown = """
                A [link](docs/a.md#b) and ![an image](images/c.png "title") and [a badge [x]](<d e.md>).
                `[not a link](in-code.md)`
                ```
                [not a link](in-a-fence.md)
                ```
                [label]: docs/f.md
                """;

        assertThat(links(markdown)).containsExactly("docs/a.md#b", "images/c.png", "d e.md", "docs/f.md");
    }

    @Test
    void anchors_ofRepeatedHeadings_areNumberedAsGitHubDoes() {
        assertThat(anchors("# Notes\n## Notes\n```\n# not a heading\n```\n## Notes\n"))
                .containsExactly("notes", "notes-1", "notes-2");
    }

    /** What is wrong with a relative link of a document, if anything. */
    private static Optional<String> problem(Path document, String target) {
        int hash = target.indexOf('#');
        String pathPart = URLDecoder.decode(hash < 0 ? target : target.substring(0, hash), StandardCharsets.UTF_8);
        String anchor = hash < 0 ? null : URLDecoder.decode(target.substring(hash + 1), StandardCharsets.UTF_8);
        Path resolved = pathPart.isEmpty() ? document : document.getParent().resolve(pathPart).normalize();
        if (!resolved.startsWith(ROOT)) {
            return Optional.of("leads out of the repository");
        }
        if (!Files.exists(resolved)) {
            return Optional.of("no such file: " + ROOT.relativize(resolved));
        }
        if (anchor == null) {
            return Optional.empty();
        }
        if (!resolved.getFileName().toString().endsWith(".md")) {
            return Optional.of("an anchor on a file that is not Markdown");
        }
        Set<String> anchors = anchors(read(resolved));
        return anchors.contains(anchor)
                ? Optional.empty()
                : Optional.of("no heading with the anchor #" + anchor + " in " + ROOT.relativize(resolved));
    }

    private static List<Path> documents() {
        List<Path> documents = new ArrayList<>();
        documents.add(ROOT.resolve("README.md"));
        try (Stream<Path> docs = Files.list(ROOT.resolve("docs"))) {
            docs.filter(path -> path.toString().endsWith(".md")).sorted().forEach(documents::add);
        } catch (IOException unreadable) {
            throw new UncheckedIOException(unreadable);
        }
        return documents;
    }

    /** The targets of a document's inline links, images and reference definitions, outside code. */
    static List<String> links(String markdown) {
        List<String> targets = new ArrayList<>();
        for (String line : proseLines(markdown)) {
            String prose = CODE_SPAN.matcher(line).replaceAll("");
            Matcher definition = REFERENCE_DEFINITION.matcher(prose);
            if (definition.find()) {
                targets.add(unbracket(definition.group(1)));
                continue;
            }
            Matcher link = INLINE_LINK.matcher(prose);
            while (link.find()) {
                targets.add(unbracket(link.group(1)));
            }
        }
        return targets;
    }

    /** The anchors GitHub gives a document's headings, a repeated one numbered -1, -2, … */
    static Set<String> anchors(String markdown) {
        Set<String> anchors = new LinkedHashSet<>();
        Map<String, Integer> seen = new HashMap<>();
        for (String line : proseLines(markdown)) {
            Matcher heading = HEADING.matcher(line);
            if (heading.matches()) {
                String slug = slug(heading.group(1));
                int count = seen.merge(slug, 1, Integer::sum);
                anchors.add(count == 1 ? slug : slug + "-" + (count - 1));
            }
        }
        return anchors;
    }

    /** GitHub's anchor of a heading: its text, lower-case, punctuation except - and _ removed, spaces to -. */
    static String slug(String heading) {
        String text = heading.replaceAll("!?\\[([^\\]]*)\\]\\([^)]*\\)", "$1");
        return text.toLowerCase(Locale.ROOT).replaceAll("[^\\p{L}\\p{N}\\p{M}\\- _]", "").replace(' ', '-');
    }

    /** The lines of a document outside fenced code blocks. */
    private static List<String> proseLines(String markdown) {
        List<String> lines = new ArrayList<>();
        String fence = null;
        for (String line : markdown.split("\n", -1)) {
            Matcher opening = FENCE.matcher(line);
            if (fence == null && opening.find()) {
                fence = opening.group(1);
            } else if (fence != null && line.strip().startsWith(fence)) {
                fence = null;
            } else if (fence == null) {
                lines.add(line);
            }
        }
        return lines;
    }

    private static String unbracket(String target) {
        return target.startsWith("<") && target.endsWith(">") ? target.substring(1, target.length() - 1) : target;
    }

    private static String read(Path document) {
        try {
            return Files.readString(document);
        } catch (IOException unreadable) {
            throw new UncheckedIOException(unreadable);
        }
    }
}
