package dev.eksaccessupdater.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.eksaccessupdater.failure.ReasonCode;
import dev.eksaccessupdater.failure.RejectionException;
import dev.eksaccessupdater.request.AccessChangeRequest;
import dev.eksaccessupdater.request.GroupChange;
import dev.eksaccessupdater.request.PrincipalArn;
import java.util.List;
import java.util.Map;
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

    private static final AccessPolicy ANY = new AccessPolicy(true, Set.of(), null, Set.of());
    private static final AccessPolicy CLUSTERS = new AccessPolicy(false, Set.of("prod-1", "prod-2"), null, Set.of());
    private static final AccessPolicy GROUPS = new AccessPolicy(true, Set.of(),
            List.of(GroupPattern.of("team-*"), GroupPattern.of("viewers"), GroupPattern.of("ops-?"),
                    GroupPattern.of("a.b")),
            Set.of());
    private static final AccessPolicy PROTECTED = new AccessPolicy(true, Set.of(), null,
            Set.of(PrincipalArn.parse(ADMIN)));

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
                        replace(CLUSTER, "arn:aws:iam::111122223333:role/Admins", "x")));
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

    @ParameterizedTest(name = "{0}")
    @MethodSource("allowed")
    void check_whenRequestIsWithinPolicy_allowsIt(String description, AccessPolicy policy,
                                                  AccessChangeRequest request) {
        assertThatCode(() -> policy.check(request)).doesNotThrowAnyException();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("denied")
    void check_whenRequestIsOutsidePolicy_deniesItNamingTheSetting(String description, AccessPolicy policy,
                                                                   AccessChangeRequest request, String rule) {
        assertThatThrownBy(() -> policy.check(request))
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

    private static SortedSet<String> sorted(Set<String> groups) {
        return new TreeSet<>(groups);
    }
}
