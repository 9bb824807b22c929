package dev.eksaccessupdater.template;

import com.networknt.schema.Error;
import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SchemaRegistryConfig;
import com.networknt.schema.SpecificationVersion;
import dev.eksaccessupdater.events.AccessEvent;
import java.util.List;
import java.util.Map;

/**
 * The template's schema-registry copies of the two event types (Draft 4, whole events as EventBridge delivers
 * them), rendered for the default {@code EventSource}, so that tests can validate events with what subscribers
 * download.
 */
public final class RegistrySchemas {

    private static final Map<String, Schema> BY_DETAIL_TYPE = Map.of(
            AccessEvent.ACCESS_ENTRY_UPDATED, load("AccessEntryUpdatedSchema"),
            AccessEvent.ACCESS_CHANGE_REJECTED, load("AccessChangeRejectedSchema"));

    private RegistrySchemas() {
    }

    /** The violations of {@code eventJson}, a whole event, against the registry schema of its detail type. */
    public static List<String> violations(String detailType, String eventJson) {
        Schema schema = BY_DETAIL_TYPE.get(detailType);
        if (schema == null) {
            throw new IllegalArgumentException("no registry schema for " + detailType);
        }
        return schema.validate(eventJson, InputFormat.JSON).stream().map(Error::toString).toList();
    }

    private static Schema load(String resource) {
        String content = ObservabilityTemplateTest.render(TemplateTest.deployed().properties(resource).get("Content"),
                Map.of("EventSource", "eks-access-updater"));
        // The registry's own dialect; format assertions on, as for the project's schemas (EventSchemas).
        SchemaRegistry registry = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_4,
                builder -> builder.schemaRegistryConfig(
                        SchemaRegistryConfig.builder().formatAssertionsEnabled(true).build()));
        return registry.getSchema(content, InputFormat.JSON);
    }
}
