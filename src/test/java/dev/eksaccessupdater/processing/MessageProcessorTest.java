package dev.eksaccessupdater.processing;

import static dev.eksaccessupdater.processing.ProcessingFixture.ADMIN;
import static dev.eksaccessupdater.processing.ProcessingFixture.CLUSTER;
import static dev.eksaccessupdater.processing.ProcessingFixture.DEVELOPERS;
import static dev.eksaccessupdater.processing.ProcessingFixture.NOW;
import static dev.eksaccessupdater.processing.ProcessingFixture.message;
import static org.assertj.core.api.Assertions.assertThat;

import dev.eksaccessupdater.dedup.AppliedRecord;
import dev.eksaccessupdater.dedup.ClaimStatus;
import dev.eksaccessupdater.eks.EksClientToken;
import dev.eksaccessupdater.events.AccessEvent;
import dev.eksaccessupdater.failure.ReasonCode;
import dev.eksaccessupdater.failure.RejectionException;
import dev.eksaccessupdater.failure.RetryableException;
import dev.eksaccessupdater.request.CanonicalForm;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

class MessageProcessorTest {

    private final ProcessingFixture fixture = new ProcessingFixture(4);

    @AfterEach
    void close() {
        fixture.close();
    }

    private static String request(String fields) {
        return "{\"clusterName\":\"demo\",\"principalArn\":\"" + DEVELOPERS + "\"," + fields + "}";
    }

    @Test
    void process_whenRequestGivesGroupsAndUsername_stillReadsFirstAndReportsPrevious() {
        Outcome outcome = fixture.process(message("m1",
                request("\"kubernetesGroups\":[\"team-b\",\"team-a\"],\"username\":\"dev\",\"clientRequestToken\":\"t-1\"")));

        assertThat(outcome).isInstanceOf(Outcome.Applied.class);
        assertThat(fixture.accessEntries.calls()).containsExactly("describe " + DEVELOPERS, "update " + DEVELOPERS);
        assertThat(fixture.accessEntries.updates().get(0).kubernetesGroups()).containsExactly("team-a", "team-b");
        assertThat(fixture.accessEntries.updates().get(0).username()).isEqualTo("dev");
        AccessEvent event = fixture.events.events().get(0);
        assertThat(event.detailType()).isEqualTo("Access Entry Updated");
        assertThat(event.detail()).containsEntry("clientRequestToken", "t-1")
                .containsEntry("previous", Map.of("kubernetesGroups", List.of("viewers"),
                        "username", "developer:{{SessionName}}"));
        assertThat(fixture.store.item("t-1").status()).isEqualTo(ClaimStatus.COMPLETED);
    }

    @Test
    void process_whenRequestAddsAGroup_keepsCurrentGroupsAndUsername() {
        Outcome outcome = fixture.process(message("m1", request("\"addKubernetesGroups\":[\"team-a\"]")));

        assertThat(outcome).isInstanceOf(Outcome.Applied.class);
        assertThat(fixture.accessEntries.calls()).containsExactly("describe " + DEVELOPERS, "update " + DEVELOPERS);
        assertThat(fixture.accessEntries.entry(CLUSTER, DEVELOPERS).kubernetesGroups())
                .containsExactly("team-a", "viewers");
        assertThat(fixture.accessEntries.entry(CLUSTER, DEVELOPERS).username()).isEqualTo("developer:{{SessionName}}");
        assertThat(fixture.events.events().get(0).detail()).containsEntry("previous",
                Map.of("kubernetesGroups", List.of("viewers"), "username", "developer:{{SessionName}}"));
    }

    @Test
    void process_whenRequestChangesOnlyUsername_keepsGroups() {
        fixture.process(message("m1", request("\"username\":\"someone-else\"")));

        assertThat(fixture.accessEntries.updates().get(0).kubernetesGroups()).containsExactly("viewers");
        assertThat(fixture.accessEntries.updates().get(0).username()).isEqualTo("someone-else");
    }

