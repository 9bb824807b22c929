package dev.eksaccessupdater.request;

import static dev.eksaccessupdater.request.RequestExamples.MESSAGE_ID;
import static org.assertj.core.api.Assertions.assertThat;

import dev.eksaccessupdater.request.RequestExamples.Body;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class CanonicalFormTest {

    private static final RequestParser PARSER = new RequestParser();
    private static final Body BASE = Body.minimal().without("kubernetesGroups")
            .with("clientRequestToken", "'CHG-42'")
            .with("addKubernetesGroups", "['team-a','team-b']")
            .with("removeKubernetesGroups", "['old']")
            .with("username", "'deployer:{{SessionName}}'");

    static Stream<Arguments> sameRequestWrittenDifferently() {
        return Stream.of(
                Arguments.of("keys in another order", "{\"username\":\"deployer:{{SessionName}}\","
                        + "\"removeKubernetesGroups\":[\"old\"],\"addKubernetesGroups\":[\"team-b\",\"team-a\"],"
                        + "\"clientRequestToken\":\"CHG-42\",\"principalArn\":\"" + RequestExamples.ROLE + "\","
                        + "\"clusterName\":\"" + RequestExamples.CLUSTER + "\"}"),
                Arguments.of("groups in another order", BASE.with("addKubernetesGroups", "['team-b','team-a']").json()),
                Arguments.of("a group named twice", BASE.with("addKubernetesGroups", "['team-a','team-b','team-a']").json()),
                Arguments.of("other metadata", BASE.with("metadata", "{'approver':'bob','ticket':'CHG-9'}").json()),
                Arguments.of("whitespace and escapes", " {\n" + BASE.json().substring(1).replace(",", " ,\n\t")
                        .replace("team-a", "team\\u002da")),
                Arguments.of("through SNS", RequestExamples.snsEnvelope(BASE.json())));
    }

    static Stream<Arguments> differentRequest() {
        return Stream.of(
                Arguments.of("another cluster", BASE.with("clusterName", "'prod-2'").json()),
                Arguments.of("another principal", BASE.with("principalArn", "'arn:aws:iam::111122223333:role/other'")
                        .json()),
                Arguments.of("a principal differing only in case",
                        BASE.with("principalArn", "'arn:aws:iam::111122223333:role/Deployer'").json()),
                Arguments.of("another token", BASE.with("clientRequestToken", "'CHG-43'").json()),
                Arguments.of("no token", BASE.without("clientRequestToken").json()),
                Arguments.of("a group more", BASE.with("addKubernetesGroups", "['team-a','team-b','team-c']").json()),
                Arguments.of("a group differing only in case", BASE.with("addKubernetesGroups", "['Team-a','team-b']")
                        .json()),
                Arguments.of("groups joined into one name", BASE.with("addKubernetesGroups", "['team-a\\\",\\\"team-b']")
                        .json()),
                Arguments.of("a group added instead of removed", BASE.with("removeKubernetesGroups", "['team-c']")
                        .json()),
                Arguments.of("groups replaced instead of added", BASE.without("addKubernetesGroups")
                        .without("removeKubernetesGroups").with("kubernetesGroups", "['team-a','team-b']").json()),
                Arguments.of("no username", BASE.without("username").json()),
                Arguments.of("another username", BASE.with("username", "'deployer:{{SessionNameRaw}}'").json()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("sameRequestWrittenDifferently")
    void hash_whenSameRequestIsWrittenDifferently_isEqual(String difference, String body) {
        assertThat(hash(body)).isEqualTo(hash(BASE.json()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("differentRequest")
    void hash_whenAnyFieldChanges_differs(String difference, String body) {
        assertThat(hash(body)).isNotEqualTo(hash(BASE.json()));
    }

    @Test
    void hash_whenTokenIsAbsent_equalsTheHashWithTheMessageIdAsToken() {
        String withoutToken = BASE.without("clientRequestToken").json();
        String withMessageIdAsToken = BASE.with("clientRequestToken", "'" + MESSAGE_ID + "'").json();

        assertThat(hash(withoutToken)).isEqualTo(hash(withMessageIdAsToken));
    }

    @Test
    void hash_whenGroupsAreClearedOrKept_differs() {
        Body usernameOnly = BASE.without("addKubernetesGroups").without("removeKubernetesGroups");

        assertThat(hash(usernameOnly.with("kubernetesGroups", "[]").json())).isNotEqualTo(hash(usernameOnly.json()));
    }

    @Test
    void hash_whenAddAndRemoveAreEmpty_equalsTheHashWithoutThem() {
        Body usernameOnly = BASE.without("addKubernetesGroups").without("removeKubernetesGroups");

        assertThat(hash(usernameOnly.with("addKubernetesGroups", "[]").with("removeKubernetesGroups", "[]").json()))
                .isEqualTo(hash(usernameOnly.json()));
    }

    @Test
    void hash_is64LowerCaseHexDigits() {
        assertThat(hash(BASE.json())).matches("[0-9a-f]{64}");
    }

    /** Hashes are stored with claims: a change to the form would make redeliveries conflict with themselves. */
    @Test
    void text_forAKnownRequest_isPinned() {
        AccessChangeRequest request = PARSER.parse(BASE.json(), MESSAGE_ID);

        assertThat(CanonicalForm.text(request)).isEqualTo("{\"clusterName\":\"prod-1\","
                + "\"principalArn\":\"arn:aws:iam::111122223333:role/deployer\",\"clientRequestToken\":\"CHG-42\","
                + "\"addKubernetesGroups\":[\"team-a\",\"team-b\"],\"removeKubernetesGroups\":[\"old\"],"
                + "\"username\":\"deployer:{{SessionName}}\"}");
        assertThat(CanonicalForm.hash(request))
                .isEqualTo("4da62b53c3f84b029ad3acf350a7a2fb8eba53a78574971be0e638d92d5cd32a");
    }

    @Test
    void hash_whenGroupSetHasAnotherOrder_isTheSame() {
        TreeSet<String> reversed = new TreeSet<>(Comparator.reverseOrder());
        reversed.addAll(List.of("team-a", "team-b"));
        AccessChangeRequest natural = new AccessChangeRequest("prod-1", RequestExamples.ROLE,
                new GroupChange.Replace(new TreeSet<>(List.of("team-a", "team-b"))), null, "t", Map.of());
        AccessChangeRequest reverse = new AccessChangeRequest("prod-1", RequestExamples.ROLE,
                new GroupChange.Replace(reversed), null, "t", Map.of());

        assertThat(CanonicalForm.hash(reverse)).isEqualTo(CanonicalForm.hash(natural));
    }

    private static String hash(String body) {
        return CanonicalForm.hash(PARSER.parse(body, MESSAGE_ID));
    }
}
