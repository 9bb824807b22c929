package dev.eksaccessupdater.template;

import static dev.eksaccessupdater.template.CloudFormationTemplate.asList;
import static dev.eksaccessupdater.template.CloudFormationTemplate.asMap;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A template as CloudFormation would create it in one made-up account and Region: conditions applied (see
 * {@link CloudFormationTemplate#deployedWith}), then every {@code Ref}, {@code Fn::GetAtt}, {@code Fn::Sub},
 * {@code Fn::Join}, {@code Fn::Split} and {@code Fn::Select} replaced by its value. Resources get names and ARNs
 * of the form CloudFormation generates, or the ones their {@code QueueName}/{@code Name} properties ask for.
 */
final class Deployment {

    static final String PARTITION = "aws";
    static final String REGION = "us-east-1";
    static final String ACCOUNT = "111122223333";
    static final String STACK = "eau";

    private static final Pattern SUB_VARIABLE = Pattern.compile("\\$\\{([^!}][^}]*)}");

    private final CloudFormationTemplate template;
    private final Map<String, String> parameterValues;

    private Deployment(CloudFormationTemplate template, Map<String, String> parameterValues) {
        this.template = template;
        this.parameterValues = parameterValues;
    }

    static Deployment of(CloudFormationTemplate template, Map<String, String> parameters) {
        return new Deployment(template.deployedWith(parameters), template.parameterValues(parameters));
    }

    CloudFormationTemplate template() {
        return template;
    }

    /** A resource's properties with every intrinsic function evaluated. */
    @SuppressWarnings("unchecked")
    Map<String, Object> properties(String logicalId) {
        return (Map<String, Object>) render(template.properties(logicalId));
    }

    /** What {@code Fn::GetAtt [logicalId, Arn]} returns. */
    String arn(String logicalId) {
        return (String) getAtt(logicalId, "Arn");
    }

    /** What {@code Ref logicalId} returns. */
    String ref(String logicalId) {
        return String.valueOf(ref(logicalId, true));
    }

    Object render(Object node) {
        if (node instanceof List<?> list) {
            return list.stream().map(this::render).toList();
        }
        if (!(node instanceof Map<?, ?> map)) {
            return node;
        }
        if (map.size() == 1) {
            Map.Entry<?, ?> call = map.entrySet().iterator().next();
            Object argument = call.getValue();
            switch (String.valueOf(call.getKey())) {
                case "Ref":
                    return ref((String) argument, true);
                case "Fn::GetAtt":
                    return getAtt((String) asList(argument).get(0), (String) asList(argument).get(1));
                case "Fn::Sub":
                    return sub(argument);
                case "Fn::Join": {
                    List<Object> arguments = asList(argument);
                    List<String> items = new ArrayList<>();
                    for (Object item : asList(render(arguments.get(1)))) {
                        if (item instanceof List<?> nested) {
                            nested.forEach(element -> items.add(String.valueOf(element)));
                        } else {
                            items.add(String.valueOf(item));
                        }
                    }
                    return String.join((String) arguments.get(0), items);
                }
                case "Fn::Split": {
                    List<Object> arguments = asList(argument);
                    return List.of(((String) render(arguments.get(1))).split(Pattern.quote((String) arguments.get(0)),
                            -1));
                }
                case "Fn::Select": {
                    List<Object> arguments = asList(argument);
                    return asList(render(arguments.get(1))).get(Integer.parseInt(String.valueOf(arguments.get(0))));
                }
                default:
                    if (String.valueOf(call.getKey()).startsWith("Fn::")) {
                        throw new IllegalArgumentException("Not rendered here: " + call.getKey());
                    }
            }
        }
        Map<String, Object> rendered = new LinkedHashMap<>();
        map.forEach((key, value) -> rendered.put((String) key, render(value)));
        return rendered;
    }

    private Object ref(String name, boolean listsAsLists) {
        switch (name) {
            case "AWS::Partition":
                return PARTITION;
            case "AWS::Region":
                return REGION;
            case "AWS::AccountId":
                return ACCOUNT;
            case "AWS::StackName":
                return STACK;
            case "AWS::URLSuffix":
                return "amazonaws.com";
            default:
                break;
        }
        if (parameterValues.containsKey(name)) {
            String value = parameterValues.get(name);
            boolean isList = String.valueOf(asMap(template.parameters().get(name)).get("Type")).contains("List");
            return isList && listsAsLists ? Arrays.stream(value.split(",", -1)).map(String::strip).toList() : value;
        }
        Map<String, Object> resource = asMap(template.resources().get(name));
        return switch (String.valueOf(resource.get("Type"))) {
            case "AWS::SQS::Queue" -> "https://sqs." + REGION + ".amazonaws.com/" + ACCOUNT + "/" + queueName(name);
            case "AWS::Events::EventBus" -> render(template.properties(name).get("Name"));
            default -> STACK + "-" + name + "-1A2B3C4D5E6F";
        };
    }

    private Object getAtt(String logicalId, String attribute) {
        String type = String.valueOf(asMap(template.resources().get(logicalId)).get("Type"));
        String name = String.valueOf(ref(logicalId, false));
        if (!attribute.equals("Arn")) {
            return attribute.equals("QueueName") ? queueName(logicalId) : name + "." + attribute;
        }
        return switch (type) {
            case "AWS::SQS::Queue" -> "arn:" + PARTITION + ":sqs:" + REGION + ":" + ACCOUNT + ":" + queueName(logicalId);
            case "AWS::IAM::Role" -> "arn:" + PARTITION + ":iam::" + ACCOUNT + ":role/" + name;
            case "AWS::Events::EventBus" -> "arn:" + PARTITION + ":events:" + REGION + ":" + ACCOUNT + ":event-bus/"
                    + name;
            case "AWS::DynamoDB::Table" -> "arn:" + PARTITION + ":dynamodb:" + REGION + ":" + ACCOUNT + ":table/" + name;
            case "AWS::Logs::LogGroup" -> "arn:" + PARTITION + ":logs:" + REGION + ":" + ACCOUNT + ":log-group:" + name
                    + ":*";
            case "AWS::Scheduler::ScheduleGroup" -> "arn:" + PARTITION + ":scheduler:" + REGION + ":" + ACCOUNT
                    + ":schedule-group/" + name;
            default -> "arn:" + PARTITION + ":" + type.split("::")[1].toLowerCase() + ":" + REGION + ":" + ACCOUNT
                    + ":" + name;
        };
    }

    private String queueName(String logicalId) {
        Object name = template.properties(logicalId).get("QueueName");
        if (name != null) {
            return (String) render(name);
        }
        boolean fifo = Boolean.TRUE.equals(template.properties(logicalId).get("FifoQueue"));
        return STACK + "-" + logicalId + "-1A2B3C4D5E6F" + (fifo ? ".fifo" : "");
    }

    private String sub(Object argument) {
        String text;
        Map<String, Object> variables = new LinkedHashMap<>();
        if (argument instanceof List<?> list) {
            text = (String) list.get(0);
            asMap(list.get(1)).forEach((name, value) -> variables.put(name, render(value)));
        } else {
            text = (String) argument;
        }
        Matcher matcher = SUB_VARIABLE.matcher(text);
        StringBuilder rendered = new StringBuilder();
        while (matcher.find()) {
            String variable = matcher.group(1);
            Object value;
            if (variables.containsKey(variable)) {
                value = variables.get(variable);
            } else if (variable.contains(".") && !variable.startsWith("AWS::")) {
                int dot = variable.indexOf('.');
                value = getAtt(variable.substring(0, dot), variable.substring(dot + 1));
            } else {
                value = ref(variable, false);
            }
            matcher.appendReplacement(rendered, Matcher.quoteReplacement(String.valueOf(value)));
        }
        matcher.appendTail(rendered);
        // ${!Literal} stands for ${Literal}
        return rendered.toString().replace("${!", "${");
    }
}
