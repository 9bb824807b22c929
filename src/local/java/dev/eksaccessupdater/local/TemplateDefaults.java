package dev.eksaccessupdater.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.AbstractConstruct;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import software.amazon.awssdk.services.dynamodb.model.AttributeDefinition;
import software.amazon.awssdk.services.dynamodb.model.BillingMode;
import software.amazon.awssdk.services.dynamodb.model.CreateTableRequest;
import software.amazon.awssdk.services.dynamodb.model.KeySchemaElement;

/**
 * What the local stack takes from {@code template.yaml}, so that it runs with the deployed settings: the queue's
 * redrive and visibility timeout, the function timeout, the event source's batching, and the idempotency table's
 * keys and billing mode.
 *
 * @param maxReceiveCount the default of the {@code MaxReceiveCount} parameter
 * @param visibilityTimeoutSeconds the request queue's {@code VisibilityTimeout}
 * @param functionTimeoutSeconds the function's {@code Timeout}
 * @param batchSize the default of the {@code BatchSize} parameter
 * @param batchingWindowSeconds the default of the {@code MaximumBatchingWindowInSeconds} parameter
 * @param idempotencyTable the {@code IdempotencyTable}'s properties, as YAML read them
 */
public record TemplateDefaults(int maxReceiveCount, int visibilityTimeoutSeconds, int functionTimeoutSeconds,
                               int batchSize, int batchingWindowSeconds, Map<String, Object> idempotencyTable) {

    public TemplateDefaults {
        idempotencyTable = Map.copyOf(idempotencyTable);
    }

    /** Reads {@code template.yaml} of the project directory. */
    public static TemplateDefaults load(Path projectDirectory) {
        Path file = projectDirectory.resolve("template.yaml");
        String yaml;
        try {
            yaml = Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the SAM template " + file, e);
        }
        return parse(yaml);
    }

    static TemplateDefaults parse(String yaml) {
        Map<String, Object> template = map(new Yaml(new TaggedValues()).load(yaml), "the template");
        Map<String, Object> parameters = map(template.get("Parameters"), "Parameters");
        Map<String, Object> resources = map(template.get("Resources"), "Resources");
        return new TemplateDefaults(
                number(map(parameters.get("MaxReceiveCount"), "MaxReceiveCount").get("Default"), "MaxReceiveCount"),
                number(properties(resources, "RequestQueue").get("VisibilityTimeout"),
                        "RequestQueue.VisibilityTimeout"),
                number(properties(resources, "AccessChangeFunction").get("Timeout"), "AccessChangeFunction.Timeout"),
                number(map(parameters.get("BatchSize"), "BatchSize").get("Default"), "BatchSize"),
                number(map(parameters.get("MaximumBatchingWindowInSeconds"), "MaximumBatchingWindowInSeconds")
                        .get("Default"), "MaximumBatchingWindowInSeconds"),
                properties(resources, "IdempotencyTable"));
    }

    /** The table as the template declares it (keys, attribute types, billing mode), under {@code tableName}. */
    public CreateTableRequest createIdempotencyTable(String tableName) {
        List<AttributeDefinition> attributes = new ArrayList<>();
        for (Object item : list(idempotencyTable.get("AttributeDefinitions"), "AttributeDefinitions")) {
            Map<String, Object> attribute = map(item, "an attribute definition");
            attributes.add(AttributeDefinition.builder()
                    .attributeName((String) attribute.get("AttributeName"))
                    .attributeType((String) attribute.get("AttributeType"))
                    .build());
        }
        List<KeySchemaElement> keys = new ArrayList<>();
        for (Object item : list(idempotencyTable.get("KeySchema"), "KeySchema")) {
            Map<String, Object> key = map(item, "a key schema element");
            keys.add(KeySchemaElement.builder()
                    .attributeName((String) key.get("AttributeName"))
                    .keyType((String) key.get("KeyType"))
                    .build());
        }
        Object billingMode = idempotencyTable.getOrDefault("BillingMode", BillingMode.PROVISIONED.toString());
        CreateTableRequest.Builder request = CreateTableRequest.builder()
                .tableName(tableName)
                .attributeDefinitions(attributes)
                .keySchema(keys)
                .billingMode(String.valueOf(billingMode));
        if (BillingMode.PROVISIONED.toString().equals(billingMode)) {
            request.provisionedThroughput(throughput -> throughput.readCapacityUnits(5L).writeCapacityUnits(5L));
        }
        return request.build();
    }

    /** The time-to-live attribute the template names (dynalite cannot set it, so it is only reported). */
    public String timeToLiveAttribute() {
        Object specification = idempotencyTable.get("TimeToLiveSpecification");
        return specification == null ? null : (String) map(specification, "TimeToLiveSpecification")
                .get("AttributeName");
    }

    private static Map<String, Object> properties(Map<String, Object> resources, String logicalId) {
        return map(map(resources.get(logicalId), logicalId).get("Properties"), logicalId + ".Properties");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object node, String what) {
        if (!(node instanceof Map<?, ?>)) {
            throw new IllegalStateException("template.yaml: expected " + what + " to be a mapping, found " + node);
        }
        return (Map<String, Object>) node;
    }

    @SuppressWarnings("unchecked")
    private static List<Object> list(Object node, String what) {
        if (!(node instanceof List<?>)) {
            throw new IllegalStateException("template.yaml: expected " + what + " to be a list, found " + node);
        }
        return (List<Object>) node;
    }

    private static int number(Object node, String what) {
        if (node instanceof Number number) {
            return number.intValue();
        }
        if (node instanceof String text && text.matches("[0-9]+")) {
            return Integer.parseInt(text);
        }
        throw new IllegalStateException("template.yaml: expected " + what + " to be a number, found " + node);
    }

    /** Reads every short-form intrinsic function ({@code !Ref x}) as a one-entry map ({@code {"!Ref": x}}). */
    private static final class TaggedValues extends SafeConstructor {

        TaggedValues() {
            super(new LoaderOptions());
            yamlMultiConstructors.put("!", new AbstractConstruct() {
                @Override
                public Object construct(Node node) {
                    Map<String, Object> function = new LinkedHashMap<>();
                    function.put(node.getTag().getValue(), content(node));
                    return function;
                }
            });
        }

        private Object content(Node node) {
            if (node instanceof ScalarNode scalar) {
                return constructScalar(scalar);
            }
            if (node instanceof SequenceNode sequence) {
                return constructSequence(sequence);
            }
            return constructMapping((MappingNode) node);
        }
    }
}
