package dev.eksaccessupdater.request;

import static org.assertj.core.api.Assertions.assertThat;

import com.networknt.schema.Error;
import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The published JSON Schema says what the parser does, on the parser's own examples. */
class RequestSchemaTest {

    private static final String SCHEMA_RESOURCE = "/schemas/access-change-request.schema.json";
    private static final SchemaRegistry REGISTRY = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12);
    private static final Schema SCHEMA = REGISTRY.getSchema(schemaText(), InputFormat.JSON);

    static List<RequestExamples.Valid> validRequests() {
        return RequestExamples.valid().stream().filter(RequestExamples.Valid::schemaApplies).toList();
    }

    static List<RequestExamples.Invalid> invalidRequestsTheSchemaCanTell() {
        return RequestExamples.invalid().stream().filter(RequestExamples.Invalid::schemaCanTell).toList();
    }

    @Test
    void schema_itself_isValidDraft202012() {
        Schema metaSchema = REGISTRY.getSchema(SchemaLocation.of("https://json-schema.org/draft/2020-12/schema"));

        assertThat(metaSchema.validate(schemaText(), InputFormat.JSON)).isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("validRequests")
    void validate_whenParserAcceptsTheRequest_accepts(RequestExamples.Valid example) {
        assertThat(SCHEMA.validate(example.body(), InputFormat.JSON)).extracting(Error::toString).isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidRequestsTheSchemaCanTell")
    void validate_whenParserRejectsTheRequest_rejects(RequestExamples.Invalid example) {
        assertThat(SCHEMA.validate(example.body(), InputFormat.JSON)).isNotEmpty();
    }

    private static String schemaText() {
        try (InputStream schema = Objects.requireNonNull(RequestSchemaTest.class.getResourceAsStream(SCHEMA_RESOURCE),
                SCHEMA_RESOURCE)) {
            return new String(schema.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException unreadable) {
            throw new UncheckedIOException(unreadable);
        }
    }
}
