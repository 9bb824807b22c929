package dev.eksaccessupdater.template;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.AbstractConstruct;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * A CloudFormation template read the way CloudFormation reads it: short-form tags ({@code !Ref},
 * {@code !Sub}...) become the long-form maps, {@code Fn::ForEach} expands as AWS::LanguageExtensions
 * expands it, and {@link #deployedWith} evaluates conditions for a set of parameter values.
 */
final class CloudFormationTemplate {

    static final Set<String> PSEUDO_PARAMETERS = Set.of("AWS::AccountId", "AWS::NotificationARNs", "AWS::NoValue",
            "AWS::Partition", "AWS::Region", "AWS::StackId", "AWS::StackName", "AWS::URLSuffix");
    static final String FOR_EACH_PREFIX = "Fn::ForEach::";

    /** The {@code Fn::} functions whose YAML short form is {@code !Name}. */
    private static final List<String> SHORT_FORM_FUNCTIONS = List.of("And", "Base64", "Cidr", "Equals", "FindInMap",
            "GetAZs", "If", "ImportValue", "Join", "Not", "Or", "Select", "Split", "Sub", "Transform");
    private static final Object NO_VALUE = new Object();

    private final Map<String, Object> root;

    private CloudFormationTemplate(Map<String, Object> root) {
        this.root = root;
    }

    static CloudFormationTemplate load(Path path) {
        try {
            return parse(Files.readString(path, StandardCharsets.UTF_8));
        } catch (IOException cannotRead) {
            throw new IllegalStateException("Cannot read " + path, cannotRead);
        }
    }

    @SuppressWarnings("unchecked")
    static CloudFormationTemplate parse(String yaml) {
        LoaderOptions options = new LoaderOptions();
        options.setAllowDuplicateKeys(false); // CloudFormation rejects them too
        Object document = new Yaml(new IntrinsicFunctionConstructor(options)).load(yaml);
        if (!(document instanceof Map<?, ?> map)) {
            throw new IllegalArgumentException("A template is a mapping");
        }
        return new CloudFormationTemplate((Map<String, Object>) map);
    }

    Map<String, Object> root() {
        return root;
    }

    Map<String, Object> section(String name) {
        Object section = root.get(name);
        return section == null ? Map.of() : asMap(section);
    }

    Map<String, Object> parameters() {
        return section("Parameters");
    }

    Map<String, Object> resources() {
        return section("Resources");
    }

    Map<String, Object> conditions() {
        return section("Conditions");
    }

    Map<String, Object> outputs() {
        return section("Outputs");
    }

    Map<String, Object> resource(String logicalId) {
        Object resource = resources().get(logicalId);
        if (resource == null) {
            throw new IllegalArgumentException("No resource " + logicalId + " among " + resources().keySet());
        }
        return asMap(resource);
    }

    Map<String, Object> properties(String logicalId) {
        Object properties = resource(logicalId).get("Properties");
        return properties == null ? Map.of() : asMap(properties);
    }

    /** Logical ids of the resources of one type, in template order; loops are not looked into (expand them first). */
    List<String> resourcesOfType(String type) {
        List<String> ids = new ArrayList<>();
        resources().forEach((id, resource) -> {
            if (!id.startsWith(FOR_EACH_PREFIX) && type.equals(asMap(resource).get("Type"))) {
                ids.add(id);
            }
        });
        return ids;
    }

    /**
     * The parameter values CloudFormation would use: each default, replaced by {@code overrides}.
     *
     * @throws IllegalArgumentException when a parameter without a default gets no value
     */
    Map<String, String> parameterValues(Map<String, String> overrides) {
        Map<String, String> values = new LinkedHashMap<>();
        parameters().forEach((name, declaration) -> {
            Object value = overrides.containsKey(name) ? overrides.get(name) : asMap(declaration).get("Default");
            if (value == null) {
                throw new IllegalArgumentException("Parameter " + name + " has no default and no value was given");
            }
            values.put(name, String.valueOf(value));
        });
        overrides.keySet().stream().filter(name -> !values.containsKey(name)).findAny().ifPresent(name -> {
            throw new IllegalArgumentException("No parameter " + name);
        });
        return values;
    }

    /** This template with every {@code Fn::ForEach} expanded, as AWS::LanguageExtensions does before any other transform. */
    CloudFormationTemplate expandedWith(Map<String, String> overrides) {
        Map<String, String> values = parameterValues(overrides);
        Map<String, Object> expanded = new LinkedHashMap<>(root);
        for (String section : List.of("Conditions", "Resources", "Outputs")) {
            if (root.containsKey(section)) {
                expanded.put(section, expandForEach(asMap(root.get(section)), values));
            }
        }
        return new CloudFormationTemplate(expanded);
    }

    /**
     * This template as CloudFormation would create it for these parameter values: loops expanded,
     * resources and outputs whose condition is false removed, each {@code Fn::If} replaced by the
     * branch it picks and {@code AWS::NoValue} removed. {@code Ref}, {@code Fn::Sub} and the rest
     * stay as they are.
     */
    CloudFormationTemplate deployedWith(Map<String, String> overrides) {
        CloudFormationTemplate expanded = expandedWith(overrides);
        ConditionEvaluator evaluator = new ConditionEvaluator(expanded.conditions(), expanded.parameters(),
                expanded.parameterValues(overrides));
        Map<String, Object> deployed = new LinkedHashMap<>(expanded.root);
        for (String section : List.of("Resources", "Outputs")) {
            Map<String, Object> entries = new LinkedHashMap<>();
            expanded.section(section).forEach((id, entry) -> {
                Object condition = asMap(entry).get("Condition");
                if (condition == null || evaluator.condition((String) condition)) {
                    entries.put(id, evaluator.resolve(entry));
                }
            });
            deployed.put(section, entries);
        }
        return new CloudFormationTemplate(deployed);
    }

    // --- Fn::ForEach, following the AWS::LanguageExtensions rules ---------------------------------

    private static Map<String, Object> expandForEach(Map<String, Object> map, Map<String, String> parameterValues) {
        Map<String, Object> result = new LinkedHashMap<>();
        for (Map.Entry<String, Object> entry : map.entrySet()) {
            if (entry.getKey().startsWith(FOR_EACH_PREFIX)) {
                List<Object> loop = asList(entry.getValue());
                if (loop.size() != 3 || !(loop.get(0) instanceof String identifier) || identifier.isEmpty()
                        || !(loop.get(2) instanceof Map<?, ?>)) {
                    throw new IllegalArgumentException(entry.getKey() + " layout is incorrect");
                }
                if (parameterValues.containsKey(identifier)) {
                    throw new IllegalArgumentException(entry.getKey() + ": identifier " + identifier
                            + " conflicts with a parameter name");
                }
                for (String item : collection(loop.get(1), parameterValues)) {
                    Object body = substitute(loop.get(2), identifier, item);
                    putAll(result, expandForEach(asMap(body), parameterValues), entry.getKey());
                }
            } else if (result.containsKey(entry.getKey())) {
                throw new IllegalArgumentException("A Fn::ForEach loop produced the key " + entry.getKey()
                        + ", which the template declares too");
            } else {
                result.put(entry.getKey(), expandNested(entry.getValue(), parameterValues));
            }
        }
        return result;
    }

    private static Object expandNested(Object node, Map<String, String> parameterValues) {
        if (node instanceof Map<?, ?>) {
            return expandForEach(asMap(node), parameterValues);
        }
        if (node instanceof List<?> list) {
            return list.stream().map(item -> expandNested(item, parameterValues)).toList();
        }
        return node;
    }

    private static void putAll(Map<String, Object> target, Map<String, Object> entries, String origin) {
        entries.forEach((key, value) -> {
            if (target.containsKey(key)) {
                throw new IllegalArgumentException(origin + " produced the key " + key + " twice");
            }
            target.put(key, value);
        });
    }

    private static List<String> collection(Object collection, Map<String, String> parameterValues) {
        if (collection instanceof List<?> items) {
            return items.stream().map(String::valueOf).toList();
        }
        if (collection instanceof Map<?, ?> ref && ref.size() == 1 && ref.get("Ref") instanceof String name
                && parameterValues.containsKey(name)) {
            return Arrays.stream(parameterValues.get(name).split(",", -1)).map(String::strip).toList();
        }
        throw new IllegalArgumentException("Unsupported Fn::ForEach collection: " + collection);
    }

    /** Replaces ${identifier} and &{identifier} (non-alphanumerics stripped) in every string and key, and Ref identifier. */
    static Object substitute(Object node, String identifier, String item) {
        if (node instanceof String text) {
            return text.replace("${" + identifier + "}", item)
                    .replace("&{" + identifier + "}", item.replaceAll("[^A-Za-z0-9]", ""));
        }
        if (node instanceof Map<?, ?> map) {
            if (map.size() == 1 && identifier.equals(map.get("Ref"))) {
                return item;
            }
            Map<String, Object> result = new LinkedHashMap<>();
            map.forEach((key, value) -> result.put((String) substitute(key, identifier, item),
                    substitute(value, identifier, item)));
            return result;
        }
        if (node instanceof List<?> list) {
            return list.stream().map(value -> substitute(value, identifier, item)).toList();
        }
        return node;
    }

    // --- Conditions ------------------------------------------------------------------------------

    /** Evaluates Conditions and Fn::If for known parameter values. */
    private static final class ConditionEvaluator {
        private final Map<String, Object> conditions;
        private final Map<String, Object> parameters;
        private final Map<String, String> parameterValues;
        private final Map<String, Boolean> evaluated = new HashMap<>();

        ConditionEvaluator(Map<String, Object> conditions, Map<String, Object> parameters,
                           Map<String, String> parameterValues) {
            this.conditions = conditions;
            this.parameters = parameters;
            this.parameterValues = parameterValues;
        }

        boolean condition(String name) {
            Boolean known = evaluated.get(name);
            if (known != null) {
                return known;
            }
            Object expression = conditions.get(name);
            if (expression == null) {
                throw new IllegalArgumentException("No condition " + name);
            }
            boolean value = evaluate(expression);
            evaluated.put(name, value);
            return value;
        }

        private boolean evaluate(Object expression) {
            Map<String, Object> function = asMap(expression);
            if (function.size() != 1) {
                throw new IllegalArgumentException("Not a condition function: " + expression);
            }
            Map.Entry<String, Object> call = function.entrySet().iterator().next();
            return switch (call.getKey()) {
                case "Fn::Equals" -> {
                    List<Object> operands = asList(call.getValue());
                    yield Objects.equals(value(operands.get(0)), value(operands.get(1)));
                }
                case "Fn::Not" -> !evaluate(asList(call.getValue()).get(0));
                case "Fn::And" -> asList(call.getValue()).stream().allMatch(this::evaluate);
                case "Fn::Or" -> asList(call.getValue()).stream().anyMatch(this::evaluate);
                case "Condition" -> condition((String) call.getValue());
                default -> throw new IllegalArgumentException("Unsupported condition function " + call.getKey());
            };
        }

        /** A string or, for a CommaDelimitedList, a list of strings. */
        private Object value(Object expression) {
            if (expression instanceof String || expression instanceof Number || expression instanceof Boolean) {
                return String.valueOf(expression);
            }
            Map<String, Object> function = asMap(expression);
            if (function.containsKey("Ref")) {
                String name = (String) function.get("Ref");
                String value = parameterValues.get(name);
                if (value == null) {
                    throw new IllegalArgumentException("Conditions here can only use parameters, not " + name);
                }
                boolean isList = String.valueOf(asMap(parameters.get(name)).get("Type")).contains("List");
                return isList ? Arrays.stream(value.split(",", -1)).map(String::strip).toList() : value;
            }
            if (function.containsKey("Fn::Join")) {
                List<Object> arguments = asList(function.get("Fn::Join"));
                Object items = arguments.get(1) instanceof List<?> ? arguments.get(1) : value(arguments.get(1));
                List<String> parts = new ArrayList<>();
                for (Object item : asList(items)) {
                    Object part = item instanceof String ? item : value(item);
                    if (part instanceof List<?> list) {
                        list.forEach(element -> parts.add(String.valueOf(element)));
                    } else {
                        parts.add(String.valueOf(part));
                    }
                }
                return String.join((String) arguments.get(0), parts);
            }
            throw new IllegalArgumentException("Unsupported function in a condition: " + expression);
        }

        Object resolve(Object node) {
            if (node instanceof Map<?, ?> map) {
                if (map.size() == 1 && map.containsKey("Fn::If")) {
                    List<Object> branches = asList(map.get("Fn::If"));
                    return resolve(condition((String) branches.get(0)) ? branches.get(1) : branches.get(2));
                }
                if (map.size() == 1 && "AWS::NoValue".equals(map.get("Ref"))) {
                    return NO_VALUE;
                }
                Map<String, Object> result = new LinkedHashMap<>();
                map.forEach((key, value) -> {
                    Object resolved = resolve(value);
                    if (resolved != NO_VALUE) {
                        result.put((String) key, resolved);
                    }
                });
                return result;
            }
            if (node instanceof List<?> list) {
                return list.stream().map(this::resolve).filter(item -> item != NO_VALUE).toList();
            }
            return node;
        }
    }

    // --- helpers ---------------------------------------------------------------------------------

    @SuppressWarnings("unchecked")
    static Map<String, Object> asMap(Object node) {
        if (node instanceof Map<?, ?> map) {
            return (Map<String, Object>) map;
        }
        throw new IllegalArgumentException("Expected a mapping but found " + node);
    }

    @SuppressWarnings("unchecked")
    static List<Object> asList(Object node) {
        if (node instanceof List<?> list) {
            return (List<Object>) list;
        }
        throw new IllegalArgumentException("Expected a list but found " + node);
    }

    /** Turns the short-form tags into the long-form maps CloudFormation documents. */
    private static final class IntrinsicFunctionConstructor extends SafeConstructor {

        IntrinsicFunctionConstructor(LoaderOptions options) {
            super(options);
            for (String function : SHORT_FORM_FUNCTIONS) {
                yamlConstructors.put(new Tag("!" + function), new LongForm("Fn::" + function));
            }
            yamlConstructors.put(new Tag("!Ref"), new LongForm("Ref"));
            yamlConstructors.put(new Tag("!Condition"), new LongForm("Condition"));
            yamlConstructors.put(new Tag("!GetAtt"), new GetAtt());
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

        private final class LongForm extends AbstractConstruct {
            private final String key;

            LongForm(String key) {
                this.key = key;
            }

            @Override
            public Object construct(Node node) {
                Map<String, Object> function = new LinkedHashMap<>();
                function.put(key, content(node));
                return function;
            }
        }

        /** {@code !GetAtt Resource.Attribute} or {@code !GetAtt [Resource, Attribute]}. */
        private final class GetAtt extends AbstractConstruct {
            @Override
            public Object construct(Node node) {
                Object content = content(node);
                Object arguments = content;
                if (content instanceof String dotted) {
                    int dot = dotted.indexOf('.');
                    if (dot < 1) {
                        throw new IllegalArgumentException("!GetAtt needs Resource.Attribute: " + dotted);
                    }
                    arguments = List.of(dotted.substring(0, dot), dotted.substring(dot + 1));
                }
                Map<String, Object> function = new LinkedHashMap<>();
                function.put("Fn::GetAtt", arguments);
                return function;
            }
        }
    }
}
