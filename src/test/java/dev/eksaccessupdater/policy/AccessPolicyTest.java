package dev.eksaccessupdater.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.eksaccessupdater.failure.ReasonCode;
import dev.eksaccessupdater.failure.RejectionException;
import dev.eksaccessupdater.request.AccessChangeRequest;
import dev.eksaccessupdater.request.GroupChange;
import dev.eksaccessupdater.request.PrincipalArn;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class AccessPolicyTest {

    private static final String CLUSTER = "prod-1";
    private static final String ROLE = "arn:aws:iam::111122223333:role/deployer";
    private static final String ADMIN = "arn:aws:iam::111122223333:role/Admin";

    private static final Instant SENT = Instant.parse("2026-12-04T09:00:00Z");

    private static final AccessPolicy ANY = AccessPolicy.of(new AccessPolicy.ClusterScope.Any(), Set.of());
    private static final AccessPolicy CLUSTERS =
            AccessPolicy.of(new AccessPolicy.ClusterScope.Named(Set.of("prod-1", "prod-2")), Set.of());
    private static final AccessPolicy GROUPS = new AccessPolicy(new AccessPolicy.ClusterScope.Any(),
            List.of(GroupPattern.of("team-*"), GroupPattern.of("viewers"), GroupPattern.of("ops-?"),
                    GroupPattern.of("a.b")),
            Set.of(), List.of(), Optional.empty());
    private static final AccessPolicy PROTECTED = AccessPolicy.of(new AccessPolicy.ClusterScope.Any(),
            Set.of(PrincipalArn.parse(ADMIN)));
    /** Time-bound grants on, up to a day; {@code oncall-*} and {@code breakglass} only for a while. */
    private static final AccessPolicy TIME_BOUND = new AccessPolicy(new AccessPolicy.ClusterScope.Any(),
            List.of(GroupPattern.ANY), Set.of(), List.of(GroupPattern.of("oncall-*"), GroupPattern.of("breakglass")),
            Optional.of(Duration.ofDays(1)));

    static Stream<Arguments> allowed() {
        return Stream.of(
                Arguments.of("a listed cluster", CLUSTERS, replace(CLUSTER, ROLE, "anything")),
                Arguments.of("another listed cluster", CLUSTERS, replace("prod-2", ROLE, "anything")),
                Arguments.of("any cluster with *", ANY, replace("dev-7", ROLE, "anything")),
                Arguments.of("any group without ALLOWED_KUBERNETES_GROUPS", ANY, replace(CLUSTER, ROLE, "cluster-admins")),
                Arguments.of("a group matching a glob", GROUPS, replace(CLUSTER, ROLE, "team-a", "team-")),
                Arguments.of("a group matching exactly", GROUPS, replace(CLUSTER, ROLE, "viewers")),
                Arguments.of("a group matching ? with one character", GROUPS, replace(CLUSTER, ROLE, "ops-1")),
                Arguments.of("a group matching a dot literally", GROUPS, replace(CLUSTER, ROLE, "a.b")),
                Arguments.of("an added group matching a glob", GROUPS, modify(Set.of("team-b"), Set.of())),
                Arguments.of("removing a group that matches no glob", GROUPS, modify(Set.of(), Set.of("cluster-admins"))),
                Arguments.of("clearing all groups", GROUPS, replace(CLUSTER, ROLE)),
                Arguments.of("changing only the username", GROUPS,
                        new AccessChangeRequest(CLUSTER, ROLE, new GroupChange.Keep(), "deployer", "t", Map.of())),
                Arguments.of("a principal with the protected name in another account", PROTECTED,
                        replace(CLUSTER, "arn:aws:iam::444455556666:role/Admin", "x")),
                Arguments.of("a user with the name of a protected role", PROTECTED,
                        replace(CLUSTER, "arn:aws:iam::111122223333:user/Admin", "x")),
                Arguments.of("a principal with the protected name in another partition", PROTECTED,
                        replace(CLUSTER, "arn:aws-cn:iam::111122223333:role/Admin", "x")),
                Arguments.of("a principal whose name only starts like a protected one", PROTECTED,
                        replace(CLUSTER, "arn:aws:iam::111122223333:role/Admins", "x")),
                Arguments.of("a time-bound group granted for a while", TIME_BOUND,
                        grant(Set.of("oncall-payments", "viewers"), "2026-12-04T17:00:00Z")),
                Arguments.of("a grant ending exactly 300 s after sending", TIME_BOUND,
                        grant(Set.of("viewers"), "2026-12-04T09:05:00Z")),
                Arguments.of("a grant ending exactly MAX_GRANT_SECONDS after sending", TIME_BOUND,
                        grant(Set.of("viewers"), "2026-12-05T09:00:00Z")),
                Arguments.of("removing a time-bound group without expiresAt", TIME_BOUND,
                        modify(Set.of(), Set.of("breakglass"))),
                Arguments.of("a group that only starts like a time-bound one", TIME_BOUND,
                        modify(Set.of("breakglass-viewers"), Set.of())));
    }

    static Stream<Arguments> denied() {
        return Stream.of(
                Arguments.of("an unlisted cluster", CLUSTERS, replace("prod-3", ROLE, "x"),
                        "cluster prod-3 is not in ALLOWED_CLUSTER_NAMES"),
                Arguments.of("a listed cluster in another case", CLUSTERS, replace("Prod-1", ROLE, "x"),
                        "cluster Prod-1 is not in ALLOWED_CLUSTER_NAMES"),
                Arguments.of("a group in another case than its glob", GROUPS, replace(CLUSTER, ROLE, "Team-a"),
                        "group Team-a matches no pattern of ALLOWED_KUBERNETES_GROUPS"),
                Arguments.of("a group with a leading space", GROUPS, replace(CLUSTER, ROLE, " team-a"),
                        "group  team-a matches no pattern of ALLOWED_KUBERNETES_GROUPS"),
                Arguments.of("a group longer than an exact pattern", GROUPS, replace(CLUSTER, ROLE, "viewers2"),
                        "group viewers2 matches no pattern"),
                Arguments.of("a group with two characters for ?", GROUPS, replace(CLUSTER, ROLE, "ops-12"),
                        "group ops-12 matches no pattern"),
                Arguments.of("a dot taken as a regex wildcard", GROUPS, replace(CLUSTER, ROLE, "aXb"),
                        "group aXb matches no pattern"),
                Arguments.of("one forbidden group among allowed ones", GROUPS,
                        replace(CLUSTER, ROLE, "team-a", "cluster-admins"), "group cluster-admins matches no pattern"),
                Arguments.of("a forbidden group added", GROUPS, modify(Set.of("team-a", "cluster-admins"), Set.of()),
                        "group cluster-admins matches no pattern of ALLOWED_KUBERNETES_GROUPS"),
                Arguments.of("the protected principal", PROTECTED, replace(CLUSTER, ADMIN, "x"),
                        "principalArn is protected by PROTECTED_PRINCIPAL_ARNS"),
                Arguments.of("the protected principal in lower case", PROTECTED,
                        replace(CLUSTER, "arn:aws:iam::111122223333:role/admin", "x"), "PROTECTED_PRINCIPAL_ARNS"),
                Arguments.of("the protected principal in upper case", PROTECTED,
                        replace(CLUSTER, "arn:aws:iam::111122223333:role/ADMIN", "x"), "PROTECTED_PRINCIPAL_ARNS"),
                Arguments.of("the protected principal under a path", PROTECTED,
                        replace(CLUSTER, "arn:aws:iam::111122223333:role/ops/admin", "x"), "PROTECTED_PRINCIPAL_ARNS"),
                Arguments.of("the protected principal, only removing groups", PROTECTED,
                        new AccessChangeRequest(CLUSTER, ADMIN, new GroupChange.Modify(new TreeSet<>(),
                                new TreeSet<>(Set.of("x"))), null, "t", Map.of()), "PROTECTED_PRINCIPAL_ARNS"),
                Arguments.of("a principal that is no IAM user or role ARN", ANY,
                        replace(CLUSTER, "arn:aws:sts::111122223333:assumed-role/deployer/s", "x"),
                        "principalArn is not an IAM user or role ARN"));
    }

    static Stream<Arguments> deniedTimeBound() {
        return Stream.of(
                Arguments.of("a time-bound group added without expiresAt", modify(Set.of("oncall-payments"), Set.of()),
                        "group oncall-payments matches TIME_BOUND_GROUPS: it may only be added with"
                                + " addKubernetesGroups and expiresAt"),
                Arguments.of("a time-bound group in a full set", replace(CLUSTER, ROLE, "viewers", "breakglass"),
                        "group breakglass matches TIME_BOUND_GROUPS"));
    }

    static Stream<Arguments> invalidExpiry() {
        return Stream.of(
                Arguments.of("expiresAt before sending", TIME_BOUND, grant(Set.of("viewers"), "2026-12-04T08:00:00Z"),
                        "expiresAt must be at least 300 s after the message was sent (2026-12-04T09:00:00Z)"),
                Arguments.of("expiresAt 299 s after sending", TIME_BOUND,
                        grant(Set.of("viewers"), "2026-12-04T09:04:59Z"), "expiresAt must be at least 300 s"),
                Arguments.of("expiresAt one second too far out", TIME_BOUND,
                        grant(Set.of("viewers"), "2026-12-05T09:00:01Z"),
                        "expiresAt must be at most MAX_GRANT_SECONDS (86400 s) after the message was sent"),
                Arguments.of("expiresAt while time-bound grants are off", ANY,
                        grant(Set.of("viewers"), "2026-12-04T17:00:00Z"), "time-bound grants are not enabled"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("allowed")
    void check_whenRequestIsWithinPolicy_allowsIt(String description, AccessPolicy policy,
                                                  AccessChangeRequest request) {
        assertThatCode(() -> policy.check(request, SENT)).doesNotThrowAnyException();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("deniedTimeBound")
    void check_whenATimeBoundGroupWouldBeGrantedForever_deniesIt(String description, AccessChangeRequest request,
                                                                 String rule) {
        assertThatThrownBy(() -> TIME_BOUND.check(request, SENT))
                .isInstanceOfSatisfying(RejectionException.class,
                        denial -> assertThat(denial.reasonCode()).isEqualTo(ReasonCode.POLICY_DENIED))
                .hasMessageContaining(rule);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidExpiry")
    void check_whenExpiresAtIsOutsideItsWindow_rejectsTheMessageAsInvalid(String description, AccessPolicy policy,
                                                                          AccessChangeRequest request, String rule) {
        assertThatThrownBy(() -> policy.check(request, SENT))
                .isInstanceOfSatisfying(RejectionException.class,
                        invalid -> assertThat(invalid.reasonCode()).isEqualTo(ReasonCode.INVALID_MESSAGE))
                .hasMessageContaining(rule);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("denied")
    void check_whenRequestIsOutsidePolicy_deniesItNamingTheSetting(String description, AccessPolicy policy,
                                                                   AccessChangeRequest request, String rule) {
        assertThatThrownBy(() -> policy.check(request, SENT))
                .isInstanceOfSatisfying(RejectionException.class,
                        denial -> assertThat(denial.reasonCode()).isEqualTo(ReasonCode.POLICY_DENIED))
                .hasMessageContaining(rule);
    }

    private static AccessChangeRequest replace(String cluster, String principal, String... groups) {
        return new AccessChangeRequest(cluster, principal, new GroupChange.Replace(sorted(Set.of(groups))), null, "t",
                Map.of());
    }

    private static AccessChangeRequest modify(Set<String> add, Set<String> remove) {
        return new AccessChangeRequest(CLUSTER, ROLE, new GroupChange.Modify(sorted(add), sorted(remove)), null, "t",
                Map.of());
    }

    private static AccessChangeRequest grant(Set<String> add, String expiresAt) {
        return new AccessChangeRequest(CLUSTER, ROLE, new GroupChange.Modify(sorted(add), sorted(Set.of())), null, "t",
                Map.of(), expiresAt, null);
    }

    private static SortedSet<String> sorted(Set<String> groups) {
        return new TreeSet<>(groups);
    }
}