    @Test
    void process_whenRequestRemovesAGroup_sendsTheRest() {
        fixture.process(message("m1", request("\"removeKubernetesGroups\":[\"viewers\",\"absent\"]")));

        assertThat(fixture.accessEntries.updates().get(0).kubernetesGroups()).isEmpty();
        assertThat(fixture.accessEntries.updates().get(0).username()).isEqualTo("developer:{{SessionName}}");
    }

    @Test
    void process_sendsEksTheTokenDerivedFromTheRequest() {
        String body = request("\"kubernetesGroups\":[\"a\"],\"username\":\"u\",\"clientRequestToken\":\"t-1\"");
        fixture.process(message("m1", body));
        String hash = fixture.store.item("t-1").requestHash();

        String eksToken = fixture.accessEntries.updates().get(0).eksClientRequestToken();
        assertThat(eksToken).isEqualTo(EksClientToken.derive("t-1", hash, List.of("a"), "u"));
        assertThat(eksToken.length()).isBetween(33, 126);
    }

    @Test
    void process_whenTokenCompletedWithSameRequest_isDuplicateWithoutCallsOrEvents() {
        String body = request("\"kubernetesGroups\":[\"a\"],\"clientRequestToken\":\"t-1\"");
        fixture.process(message("m1", body));
        int callsBefore = fixture.accessEntries.calls().size();

        Outcome outcome = fixture.process(message("m2", body));

        assertThat(outcome).isInstanceOf(Outcome.Duplicate.class);
        assertThat(fixture.accessEntries.calls()).hasSize(callsBefore);
        assertThat(fixture.events.events()).hasSize(1);
    }

    @Test
    void process_whenTokenCompletedWithAnotherRequest_rejectsTokenConflictAndKeepsTheRecord() {
        fixture.store.putCompleted("t-1", "another-hash");

        Outcome outcome = fixture.process(message("m1", request("\"kubernetesGroups\":[\"a\"],\"clientRequestToken\":\"t-1\"")));

        assertThat(outcome).isEqualTo(new Outcome.Rejected(ReasonCode.TOKEN_CONFLICT,
                "clientRequestToken was already used for a different request"));
        assertThat(fixture.accessEntries.calls()).isEmpty();
        assertThat(fixture.store.item("t-1").requestHash()).isEqualTo("another-hash");
        assertThat(rejectionCode()).isEqualTo("TOKEN_CONFLICT");
    }

    @ParameterizedTest(name = "held for {0} s more")
    @ValueSource(ints = {30, -30})
    void process_whenTokenIsAppliedForAnotherRequest_rejectsTokenConflictWithoutEksAndKeepsTheRecord(int seconds) {
        AppliedRecord record = new AppliedRecord("{}", "{\"clientRequestToken\":\"t-1\"}");
        fixture.store.putApplied("t-1", "another-hash", NOW.plusSeconds(seconds), record);

        Outcome outcome = fixture.process(message("m1", request("\"kubernetesGroups\":[\"a\"],\"clientRequestToken\":\"t-1\"")));

        assertThat(outcome).isEqualTo(new Outcome.Rejected(ReasonCode.TOKEN_CONFLICT,
                "clientRequestToken was already used for a different request"));
        assertThat(fixture.accessEntries.calls()).isEmpty();
        assertThat(fixture.events.events("Access Entry Updated")).isEmpty();
        assertThat(fixture.store.item("t-1").status()).isEqualTo(ClaimStatus.APPLIED);
        assertThat(fixture.store.item("t-1").record()).isEqualTo(record);
        assertThat(fixture.store.leases()).as("the lease taken beside the claim is given back").isEmpty();
        assertThat(rejectionCode()).isEqualTo("TOKEN_CONFLICT");
    }

