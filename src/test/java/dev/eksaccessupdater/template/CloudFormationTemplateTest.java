package dev.eksaccessupdater.template;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The template reader itself: short forms, Fn::ForEach and conditions behave as CloudFormation's do. */
class CloudFormationTemplateTest {

    @Test
    void parse_whenShortFormsAreUsed_yieldsTheLongForms() {
        CloudFormationTemplate template = CloudFormationTemplate.parse("""
                Resources:
                  Thing:
                    Type: AWS::Test::Thing
                    Properties:
                      Ref: !Ref Param
                      Dotted: !GetAtt Other.Arn
                      Nested: !GetAtt Other.Endpoint.Address
                      Listed: !GetAtt [Other, Arn]
                      Sub: !Sub "${AWS::Region}-x"
                      SubList: !Sub ["${A}", {A: !Ref Param}]
                      If: !If [Cond, !Join [",", [a, b]], !Ref AWS::NoValue]
                      Split: !Select [0, !Split [",", !ImportValue exported]]
                      Azs: !GetAZs ""
                      Cidr: !Cidr [!Ref Param, 2, 8]
                      Map: !FindInMap [M, K, V]
                      Encoded: !Base64 text
                Conditions:
                  Cond: !And [!Equals [a, b], !Not [!Condition Other], !Or [!Condition Other, !Condition Other]]
                  Other: !Equals [x, x]
                """);

        Map<String, Object> properties = template.properties("Thing");

        assertThat(properties.get("Ref")).isEqualTo(Map.of("Ref", "Param"));
        assertThat(properties.get("Dotted")).isEqualTo(Map.of("Fn::GetAtt", List.of("Other", "Arn")));
        assertThat(properties.get("Nested")).isEqualTo(Map.of("Fn::GetAtt", List.of("Other", "Endpoint.Address")));
        assertThat(properties.get("Listed")).isEqualTo(Map.of("Fn::GetAtt", List.of("Other", "Arn")));
        assertThat(properties.get("Sub")).isEqualTo(Map.of("Fn::Sub", "${AWS::Region}-x"));
        assertThat(properties.get("SubList"))
                .isEqualTo(Map.of("Fn::Sub", List.of("${A}", Map.of("A", Map.of("Ref", "Param")))));
        assertThat(properties.get("If")).isEqualTo(Map.of("Fn::If", List.of("Cond",
                Map.of("Fn::Join", List.of(",", List.of("a", "b"))), Map.of("Ref", "AWS::NoValue"))));
        assertThat(properties.get("Split")).isEqualTo(Map.of("Fn::Select", List.of(0,
                Map.of("Fn::Split", List.of(",", Map.of("Fn::ImportValue", "exported"))))));
        assertThat(properties.get("Azs")).isEqualTo(Map.of("Fn::GetAZs", ""));
        assertThat(properties.get("Cidr")).isEqualTo(Map.of("Fn::Cidr", List.of(Map.of("Ref", "Param"), 2, 8)));
        assertThat(properties.get("Map")).isEqualTo(Map.of("Fn::FindInMap", List.of("M", "K", "V")));
        assertThat(properties.get("Encoded")).isEqualTo(Map.of("Fn::Base64", "text"));
        assertThat(template.conditions().get("Cond")).isEqualTo(Map.of("Fn::And", List.of(
                Map.of("Fn::Equals", List.of("a", "b")),
                Map.of("Fn::Not", List.of(Map.of("Condition", "Other"))),
                Map.of("Fn::Or", List.of(Map.of("Condition", "Other"), Map.of("Condition", "Other"))))));
    }

    @Test
    void parse_whenAKeyRepeats_fails() {
        assertThatThrownBy(() -> CloudFormationTemplate.parse("Resources: {}\nResources: {}\n"))
                .hasMessageContaining("Resources");
    }

    @Test
    void expandedWith_whenALoopRunsOverAListParameter_substitutesLikeLanguageExtensions() {
        CloudFormationTemplate template = CloudFormationTemplate.parse("""
                Parameters:
                  Names: {Type: CommaDelimitedList, Default: "a-1, b_2"}
                Resources:
                  Fn::ForEach::Loop:
                    - Name
                    - !Ref Names
                    - Thing&{Name}:
                        Type: AWS::Test::Thing
                        Properties:
                          Plain: ${Name}
                          Sub: !Sub "x-${Name}-${AWS::Region}"
                          Value: !Ref Name
                          Other: !Ref Names
                """);

        CloudFormationTemplate expanded = template.expandedWith(Map.of());

        assertThat(expanded.resources()).containsOnlyKeys("Thinga1", "Thingb2");
        assertThat(expanded.properties("Thingb2")).isEqualTo(Map.of("Plain", "b_2",
                "Sub", Map.of("Fn::Sub", "x-b_2-${AWS::Region}"), "Value", "b_2", "Other", Map.of("Ref", "Names")));
        assertThat(template.expandedWith(Map.of("Names", "only")).resources()).containsOnlyKeys("Thingonly");
    }

    @Test
    void expandedWith_whenTwoItemsMakeTheSameKey_fails() {
        CloudFormationTemplate template = CloudFormationTemplate.parse("""
                Resources:
                  Fn::ForEach::Loop:
                    - Name
                    - [a-b, ab]
                    - Thing&{Name}: {Type: AWS::Test::Thing}
                """);

        assertThatThrownBy(() -> template.expandedWith(Map.of())).hasMessageContaining("Thingab");
    }

    @Test
    void parameterValues_whenARequiredParameterHasNoValue_fails() {
        CloudFormationTemplate template = CloudFormationTemplate.parse("Parameters: {Needed: {Type: String}}\n");

        assertThatThrownBy(() -> template.parameterValues(Map.of())).hasMessageContaining("Needed");
        assertThat(template.parameterValues(Map.of("Needed", "x"))).containsEntry("Needed", "x");
    }

    @Test
    void deployedWith_whenConditionsAreFalse_dropsResourcesBranchesAndNoValue() {
        CloudFormationTemplate template = CloudFormationTemplate.parse("""
                Parameters:
                  Mode: {Type: String, Default: a}
                  List: {Type: CommaDelimitedList, Default: ""}
                Conditions:
                  IsB: !Equals [!Ref Mode, b]
                  HasList: !Not [!Equals [!Join [",", !Ref List], ""]]
                  Both: !And [!Condition IsB, !Condition HasList]
                Resources:
                  Always:
                    Type: AWS::Test::Thing
                    Properties:
                      Chosen: !If [IsB, yes-b, not-b]
                      Optional: !If [HasList, !Ref List, !Ref AWS::NoValue]
                      Items: [one, !If [Both, two, !Ref AWS::NoValue]]
                  OnlyForB:
                    Type: AWS::Test::Thing
                    Condition: IsB
                """);

        CloudFormationTemplate forA = template.deployedWith(Map.of());
        CloudFormationTemplate forB = template.deployedWith(Map.of("Mode", "b", "List", "x,y"));

        assertThat(forA.resources()).containsOnlyKeys("Always");
        assertThat(forA.properties("Always")).isEqualTo(Map.of("Chosen", "not-b", "Items", List.of("one")));
        assertThat(forB.resources()).containsOnlyKeys("Always", "OnlyForB");
        assertThat(forB.properties("Always")).isEqualTo(Map.of("Chosen", "yes-b",
                "Optional", Map.of("Ref", "List"), "Items", List.of("one", "two")));
    }
}
