package dev.eksaccessupdater.docs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import com.fasterxml.jackson.jr.ob.JSON;
import dev.eksaccessupdater.docs.DocumentedJson.Block;
import dev.eksaccessupdater.docs.DocumentedJson.StrayMarker;
import dev.eksaccessupdater.events.EventSchemas;
import dev.eksaccessupdater.template.RegistrySchemas;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * How event patterns and example events are found in the documentation, and that the documentation's own blocks
 * are marked and valid. Whether each pattern matches what it should is {@link DocumentedEventPatternsTest}'s.
 */
class DocumentedJsonTest {

    private static final String SAMPLE = """
            An example event:

            ```json
            {"version": "0", "id": "e1", "detail-type": "Access Entry Updated", "source": "s", "detail": {}}
            ```

            A named pattern, with a blank line under its marker:

            <!-- event-pattern: first -->

            ```json
            {"source": ["s"]}
            ```

            A pattern nobody named, then a request (neither pattern nor event):

            ```json
            {"detail-type": ["Access Change Rejected"]}
            ```
            ```json
            {"clusterName": "demo"}
            ```

            ````markdown
            <!-- event-pattern: quoted -->
            ```json
            {"source": ["inside another block"]}
            ```
            ````

            <!-- event-pattern: before-text -->
            Text comes first, so this marker names nothing.
            <!-- event-pattern: before-bash -->
            ```bash
            echo '{"source": ["s"]}'
            ```
            <!-- event-pattern: at-the-end -->
            """;

    @Test
    void blocks_ofMarkdown_areTheJsonFencesWithTheirLineAndMarker() {
        List<Block> blocks = DocumentedJson.blocks("sample.md", SAMPLE);

        assertThat(blocks).extracting(Block::where, Block::marker).containsExactly(
                tuple("sample.md:3", null),
                tuple("sample.md:11", "first"),
                tuple("sample.md:17", null),
                tuple("sample.md:20", null));
        assertThat(blocks).extracting(Block::isExampleEvent).containsExactly(true, false, false, false);
        assertThat(blocks).extracting(Block::isEventPattern).containsExactly(false, true, true, false);
    }

    @Test
    void strayMarkers_ofMarkdown_areThoseNotRightAboveAJsonBlock() {
        assertThat(DocumentedJson.strayMarkers("sample.md", SAMPLE)).extracting(StrayMarker::name)
                .containsExactly("before-text", "before-bash", "at-the-end");
    }

    @Test
    void documentation_namesEveryEventPatternOnceAndMarksNothingElse() {
        List<Block> blocks = DocumentedJson.blocks();
        List<Block> patterns = blocks.stream().filter(Block::isEventPattern).toList();

        assertThat(patterns).as("event patterns in README.md and docs/*.md").isNotEmpty();
        assertThat(patterns).filteredOn(pattern -> pattern.marker() == null).extracting(Block::where)
                .as("event patterns without an <!-- event-pattern: name --> line above them").isEmpty();
        assertThat(blocks).filteredOn(block -> block.marker() != null && !block.isEventPattern())
                .extracting(Block::where).as("markers above blocks that are not event patterns").isEmpty();
        assertThat(DocumentedJson.strayMarkers()).extracting(StrayMarker::where)
                .as("markers that name no ```json block").isEmpty();
        Map<String, Long> names = patterns.stream()
                .collect(Collectors.groupingBy(Block::marker, Collectors.counting()));
        assertThat(names).as("pattern names used more than once").allSatisfy((name, count) -> assertThat(count)
                .as(name).isEqualTo(1L));
    }

    @Test
    void exampleEvents_inTheDocumentation_validateAgainstTheRegistryAndProjectSchemas() throws IOException {
        List<Block> examples = DocumentedJson.blocks().stream().filter(Block::isExampleEvent).toList();

        assertThat(examples).extracting(block -> (String) ((Map<?, ?>) block.value()).get("detail-type"))
                .as("the documentation shows an example of each event type")
                .contains("Access Entry Updated", "Access Change Rejected");
        for (Block example : examples) {
            Map<?, ?> event = (Map<?, ?>) example.value();
            String detailType = (String) event.get("detail-type");
            assertThat(RegistrySchemas.violations(detailType, example.text())).as(example.where()).isEmpty();
            assertThat(EventSchemas.violations(EventSchemas.forDetailType(detailType),
                    JSON.std.asString(event.get("detail")))).as(example.where()).isEmpty();
        }
    }

    @Test
    void exampleEvents_forSubscribers_showTheGrantAndExpiryFields() {
        List<Object> detailFields = DocumentedJson.blocks().stream()
                .filter(block -> block.source().equals("docs/subscribing.md") && block.isExampleEvent())
                .flatMap(block -> ((Map<?, ?>) ((Map<?, ?>) block.value()).get("detail")).keySet().stream())
                .map(Object.class::cast).toList();

        assertThat(detailFields).contains("expiresAt", "grantedGroups", "expiryOf", "expiredGroups");
    }
}