    @Test
    void process_whenTokenInProgressElsewhere_retriesWithoutCallingEks() {
        fixture.store.putInProgress("t-1", "h", NOW.plusSeconds(30));

        Outcome outcome = fixture.process(message("m1", request("\"kubernetesGroups\":[\"a\"],\"clientRequestToken\":\"t-1\"")));

        assertThat(outcome).isInstanceOf(Outcome.Retry.class);
        assertThat(fixture.accessEntries.calls()).isEmpty();
        assertThat(fixture.events.events()).isEmpty();
        assertThat(fixture.store.item("t-1").requestHash()).isEqualTo("h");
    }

    @Test
    void process_whenMessageInvalid_rejectsWithoutClaimOrEksCall() {
        Outcome outcome = fixture.process(message("m1", request("\"kubernetesGroup\":[\"a\"]")));

        assertThat(outcome).isInstanceOf(Outcome.Rejected.class);
        assertThat(((Outcome.Rejected) outcome).reasonCode()).isEqualTo(ReasonCode.INVALID_MESSAGE);
        assertThat(((Outcome.Rejected) outcome).message()).contains("kubernetesGroup");
        assertThat(fixture.store.calls()).isEmpty();
        assertThat(fixture.accessEntries.calls()).isEmpty();
        assertThat(rejectionCode()).isEqualTo("INVALID_MESSAGE");
        assertThat(fixture.events.events().get(0).detail()).containsEntry("messageId", "m1");
    }

    @Test
    void process_whenClusterNotAllowed_rejectsPolicyDeniedWithoutClaimOrEksCall() {
        Outcome outcome = fixture.process(message("m1",
                "{\"clusterName\":\"prod\",\"principalArn\":\"" + DEVELOPERS + "\",\"kubernetesGroups\":[]}"));

        assertThat(((Outcome.Rejected) outcome).reasonCode()).isEqualTo(ReasonCode.POLICY_DENIED);
        assertThat(((Outcome.Rejected) outcome).message()).contains("ALLOWED_CLUSTER_NAMES");
        assertThat(fixture.store.calls()).isEmpty();
        assertThat(fixture.accessEntries.calls()).isEmpty();
        assertThat(rejectionCode()).isEqualTo("POLICY_DENIED");
    }

    @Test
    void process_whenPrincipalProtected_rejectsPolicyDeniedWithoutClaimOrEksCall() {
        Outcome outcome = fixture.process(message("m1",
                "{\"clusterName\":\"demo\",\"principalArn\":\"" + ADMIN.toLowerCase() + "\",\"kubernetesGroups\":[]}"));

        assertThat(((Outcome.Rejected) outcome).reasonCode()).isEqualTo(ReasonCode.POLICY_DENIED);
        assertThat(fixture.store.calls()).isEmpty();
        assertThat(fixture.accessEntries.calls()).isEmpty();
    }

    @Test
    void process_whenEntryIsNotStandard_rejectsUnsupportedTypeAndReleasesTheClaim() {
        fixture.accessEntries.put(CLUSTER, DEVELOPERS, List.of(), "system:node:{{EC2PrivateDNSName}}", "EC2_LINUX");

        Outcome outcome = fixture.process(message("m1", request("\"addKubernetesGroups\":[\"a\"],\"clientRequestToken\":\"t-1\"")));

        assertThat(((Outcome.Rejected) outcome).reasonCode()).isEqualTo(ReasonCode.UNSUPPORTED_ENTRY_TYPE);
        assertThat(fixture.accessEntries.calls()).containsExactly("describe " + DEVELOPERS);
        assertThat(fixture.store.item("t-1")).isNull();
        assertThat(rejectionCode()).isEqualTo("UNSUPPORTED_ENTRY_TYPE");
    }

