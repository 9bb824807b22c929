package dev.eksaccessupdater.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import dev.eksaccessupdater.eks.EksClientToken;
import dev.eksaccessupdater.request.CanonicalForm;
import dev.eksaccessupdater.request.RequestParser;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * One seeded run of the invariant properties: a random sequence of requests over three principals (duplicates,
 * conflicting reuse of tokens, invalid and denied ones), delivered by a model of SQS (batches, redeliveries of
 * retried messages, duplicate deliveries, the dead-letter queue after {@link #MAX_RECEIVES}) to a {@link Harness}
 * whose ports meet random faults and crashes during the first {@link #FAULT_ROUNDS} rounds. Then the invariants of
 * the README's "Failure modes" are checked. Everything random comes from the seed.
 */
final class PropertyRun {

    static final int MAX_RECEIVES = 10;
    static final int FAULT_ROUNDS = 5;
    static final int MAX_ROUNDS = 60;
    static final Duration REMAINING = Duration.ofSeconds(60);
    /** One message at a time, so that a seed replays exactly; {@code RaceTest} covers concurrency. */
    static final Map<String, String> SETTINGS = Map.of(
            "ALLOWED_KUBERNETES_GROUPS", "team-*,viewers", "MAX_CONCURRENCY", "1");
    private static final List<String> GROUPS = List.of("team-a", "team-b", "team-c", "viewers");

    /** A generated message and, when it is a valid request, what it should do to its entry. */
    record Request(int index, String messageId, String principal, String kind, Set<String> groups, String username,
                   String token, String body, String expectedRejection) {

        Harness.EntryState applyTo(Harness.EntryState before) {
            Set<String> groups = new TreeSet<>(before.groups());
            String user = before.username();
            switch (kind) {
                case "add" -> groups.addAll(this.groups);
                case "remove" -> groups.removeAll(this.groups);
                case "set" -> groups = new TreeSet<>(this.groups);
                case "username" -> user = username;
                case "set+username" -> {
                    groups = new TreeSet<>(this.groups);
                    user = username;
                }
                default -> throw new IllegalStateException(kind);
            }
            return new Harness.EntryState(groups, user);
        }
    }

    private final long seed;
    private final boolean fifo;
    private final int messageCount;
    private final java.util.Random random;
    private final List<Request> requests = new ArrayList<>();
    private final Map<String, String> finalOutcomes = new LinkedHashMap<>();
    private final Map<String, Integer> receives = new HashMap<>();
    private final List<String> dlq = new ArrayList<>();
    private boolean duplicateEventsPossible;
    private int crashes;
    private int faultsInjected;
    private int rounds;
    /** Requests recomputed on an entry another request changed after their unrecorded change (section 4.2). */
    private final List<String> recomputedOnChangedEntry = new ArrayList<>();
    private final StringBuilder trace = new StringBuilder();

    PropertyRun(long seed, boolean fifo, int messageCount) {
        this.seed = seed;
        this.fifo = fifo;
        this.messageCount = messageCount;
        this.random = new java.util.Random(seed);
    }

    static Map<String, Harness.EntryState> initialEntries() {
        Map<String, Harness.EntryState> entries = new LinkedHashMap<>();
        for (int index = 0; index < Messages.PRINCIPALS.size(); index++) {
            entries.put(Messages.PRINCIPALS.get(index), new Harness.EntryState(Set.of("viewers"), "user-" + index));
        }
        return entries;
    }

    /** Runs and checks; an assertion error names the seed and the delivery trace. */
    void runOn(Harness harness) {
        try {
            generate();
            deliver(harness);
            check(harness);
            System.out.printf("PropertyRun seed %d (%s): %d messages, %d rounds, %d faults, %d crashes,"
                    + " recomputed on a changed entry after an unrecorded change %s%n", seed,
                    fifo ? "FIFO" : "standard", messageCount, rounds, faultsInjected, crashes,
                    recomputedOnChangedEntry);
        } catch (AssertionError failure) {
            StringBuilder eks = new StringBuilder();
            harness.updatesSent().forEach(sent -> eks.append("  sent ").append(sent).append('\n'));
            harness.changes().forEach(change -> eks.append("  changed ").append(change).append('\n'));
            throw new AssertionError("property run failed for seed " + seed + " (" + (fifo ? "FIFO" : "standard")
                    + ", " + messageCount + " messages): " + failure.getMessage() + "\ntrace:\n" + trace
                    + "EKS:\n" + eks, failure);
        }
    }

    private void generate() {
        for (int index = 0; index < messageCount; index++) {
            String messageId = "m" + index;
            int principalIndex = random.nextInt(Messages.PRINCIPALS.size());
            String principal = Messages.PRINCIPALS.get(principalIndex);
            int dice = random.nextInt(100);
            if (dice < 5) {
                requests.add(new Request(index, messageId, principal, "invalid", Set.of(), null, null,
                        random.nextBoolean() ? "{\"clusterName\":\"demo\","
                                : "{\"clusterName\":\"demo\",\"principalArn\":\"" + principal
                                        + "\",\"kubernetesGroup\":[\"team-a\"]}", "REJECTED INVALID_MESSAGE"));
                continue;
            }
            if (dice < 9) {
                requests.add(new Request(index, messageId, principal, "denied", Set.of(), null, "d" + index,
                        body(principal, "add", Set.of("cluster-admins"), null, "d" + index), "REJECTED POLICY_DENIED"));
                continue;
            }
            List<Request> earlier = requests.stream().filter(request -> request.expectedRejection() == null).toList();
            if (dice < 22 && !earlier.isEmpty()) {
                // The approval system sends the same request again (same token, same body).
                Request original = earlier.get(random.nextInt(earlier.size()));
                if (original.token() != null) {
                    requests.add(new Request(index, messageId, original.principal(), original.kind(),
                            original.groups(), original.username(), original.token(), original.body(), null));
                    continue;
                }
            }
            String kind = List.of("add", "add", "remove", "set", "username", "set+username").get(random.nextInt(6));
            Set<String> groups = new TreeSet<>();
            int count = kind.equals("set") ? random.nextInt(3) : 1 + random.nextInt(2);
            for (int group = 0; group < count; group++) {
                groups.add(GROUPS.get(random.nextInt(GROUPS.size())));
            }
            String username = kind.contains("username") ? "user-" + random.nextInt(4) + ":{{SessionName}}" : null;
            String token;
            if (dice < 30 && !earlier.isEmpty()) {
                // Conflicting reuse: a different request under an earlier token.
                token = earlier.get(random.nextInt(earlier.size())).token();
            } else if (dice < 38) {
                token = null; // the SQS message id is the token
            } else {
                token = "t" + index;
            }
            requests.add(new Request(index, messageId, principal, kind, groups, username, token,
                    body(principal, kind, groups, username, token), null));
        }
    }

    private static String body(String principal, String kind, Set<String> groups, String username, String token) {
        StringBuilder body = new StringBuilder("{\"clusterName\":\"demo\",\"principalArn\":\"").append(principal)
                .append('"');
        String field = switch (kind) {
            case "add" -> "addKubernetesGroups";
            case "remove" -> "removeKubernetesGroups";
            case "set", "set+username" -> "kubernetesGroups";
            default -> null;
        };
        if (field != null) {
            body.append(",\"").append(field).append("\":[");
            body.append(String.join(",", groups.stream().map(group -> '"' + group + '"').toList())).append(']');
        }
        if (username != null) {
            body.append(",\"username\":\"").append(username).append('"');
        }
        if (token != null) {
            body.append(",\"clientRequestToken\":\"").append(token).append('"');
        }
        return body.append(",\"metadata\":{\"ticket\":\"T-1\"}}").toString();
    }

    private String groupOf(Request request) {
        return fifo ? "group-" + Messages.PRINCIPALS.indexOf(request.principal()) : null;
    }

    private void deliver(Harness harness) {
        List<Request> queue = new ArrayList<>(requests);
        Map<String, Request> byId = new HashMap<>();
        requests.forEach(request -> byId.put(request.messageId(), request));
        for (int round = 0; round < MAX_ROUNDS && !queue.isEmpty(); round++) {
            boolean faulty = round < FAULT_ROUNDS;
            int size = 1 + random.nextInt(Math.min(10, queue.size()));
            List<Request> batch;
            if (fifo) {
                batch = new ArrayList<>(queue.subList(0, size));
            } else {
                List<Request> shuffled = new ArrayList<>(queue);
                Collections.shuffle(shuffled, random);
                batch = new ArrayList<>(shuffled.subList(0, size));
            }
            List<SQSEvent.SQSMessage> records = new ArrayList<>();
            for (Request request : batch) {
                int count = receives.merge(request.messageId(), 1, Integer::sum);
                records.add(Messages.record(request.messageId(), request.body(), groupOf(request), count));
            }
            long deadline = harness.nowMillis() + REMAINING.toMillis();
            Harness.Result result = harness.invoke(records, faulty ? this::randomFault : step -> null);
            trace.append("round ").append(round).append(": ")
                    .append(batch.stream().map(Request::messageId).toList()).append(" -> ")
                    .append(result.crashed() ? "CRASHED" : result.outcomes()).append('\n');
            if (result.crashed()) {
                crashes++;
            } else {
                for (Request request : batch) {
                    String outcome = result.outcomes().get(request.messageId());
                    assertThat(outcome).as("outcome of %s in round %d", request.messageId(), round).isNotNull();
                    if (outcome.equals("RETRY")) {
                        if (receives.get(request.messageId()) >= MAX_RECEIVES) {
                            queue.remove(request);
                            dlq.add(request.messageId());
                        }
                        continue;
                    }
                    queue.remove(request);
                    finalOutcomes.merge(request.messageId(), outcome, (first, second) -> first + "," + second);
                    if (!fifo && faulty && random.nextInt(100) < 8) {
                        // SQS delivers at least once: this deleted message comes again.
                        queue.add(request);
                    }
                }
                for (Map.Entry<String, Long> claim : harness.inProgressClaims().entrySet()) {
                    assertThat(claim.getValue()).as("inProgressUntil of %s after round %d", claim.getKey(), round)
                            .isLessThanOrEqualTo(deadline);
                }
                for (Map.Entry<String, Long> lease : harness.heldLeases().entrySet()) {
                    assertThat(lease.getValue()).as("inProgressUntil of %s after round %d", lease.getKey(), round)
                            .isLessThanOrEqualTo(deadline);
                }
            }
            rounds = round + 1;
            harness.advance(faulty ? Duration.ofSeconds(List.of(5, 30, 61).get(random.nextInt(3)))
                    : Duration.ofSeconds(61));
        }
        assertThat(queue).as("messages still queued after %d rounds", MAX_ROUNDS).isEmpty();
    }

    private Harness.Fault randomFault(Harness.Step step) {
        int dice = random.nextInt(100);
        if (dice >= 12) {
            return null;
        }
        Harness.Fault[] faults = Harness.Fault.values();
        Harness.Fault fault = faults[random.nextInt(faults.length)];
        if ((fault == Harness.Fault.CRASH_AFTER || fault == Harness.Fault.CRASH_BEFORE) && crashes >= 2) {
            fault = Harness.Fault.TRANSIENT;
        }
        if (fault == Harness.Fault.CRASH_AFTER && step == Harness.Step.PUBLISH
                || fault == Harness.Fault.LOST_ANSWER && step == Harness.Step.PUBLISH
                || step == Harness.Step.COMPLETE) {
            // Published but not completed: the one way to a second Updated event (the next delivery takes the
            // APPLIED claim over and publishes its recorded event again).
            duplicateEventsPossible = true;
        }
        faultsInjected++;
        trace.append("  fault ").append(fault).append(" at ").append(step).append('\n');
        return fault;
    }

    private static String tokenOf(Request request) {
        return request.token() == null ? request.messageId() : request.token();
    }

    /** True when this request, sending these parameters, sends this EKS token (contract section 2.2). */
    private static boolean sends(RequestParser parser, Request request, String principal, String eksToken,
                                 java.util.Collection<String> groups, String username) {
        return request.expectedRejection() == null && request.principal().equals(principal)
                && EksClientToken.derive(tokenOf(request),
                        CanonicalForm.hash(parser.parse(request.body(), request.messageId())),
                        List.copyOf(groups), username).equals(eksToken);
    }

    /** The generated request an EKS update belongs to: its token, hash and parameters derive the EKS token. */
    private Request requestOf(RequestParser parser, String principal, String eksToken,
                              java.util.Collection<String> groups, String username) {
        return requests.stream().filter(request -> sends(parser, request, principal, eksToken, groups, username))
                .findFirst().orElse(null);
    }

    /** A request, as the state table tells requests apart: its token and its hash. */
    private static String identity(RequestParser parser, Request request) {
        return tokenOf(request) + " " + CanonicalForm.hash(parser.parse(request.body(), request.messageId()));
    }

    private void check(Harness harness) {
        RequestParser parser = new RequestParser();
        assertThat(dlq).as("dead-lettered (faults stop after %d rounds, so none should be)", FAULT_ROUNDS).isEmpty();
        assertThat(harness.claimViolations()).as("invariant 2: EKS calls without a live claim and lease").isEmpty();
        assertThat(harness.recomputations()).as("invariant 3: updates after the change was recorded APPLIED")
                .isEmpty();

        // Invariant 1: every message ended, as its kind says, and every rejection has its event.
        Set<String> rejectedIds = new HashSet<>();
        harness.events("Access Change Rejected").forEach(detail -> rejectedIds.add((String) detail.get("messageId")));
        for (Request request : requests) {
            String outcome = finalOutcomes.get(request.messageId());
            assertThat(outcome).as("final outcome of %s", request.messageId()).isNotNull();
            for (String each : outcome.split(",")) {
                assertThat(each).matches("APPLIED|DUPLICATE|DONE|REJECTED [A-Z_]+");
                if (each.startsWith("REJECTED")) {
                    assertThat(rejectedIds).as("rejection event of %s", request.messageId())
                            .contains(request.messageId());
                }
            }
            if (request.expectedRejection() != null) {
                assertThat(outcome.split(",")).as("outcome of %s", request.messageId())
                        .containsOnly(request.expectedRejection());
            }
        }

        // Invariant 3: every update sent belongs to a generated request (its EKS token is derived from the
        // request's token, hash and the exact parameters sent), and each EKS token changed EKS at most once.
        for (Harness.Sent sent : harness.updatesSent()) {
            assertThat(requestOf(parser, sent.principal(), sent.eksToken(), sent.groups(), sent.username()))
                    .as("the request of EKS token %s (%s, %s)", sent.eksToken(), sent.groups(), sent.username())
                    .isNotNull();
        }
        List<Harness.Change> changes = harness.changes();
        Set<String> changedTokens = new HashSet<>();
        List<Request> accepted = new ArrayList<>();
        Map<String, List<Integer>> changesOfRequest = new LinkedHashMap<>();
        for (int position = 0; position < changes.size(); position++) {
            Harness.Change change = changes.get(position);
            assertThat(changedTokens.add(change.eksToken())).as("EKS token %s changed EKS twice", change.eksToken())
                    .isTrue();
            Request request = requestOf(parser, change.principal(), change.eksToken(), change.groupsAfter(),
                    change.usernameAfter());
            assertThat(request).as("the request of EKS token %s", change.eksToken()).isNotNull();
            accepted.add(request);
            changesOfRequest.computeIfAbsent(identity(parser, request), ignored -> new ArrayList<>()).add(position);
            // Nothing reset by omission, no lost update: the change is the request applied to the entry as it was.
            assertThat(new Harness.EntryState(new TreeSet<>(change.groupsAfter()), change.usernameAfter()))
                    .as("change by %s", request.messageId())
                    .isEqualTo(request.applyTo(new Harness.EntryState(new TreeSet<>(change.groupsBefore()),
                            change.usernameBefore())));
        }
        // No change is recomputed after EKS accepted it: a request changes EKS with one set of parameters. The one
        // exception the contract names (section 4.2, "Not covered"): its change was never recorded (the instance
        // died or the outcome stayed unknown), and another request changed the entry before the redelivery
        // recomputed it. Updates after a recorded change are caught as they are sent (recomputations above).
        changesOfRequest.forEach((identity, positions) -> {
            for (int index = 1; index < positions.size(); index++) {
                int earlier = positions.get(index - 1);
                int later = positions.get(index);
                String principal = changes.get(later).principal();
                boolean changedBetween = changes.subList(earlier + 1, later).stream()
                        .anyMatch(other -> other.principal().equals(principal));
                assertThat(changedBetween).as("request %s changed EKS with two parameter sets (changes %d and %d)"
                        + " without another change to the entry between them", identity, earlier, later).isTrue();
                recomputedOnChangedEntry.add(identity.substring(0, identity.indexOf(' ')));
            }
        });

        // Invariant 4: every request that changed EKS has its Updated event(s), all naming the token. No
        // exceptions: a publish failure leaves the claim APPLIED with its event, and whoever finishes it
        // publishes that event.
        Map<String, Integer> updatedPerToken = new HashMap<>();
        for (Map<String, Object> detail : harness.events("Access Entry Updated")) {
            updatedPerToken.merge((String) detail.get("clientRequestToken"), 1, Integer::sum);
        }
        for (Request request : accepted) {
            String token = tokenOf(request);
            assertThat(updatedPerToken.getOrDefault(token, 0))
                    .as("Updated events for token %s (changed EKS)", token).isGreaterThanOrEqualTo(1);
        }
        if (!duplicateEventsPossible && crashes == 0) {
            updatedPerToken.forEach((token, count) ->
                    assertThat(count).as("Updated events for %s without a crash after publishing", token).isEqualTo(1));
        }

        // Invariant 5 and the final state: per entry, the accepted requests applied once each, in queue order
        // for FIFO (in the order EKS saw them for a standard queue). A request sent twice (same token and body)
        // sits at two places in the queue: any of them may be the one applied.
        Map<String, Harness.EntryState> expected = initialEntries();
        if (fifo) {
            for (String principal : Messages.PRINCIPALS) {
                int position = -1;
                for (Harness.Change change : changes) {
                    if (!change.principal().equals(principal)) {
                        continue;
                    }
                    int previous = position;
                    position = requests.stream()
                            .filter(request -> request.index() > previous && sends(parser, request, principal,
                                    change.eksToken(), change.groupsAfter(), change.usernameAfter()))
                            .mapToInt(Request::index).min().orElse(Integer.MAX_VALUE);
                    assertThat(position).as("invariant 5: change %s to %s comes after message %d in queue order",
                            change.eksToken(), principal, previous).isNotEqualTo(Integer.MAX_VALUE);
                }
            }
        }
        for (Request request : accepted) {
            expected.put(request.principal(), request.applyTo(expected.get(request.principal())));
        }
        for (String principal : Messages.PRINCIPALS) {
            Harness.EntryState actual = harness.entry(principal);
            assertThat(new Harness.EntryState(new TreeSet<>(actual.groups()), actual.username()))
                    .as("final state of %s", principal).isEqualTo(expected.get(principal));
        }

        // Invariant 6: no claim or lease outlives its inProgressUntil, and no recorded change is left unfinished.
        long now = harness.nowMillis();
        harness.inProgressClaims().forEach((token, until) ->
                assertThat(until).as("claim %s lapsed", token).isLessThanOrEqualTo(now));
        harness.heldLeases().forEach((key, until) ->
                assertThat(until).as("lease %s lapsed", key).isLessThanOrEqualTo(now));
        assertThat(harness.claimStatuses()).as("claims left APPLIED after every message ended")
                .doesNotContainValue("APPLIED");
    }
}
