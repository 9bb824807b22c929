package dev.eksaccessupdater.docs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The repository cites its own contract, docs/contract.md, by section number, and every cited section exists; nothing
 * points at a document or a path outside the repository.
 */
class ContractCitationsTest {

    private static final Path ROOT = Path.of("").toAbsolutePath().normalize();
    private static final Path THIS_FILE =
            ROOT.resolve("src/test/java/dev/eksaccessupdater/docs/ContractCitationsTest.java");

    /** "docs/contract.md section 4.2", also when a comment wraps between the file and the word "section". */
    private static final Pattern CITATION =
            Pattern.compile("docs/contract\\.md\\s*(?:\\*|//|#)?\\s*section\\s+(\\d+(?:\\.\\d+)?)");
    private static final Pattern SECTION_HEADING = Pattern.compile("(?m)^#{2,3}\\s+(\\d+(?:\\.\\d+)?)\\.?\\s");
    /**
     * What the repository must not name: the old private specification, a folder beside the repository, or an
     * absolute path of the machine it was written on.
     */
    private static final Pattern OUTSIDE_REFERENCE = Pattern.compile("\\bSPEC\\b|\\.\\./[a-z]+/[A-Z]+\\.md"
            + "|(?<![\\w.:/])/(?:home|root|tmp|opt|srv|mnt|usr/lib)/[\\w.-]+");

    @Test
    void contractCitations_inCodeAndTemplate_nameExistingSections() {
        Set<String> sections = sections(read(ROOT.resolve("docs/contract.md")));
        List<String> unknown = new ArrayList<>();
        int citations = 0;
        for (Path file : citingFiles()) {
            Matcher citation = CITATION.matcher(read(file));
            while (citation.find()) {
                citations++;
                if (!sections.contains(citation.group(1))) {
                    unknown.add(ROOT.relativize(file) + ": section " + citation.group(1));
                }
            }
        }

        assertThat(citations).as("citations found").isGreaterThan(40);
        assertThat(unknown).as("citations of sections docs/contract.md does not have").isEmpty();
    }

    @Test
    void sourcesTemplateAndDocs_nameNothingOutsideTheRepository() {
        List<Path> files = new ArrayList<>(citingFiles());
        files.add(ROOT.resolve("README.md"));
        files.addAll(filesUnder(ROOT.resolve("docs"), ".md"));
        files.remove(THIS_FILE);

        List<String> found = new ArrayList<>();
        for (Path file : files) {
            Matcher reference = OUTSIDE_REFERENCE.matcher(read(file));
            while (reference.find()) {
                found.add(ROOT.relativize(file) + ": " + reference.group());
            }
        }

        assertThat(found).isEmpty();
    }

    @Test
    void sections_ofTheContract_includeSubsections() {
        assertThat(sections("# The contract\n## 1. What it does\n### 2.1 Canonical form\n#### 9 too deep\n"))
                .containsExactly("1", "2.1");
    }

    private static Set<String> sections(String markdown) {
        return SECTION_HEADING.matcher(markdown).results().map(heading -> heading.group(1))
                .collect(Collectors.toCollection(TreeSet::new));
    }

    /** The files that cite the contract: sources of every kind, the template, the pom and the scripts. */
    private static List<Path> citingFiles() {
        List<Path> files = new ArrayList<>(filesUnder(ROOT.resolve("src"), ".java", ".json", ".yaml", ".properties"));
        for (String name : List.of("template.yaml", "pom.xml", "run-local.sh", "bench.sh")) {
            files.add(ROOT.resolve(name));
        }
        return files;
    }

    private static List<Path> filesUnder(Path folder, String... suffixes) {
        try (Stream<Path> paths = Files.walk(folder)) {
            return paths.filter(Files::isRegularFile)
                    .filter(path -> Stream.of(suffixes).anyMatch(path.toString()::endsWith))
                    .sorted()
                    .toList();
        } catch (IOException unreadable) {
            throw new UncheckedIOException(unreadable);
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException unreadable) {
            throw new UncheckedIOException(unreadable);
        }
    }
}