    @Test
    void process_whenEksRejects_publishesTheReasonAndReleasesTheClaim() {
        fixture.accessEntries.failFor(DEVELOPERS, new RejectionException(ReasonCode.INVALID_PARAMETER, "bad group"));

        Outcome outcome = fixture.process(message("m1", request("\"kubernetesGroups\":[\"a\"],\"username\":\"u\",\"clientRequestToken\":\"t-1\"")));

        assertThat(outcome).isEqualTo(new Outcome.Rejected(ReasonCode.INVALID_PARAMETER, "bad group"));
        assertThat(fixture.store.item("t-1")).isNull();
        assertThat(rejectionCode()).isEqualTo("INVALID_PARAMETER");
    }

    @ParameterizedTest
    @EnumSource(value = ReasonCode.class,
            names = {"NOT_FOUND", "INVALID_PARAMETER", "INVALID_REQUEST"})
    void process_whenEksRefusesWhileReading_rejectsWithoutUpdatingAndLeavesNoItem(ReasonCode code) {
        fixture.accessEntries.failFor(DEVELOPERS, new RejectionException(code, "EKS says " + code));

        Outcome outcome = fixture.process(message("m1", request("\"addKubernetesGroups\":[\"a\"],\"clientRequestToken\":\"t-1\"")));

        assertThat(outcome).isEqualTo(new Outcome.Rejected(code, "EKS says " + code));
        assertThat(fixture.accessEntries.updates()).isEmpty();
        assertThat(fixture.store.items()).isEmpty();
        assertThat(fixture.events.events("Access Entry Updated")).isEmpty();
        assertThat(rejectionCode()).isEqualTo(code.name());
    }

    @Test
    void process_whenEksFailsWithKnownOutcome_retriesWithoutEventAndReleasesClaimAndLease() {
        fixture.accessEntries.failFor(DEVELOPERS, new RetryableException("ThrottlingException 429"));

        Outcome outcome = fixture.process(message("m1", request("\"addKubernetesGroups\":[\"a\"],\"clientRequestToken\":\"t-1\"")));

        assertThat(outcome).isEqualTo(new Outcome.Retry("ThrottlingException 429"));
        assertThat(fixture.events.events()).isEmpty();
        assertThat(fixture.store.item("t-1")).isNull();
        assertThat(fixture.store.lease(CLUSTER, DEVELOPERS)).isNull();
        assertThat(fixture.store.calls("release")).containsExactly("release t-1");
        assertThat(fixture.store.calls("record")).isEmpty();
    }

    @Test
    void process_whenEksOutcomeIsUnknown_letsClaimAndLeaseLapseInsteadOfReleasing() {
        fixture.accessEntries.failFor(DEVELOPERS, RetryableException.outcomeUnknown("UpdateAccessEntry timed out", null));

        Outcome outcome = fixture.process(message("m1", request("\"addKubernetesGroups\":[\"a\"],\"clientRequestToken\":\"t-1\"")));

        assertThat(outcome).isInstanceOf(Outcome.Retry.class);
        assertThat(fixture.events.events()).isEmpty();
        assertThat(fixture.store.item("t-1").status()).isEqualTo(ClaimStatus.IN_PROGRESS);
        assertThat(fixture.store.lease(CLUSTER, DEVELOPERS)).isNotNull();
        assertThat(fixture.store.calls("release")).isEmpty();
        assertThat(fixture.store.calls("releaseLease")).isEmpty();
    }

    @Test
    void process_whenPublishingFails_retriesAndDoesNotComplete() {
        fixture.events.failing = true;

        Outcome outcome = fixture.process(message("m1", request("\"addKubernetesGroups\":[\"a\"],\"clientRequestToken\":\"t-1\"")));

        assertThat(outcome).isInstanceOf(Outcome.Retry.class);
        assertThat(fixture.store.calls("record")).containsExactly("record t-1");
        assertThat(fixture.store.calls("yield")).containsExactly("yield t-1");
        assertThat(fixture.store.calls("release")).isEmpty();
        assertThat(fixture.store.calls("complete")).isEmpty();
        assertThat(fixture.store.item("t-1").status()).isEqualTo(ClaimStatus.APPLIED);
        assertThat(fixture.store.item("t-1").owner()).isNull();
        assertThat(fixture.store.item("t-1").record().eventDetailJson()).contains("\"clientRequestToken\":\"t-1\"");
    }

