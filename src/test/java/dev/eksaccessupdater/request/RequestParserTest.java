package dev.eksaccessupdater.request;

import static dev.eksaccessupdater.request.RequestExamples.CLUSTER;
import static dev.eksaccessupdater.request.RequestExamples.MESSAGE_ID;
import static dev.eksaccessupdater.request.RequestExamples.ROLE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.eksaccessupdater.failure.ReasonCode;
import dev.eksaccessupdater.request.RequestExamples.Body;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class RequestParserTest {

    private final RequestParser parser = new RequestParser();

    static List<RequestExamples.Valid> validRequests() {
        return RequestExamples.valid();
    }

    static List<RequestExamples.Invalid> invalidRequests() {
        return RequestExamples.invalid();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("validRequests")
    void parse_whenRequestIsValid_returnsTheRequest(RequestExamples.Valid example) {
        assertThat(parser.parse(example.body(), MESSAGE_ID)).isEqualTo(example.expected());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidRequests")
    void parse_whenRequestBreaksARule_rejectsItNamingTheRule(RequestExamples.Invalid example) {
        InvalidMessageException rejection = catchThrowableOfType(InvalidMessageException.class,
                () -> parser.parse(example.body(), MESSAGE_ID));

        assertThat(rejection).as("rejection of: %s", example.rule()).isNotNull();
        assertThat(rejection.reasonCode()).isEqualTo(ReasonCode.INVALID_MESSAGE);
        assertThat(rejection.getMessage()).contains(example.messageNames());
    }

    @Test
    void parse_whenTokenIsGiven_usesItRatherThanTheMessageId() {
        String body = Body.minimal().with("clientRequestToken", "'CHG-42'").json();

        assertThat(parser.parse(body, MESSAGE_ID).clientRequestToken()).isEqualTo("CHG-42");
    }

    @Test
    void parse_whenMessageIsInvalid_keepsTheFieldsThatAreValidOnTheirOwn() {
        String body = Body.minimal().with("clientRequestToken", "'CHG-42'")
                .with("metadata", "{'approver':'alice'}").with("username", "'system:admin'").json();

        InvalidMessageException rejection = catchThrowableOfType(InvalidMessageException.class,
                () -> parser.parse(body, MESSAGE_ID));

        assertThat(rejection.readable())
                .isEqualTo(new RequestSummary(CLUSTER, ROLE, "CHG-42", Map.of("approver", "alice")));
    }

    @Test
    void parse_whenMessageIsInvalidAndHasNoToken_readsTheMessageIdAsToken() {
        String body = Body.minimal().with("kubernetesGroup", "[]").json();

        InvalidMessageException rejection = catchThrowableOfType(InvalidMessageException.class,
                () -> parser.parse(body, MESSAGE_ID));

        assertThat(rejection.readable()).isEqualTo(new RequestSummary(CLUSTER, ROLE, MESSAGE_ID, null));
    }

    @Test
    void parse_whenFieldsAreThemselvesInvalid_leavesThemOutOfWhatIsReadable() {
        String body = Body.minimal().with("clusterName", "'-prod'").with("principalArn", "42")
                .with("clientRequestToken", "'has space'").with("metadata", "{'n':1}").json();

        InvalidMessageException rejection = catchThrowableOfType(InvalidMessageException.class,
                () -> parser.parse(body, MESSAGE_ID));

        assertThat(rejection.readable()).isEqualTo(RequestSummary.empty());
    }

    @Test
    void parse_whenBodyIsNotAnObject_readsNothing() {
        InvalidMessageException rejection = catchThrowableOfType(InvalidMessageException.class,
                () -> parser.parse("[]", MESSAGE_ID));

        assertThat(rejection.readable()).isEqualTo(RequestSummary.empty());
    }

    @Test
    void parse_whenSnsMessageIsInvalid_readsTheFieldsOfTheRequestInside() {
        String body = RequestExamples.snsEnvelope(Body.minimal().with("username", "'eks:x'").json());

        InvalidMessageException rejection = catchThrowableOfType(InvalidMessageException.class,
                () -> parser.parse(body, MESSAGE_ID));

        assertThat(rejection.readable()).isEqualTo(new RequestSummary(CLUSTER, ROLE, MESSAGE_ID, null));
    }

    @Test
    void parse_whenUnknownFieldNameIsLongAndHasControlCharacters_echoesItShortAndEscaped() {
        String name = "x\\u0007\\u202e" + "y".repeat(1000);
        String body = Body.minimal().with(name, "1").json();

        assertThatThrownBy(() -> parser.parse(body, MESSAGE_ID))
                .isInstanceOf(InvalidMessageException.class)
                .hasMessageStartingWith("unknown field: x\\u0007\\u202eyyy")
                .hasMessageEndingWith("...")
                .message().hasSizeLessThan(100).doesNotContain("\u0007", "\u202e");
    }

    @Test
    void parse_whenGroupValueIsLong_echoesAtMost64CharactersOfIt() {
        String body = Body.minimal().with("kubernetesGroups", "['system:" + "m".repeat(240) + "']").json();

        assertThatThrownBy(() -> parser.parse(body, MESSAGE_ID))
                .hasMessage("kubernetesGroups[0] \"system:" + "m".repeat(57) + "...\" must not start with \"system:\"");
    }

    @Test
    void parse_whenJsonIsMalformed_keepsTheSyntaxErrorShort() {
        String body = "{\"clusterName\": " + "nonsense".repeat(1000) + "}";

        assertThatThrownBy(() -> parser.parse(body, MESSAGE_ID))
                .isInstanceOf(InvalidMessageException.class)
                .message().startsWith("message body is not valid JSON at line 1, column ").hasSizeLessThan(300);
    }

    @Test
    void parse_whenNumberIsHuge_rejectsItWithoutParsingIt() {
        String body = Body.minimal().with("clusterName", "1" + "0".repeat(5000)).json();

        assertThatThrownBy(() -> parser.parse(body, MESSAGE_ID))
                .isInstanceOf(InvalidMessageException.class)
                .hasMessageContaining("exceeds a JSON limit");
    }

    @Test
    void parse_whenBodyIsAnyPrefixOfAValidRequest_throwsOnlyInvalidMessage() {
        String body = RequestExamples.snsEnvelope(Body.minimal().with("username", "'ops:{{SessionName}}'")
                .with("metadata", "{'ticket':'CHG-1'}").json());

        for (int end = 0; end < body.length(); end++) {
            String prefix = body.substring(0, end);
            assertThatThrownBy(() -> parser.parse(prefix, MESSAGE_ID)).as("prefix of %d characters", end)
                    .isInstanceOf(InvalidMessageException.class);
        }
    }

    @Test
    void parse_whenBodyIsARandomlyMutatedRequest_neverThrowsAnythingElse() {
        String body = Body.minimal().with("addKubernetesGroups", "['a','b']").with("username", "'u'")
                .with("metadata", "{'k':'v'}").json().replace("kubernetesGroups", "removeKubernetesGroups");
        String alphabet = "{}[]\",:\\ 0aZ-\u0000\u00e9\ud800tnul";
        Random random = new Random(42);

        for (int round = 0; round < 20_000; round++) {
            StringBuilder mutated = new StringBuilder(body);
            for (int edit = 1 + random.nextInt(3); edit > 0; edit--) {
                int position = random.nextInt(mutated.length());
                switch (random.nextInt(3)) {
                    case 0 -> mutated.deleteCharAt(position);
                    case 1 -> mutated.insert(position, alphabet.charAt(random.nextInt(alphabet.length())));
                    default -> mutated.setCharAt(position, alphabet.charAt(random.nextInt(alphabet.length())));
                }
            }
            String candidate = mutated.toString();
            try {
                parser.parse(candidate, MESSAGE_ID);
            } catch (InvalidMessageException expected) {
                assertThat(expected.getMessage()).as("message for %s", candidate).isNotBlank();
            }
        }
    }
}
