package dev.eksaccessupdater.events;

import com.networknt.schema.Error;
import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SchemaRegistryConfig;
import com.networknt.schema.SpecificationVersion;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;

/** The event-detail schemas shipped in the artifact, loaded from the classpath, with format assertions on. */
public final class EventSchemas {

    public static final Schema ACCESS_ENTRY_UPDATED = load("access-entry-updated.schema.json");
    public static final Schema ACCESS_CHANGE_REJECTED = load("access-change-rejected.schema.json");

    private EventSchemas() {
    }

    public static Schema forDetailType(String detailType) {
        return switch (detailType) {
            case AccessEvent.ACCESS_ENTRY_UPDATED -> ACCESS_ENTRY_UPDATED;
            case AccessEvent.ACCESS_CHANGE_REJECTED -> ACCESS_CHANGE_REJECTED;
            default -> throw new IllegalArgumentException("no schema for " + detailType);
        };
    }

    /** The violations, as readable strings; empty when {@code json} is valid. */
    public static List<String> violations(Schema schema, String json) {
        return schema.validate(json, InputFormat.JSON).stream().map(Error::toString).toList();
    }

    private static Schema load(String name) {
        // Draft 2020-12 makes "format" an annotation unless assertions are switched on.
        SchemaRegistry registry = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12,
                builder -> builder.schemaRegistryConfig(
                        SchemaRegistryConfig.builder().formatAssertionsEnabled(true).build()));
        try (InputStream schema = EventSchemas.class.getResourceAsStream("/schemas/" + name)) {
            if (schema == null) {
                throw new IllegalStateException("schemas/" + name + " is not on the classpath");
            }
            return registry.getSchema(schema);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