    @Test
    void process_whenPublishingARejectionFails_retriesInsteadOfLosingIt() {
        fixture.events.failing = true;

        Outcome outcome = fixture.process(message("m1", "not json"));

        assertThat(outcome).isInstanceOf(Outcome.Retry.class);
        assertThat(((Outcome.Retry) outcome).reason()).contains("INVALID_MESSAGE");
    }

    @Test
    void process_whenCompletingFails_retriesAndLeavesTheAppliedRecord() {
        fixture.store.failCompletes = true;

        Outcome outcome = fixture.process(message("m1", request("\"addKubernetesGroups\":[\"a\"],\"clientRequestToken\":\"t-1\"")));

        assertThat(outcome).isInstanceOf(Outcome.Retry.class);
        assertThat(fixture.events.events("Access Entry Updated")).hasSize(1);
        assertThat(fixture.store.calls("release")).isEmpty();
        assertThat(fixture.store.item("t-1").status()).isEqualTo(ClaimStatus.APPLIED);
        assertThat(fixture.store.lease(CLUSTER, DEVELOPERS)).isNull();
    }

    @Test
    void process_whenClaimStoreUnavailable_retriesWithoutCallingEks() {
        fixture.store.failClaims = true;

        Outcome outcome = fixture.process(message("m1", request("\"addKubernetesGroups\":[\"a\"]")));

        assertThat(outcome).isInstanceOf(Outcome.Retry.class);
        assertThat(fixture.accessEntries.calls()).isEmpty();
        assertThat(fixture.events.events()).isEmpty();
    }

    @Test
    void process_whenReleaseFails_stillReportsTheOutcome() {
        fixture.store.failReleases = true;
        fixture.accessEntries.failFor(DEVELOPERS, new RetryableException("throttled"));

        Outcome outcome = fixture.process(message("m1", request("\"addKubernetesGroups\":[\"a\"],\"clientRequestToken\":\"t-1\"")));

        assertThat(outcome).isEqualTo(new Outcome.Retry("throttled"));
        assertThat(fixture.store.item("t-1").status()).isEqualTo(ClaimStatus.IN_PROGRESS);
    }

    @Test
    void process_whenTokenAbsent_usesTheMessageIdAsToken() {
        fixture.process(message("message-7", request("\"addKubernetesGroups\":[\"a\"]")));

        assertThat(fixture.store.item("message-7").status()).isEqualTo(ClaimStatus.COMPLETED);
        assertThat(fixture.store.item("message-7").requestHash()).hasSize(64);
    }

    @Test
    void process_whenMetadataGiven_carriesItIntoTheEventButNotTheHash() {
        String withMetadata = request("\"addKubernetesGroups\":[\"a\"],\"clientRequestToken\":\"t-1\",\"metadata\":{\"ticket\":\"T-1\"}");
        fixture.process(message("m1", withMetadata));

        assertThat(fixture.events.events().get(0).detail()).containsEntry("metadata", Map.of("ticket", "T-1"));
        assertThat(fixture.process(message("m2", request("\"addKubernetesGroups\":[\"a\"],\"clientRequestToken\":\"t-1\""))))
                .isInstanceOf(Outcome.Duplicate.class);
        assertThat(CanonicalForm.hash(new dev.eksaccessupdater.request.RequestParser().parse(withMetadata, "x")))
                .isEqualTo(fixture.store.item("t-1").requestHash());
    }

    private String rejectionCode() {
        AccessEvent event = fixture.events.events("Access Change Rejected").get(0);
        @SuppressWarnings("unchecked")
        Map<String, Object> reason = (Map<String, Object>) event.detail().get("reason");
        return (String) reason.get("code");
    }
}
