package dev.eksaccessupdater.local;

import dev.eksaccessupdater.eks.AccessEntry;
import dev.eksaccessupdater.local.LocalQueues.QueueCounts;
import dev.eksaccessupdater.standin.EksStandIn.RecordedRequest;
import dev.eksaccessupdater.standin.EventBridgeStandIn.PublishedEvent;
import dev.eksaccessupdater.standin.SchedulerStandIn;
import dev.eksaccessupdater.standin.SchedulerStandIn.Delivery;
import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * The default run of {@code ./run-local.sh}: sends sample requests through the local stack and tells, in plain
 * words, what happened to each: applied, skipped as a duplicate, rejected, dead-lettered after retries, and a
 * time-bound grant ended by its expiry.
 * Checks each story against the stand-ins' state, so a story that did not happen fails the run.
 */
final class LocalDemo {

    static final String DEVELOPERS = "arn:aws:iam::111122223333:role/developers";
    static final String DEPLOYERS = "arn:aws:iam::111122223333:role/deployers";
    static final String APPLY_TOKEN = "demo-ticket-4711";
    static final String INVALID_TOKEN = "demo-ticket-4712";
    static final String FAILING_TOKEN = "demo-ticket-4713";
    static final String ALICE = "arn:aws:iam::111122223333:user/alice";
    static final String GRANT_TOKEN = "demo-ticket-4714";
    static final String GRANTED_GROUP = "oncall-payments";
    static final String APPLY_REQUEST = "{\"clusterName\":\"demo\",\"principalArn\":\"" + DEVELOPERS + "\","
            + "\"addKubernetesGroups\":[\"dev-deployers\"],\"clientRequestToken\":\"" + APPLY_TOKEN + "\","
            + "\"metadata\":{\"approver\":\"alice@example.com\",\"ticket\":\"T-4711\",\"reason\":\"joins the release"
            + " rota\"}}";
    /** {@code kubernetesGroup} instead of {@code kubernetesGroups}: a typo that must not pass silently. */
    static final String INVALID_REQUEST = "{\"clusterName\":\"demo\",\"principalArn\":\"" + DEVELOPERS + "\","
            + "\"kubernetesGroup\":[\"dev-admins\"],\"clientRequestToken\":\"" + INVALID_TOKEN + "\"}";
    static final String FAILING_REQUEST = "{\"clusterName\":\"demo\",\"principalArn\":\"" + DEPLOYERS + "\","
            + "\"addKubernetesGroups\":[\"dev-releasers\"],\"clientRequestToken\":\"" + FAILING_TOKEN + "\"}";
    /** Far more failures than the demo will ever ask for: every EKS call about the principal fails. */
    private static final int ALWAYS = 10_000;
    private static final Duration SETTLE_TIMEOUT = Duration.ofSeconds(30);

    private final LocalStack stack;
    private final PrintStream out;
    private final List<String> failures = new ArrayList<>();

    LocalDemo(LocalStack stack, PrintStream out) {
        this.stack = stack;
        this.out = out;
    }

    /** Tells the five stories; true when each happened as expected. */
    boolean run() {
        long start = System.nanoTime();
        boolean[] happened = {applied(), duplicate(), rejected(), deadLettered(), timeBound()};
        String[] names = {"a request applied", "the same request skipped as a duplicate",
                "an invalid request rejected with its reason", "a failing request retried, then dead-lettered",
                "a time-bound grant, then its expiry"};
        out.println();
        out.println("== Summary ==");
        for (int story = 0; story < happened.length; story++) {
            out.printf("  %d. %-48s %s%n", story + 1, names[story], happened[story] ? "ok" : "DID NOT HAPPEN");
        }
        failures.forEach(failure -> out.println("  - " + failure));
        boolean all = failures.isEmpty();
        out.printf("%s (%.0f s). The events are in %s.%n",
                all ? "All five stories happened as expected" : "Some stories did not happen as expected",
                (System.nanoTime() - start) / 1e9, LocalStack.EVENTS_FILE);
        out.println("Run ./run-local.sh --serve to keep the stack running and send your own requests.");
        return all;
    }

    // 1.

    private boolean applied() {
        heading(1, "A request is applied");
        AccessEntry before = stack.eks().entry(LocalStack.CLUSTER_NAME, DEVELOPERS);
        say("The access entry of role/developers on cluster demo, before:");
        say("  " + describe(before));
        say("An approval system sends this request to the queue (add the group dev-deployers):");
        say("  " + APPLY_REQUEST);
        int eventsBefore = stack.eventBridge().events().size();
        int requestsBefore = stack.eks().requests().size();
        String messageId = stack.send(APPLY_REQUEST, "developers", null);
        say("Sent as message " + messageId + "; waiting for the function ...");
        boolean deleted = stack.awaitDeleted(messageId, SETTLE_TIMEOUT);

        AccessEntry after = stack.eks().entry(LocalStack.CLUSTER_NAME, DEVELOPERS);
        List<PublishedEvent> events = newEvents(eventsBefore, "Access Entry Updated", APPLY_TOKEN);
        List<String> calls = stack.eks().requests().subList(requestsBefore, stack.eks().requests().size()).stream()
                .map(RecordedRequest::operation).toList();
        say("The function claimed token " + APPLY_TOKEN + " in DynamoDB, then called EKS: "
                + (calls.isEmpty() ? "nothing" : String.join(" then ", calls)) + ". It reads the entry first so that"
                + " what the request leaves out (here the other groups and the username) is kept: the raw"
                + " UpdateAccessEntry API would reset it.");
        say("The access entry, after:");
        say("  " + describe(after));
        if (!events.isEmpty()) {
            say("It published the event \"Access Entry Updated\" (the [EventBridge] line above), carrying the"
                    + " entry, the previous groups and the request's metadata, then marked the token COMPLETED.");
        }
        return check(1, deleted, "the message was not deleted from the queue")
                & check(1, after.kubernetesGroups().containsAll(List.of("dev-viewers", "dev-deployers")),
                        "the entry does not hold dev-viewers and dev-deployers: " + after.kubernetesGroups())
                & check(1, after.username().equals(before.username()), "the username changed")
                & check(1, events.size() == 1, "expected one Access Entry Updated event, got " + events.size());
    }

    // 2.

    private boolean duplicate() {
        heading(2, "The same request again is skipped as a duplicate");
        say("Queues deliver at least once, and approval systems retry: the same request arrives again.");
        int eventsBefore = stack.eventBridge().events().size();
        int updatesBefore = stack.eks().updateCount();
        int callsBefore = stack.eks().requests().size();
        // A FIFO queue would drop an identical body sent within 5 minutes by itself (content-based deduplication);
        // a new deduplication id is what a sender retrying after a lost answer looks like.
        String deduplicationId = stack.options().fifo() ? UUID.randomUUID().toString() : null;
        String messageId = stack.send(APPLY_REQUEST, "developers", deduplicationId);
        say("Sent again as message " + messageId + (deduplicationId == null ? ""
                : " (with a new FIFO deduplication id, else SQS itself would drop it)") + "; waiting ...");
        boolean deleted = stack.awaitDeleted(messageId, SETTLE_TIMEOUT);
        Map<String, AttributeValue> record = stack.function().dynamoDb().getItem(request -> request
                .tableName(LocalStack.TABLE_NAME)
                .key(Map.of("clientRequestToken", AttributeValue.fromS(APPLY_TOKEN)))
                .consistentRead(true)).item();
        String status = record.containsKey("status") ? record.get("status").s() : "(no record)";
        int newCalls = stack.eks().requests().size() - callsBefore;
        int newEvents = stack.eventBridge().events().size() - eventsBefore;
        say("The idempotency table holds token " + APPLY_TOKEN + " as " + status + " with the same request hash,"
                + " so the function skipped it (outcome DUPLICATE): " + newCalls + " calls to EKS, " + newEvents
                + " new events, and the message was deleted from the queue.");
        return check(2, deleted, "the duplicate was not deleted from the queue")
                & check(2, "COMPLETED".equals(status), "the token's record is " + status + ", not COMPLETED")
                & check(2, stack.eks().updateCount() == updatesBefore, "EKS was called to update again")
                & check(2, newEvents == 0, "a duplicate published " + newEvents + " events");
    }

    // 3.

    private boolean rejected() {
        heading(3, "An invalid request is rejected, with its reason");
        say("This request has a typo, kubernetesGroup instead of kubernetesGroups:");
        say("  " + INVALID_REQUEST);
        int eventsBefore = stack.eventBridge().events().size();
        AccessEntry before = stack.eks().entry(LocalStack.CLUSTER_NAME, DEVELOPERS);
        String messageId = stack.send(INVALID_REQUEST, "developers", null);
        say("Sent as message " + messageId + "; waiting ...");
        boolean deleted = stack.awaitDeleted(messageId, SETTLE_TIMEOUT);
        List<PublishedEvent> events = newEvents(eventsBefore, "Access Change Rejected", INVALID_TOKEN);
        String code = "(none)";
        String message = "(none)";
        if (!events.isEmpty() && events.get(0).detail().get("reason") instanceof Map<?, ?> reason) {
            code = String.valueOf(reason.get("code"));
            message = String.valueOf(reason.get("message"));
        }
        say("Unknown fields are refused rather than ignored. The function published \"Access Change Rejected\":");
        say("  reason " + code + ": " + message);
        say("It did not call EKS, and the message was deleted: retrying would not make it valid.");
        return check(3, deleted, "the invalid message was not deleted from the queue")
                & check(3, events.size() == 1, "expected one Access Change Rejected event, got " + events.size())
                & check(3, "INVALID_MESSAGE".equals(code), "the reason code is " + code)
                & check(3, message.contains("kubernetesGroup"), "the reason does not name the field: " + message)
                & check(3, before.equals(stack.eks().entry(LocalStack.CLUSTER_NAME, DEVELOPERS)),
                        "the entry changed");
    }

    // 4.

    private boolean deadLettered() {
        heading(4, "A request whose EKS call keeps failing ends in the dead-letter queue");
        int maxReceiveCount = stack.options().maxReceiveCount();
        int visibility = stack.options().visibilityTimeoutSeconds();
        say("The EKS stand-in now answers every call about role/deployers with HTTP 500 ServerException, as during"
                + " an EKS outage. The request:");
        say("  " + FAILING_REQUEST);
        say("The queue moves a message to the dead-letter queue after " + maxReceiveCount + " receives, and a failed"
                + " message comes back after the visibility timeout of " + visibility + " s (template.yaml: "
                + stack.template().maxReceiveCount() + " receives, " + stack.template().visibilityTimeoutSeconds()
                + " s; shortened so the demo takes seconds).");
        stack.eks().failNext(DEPLOYERS, ALWAYS, "ServerException", 500);
        AccessEntry before = stack.eks().entry(LocalStack.CLUSTER_NAME, DEPLOYERS);
        int eventsBefore = stack.eventBridge().events().size();
        String messageId = stack.send(FAILING_REQUEST, "deployers", null);
        say("Sent as message " + messageId + ".");
        Duration perAttempt = Duration.ofSeconds(visibility).plus(SETTLE_TIMEOUT);
        int attempts = 0;
        long failedCallsSeen = 0;
        for (int attempt = 1; attempt <= maxReceiveCount; attempt++) {
            say(attempt == 1 ? "Waiting for the first attempt ..."
                    : "Waiting " + visibility + " s for the message to come back ...");
            List<BatchOutcome> outcomes = stack.awaitOutcomes(messageId, attempt, perAttempt);
            if (outcomes.size() < attempt) {
                break;
            }
            attempts = attempt;
            BatchOutcome outcome = outcomes.get(attempt - 1);
            boolean kept = outcome.retriedIds().contains(messageId);
            long failedCalls = stack.eks().requests().stream()
                    .filter(request -> DEPLOYERS.equals(request.principalArn()) && request.status() == 500)
                    .count();
            say("Attempt " + attempt + " of " + maxReceiveCount + ": EKS answered HTTP 500 to "
                    + (failedCalls - failedCallsSeen) + " call(s) (the SDK retries within an attempt), so the"
                    + " function released the token and listed the message in batchItemFailures; "
                    + (kept ? "it stays on the queue." : "but it was deleted!"));
            failedCallsSeen = failedCalls;
        }
        say("Waiting for SQS to move it to " + stack.queuePair().deadLetters().name() + " ...");
        QueueCounts deadLetters = awaitDeadLetters(Duration.ofSeconds(visibility).plus(SETTLE_TIMEOUT));
        QueueCounts requests = stack.queues().counts(stack.queuePair().requests());
        stack.eks().clearFaults();
        List<PublishedEvent> events = newEvents(eventsBefore, null, FAILING_TOKEN);
        say("After " + attempts + " failed receives SQS moved the message to the dead-letter queue (it holds "
                + deadLetters.total() + " message(s)); in AWS the template's alarm on that queue would now go off,"
                + " and someone would redrive the message once EKS is back. No event was published and the entry"
                + " is unchanged: " + describe(stack.eks().entry(LocalStack.CLUSTER_NAME, DEPLOYERS)));
        return check(4, attempts == maxReceiveCount, "the function saw the message " + attempts + " times, not "
                        + maxReceiveCount)
                & check(4, deadLetters.total() == 1, "the dead-letter queue holds " + deadLetters.total()
                        + " messages, not 1")
                & check(4, requests.total() == 0, "the request queue still holds " + requests.total() + " messages")
                & check(4, events.isEmpty(), "events were published for a request that never applied")
                & check(4, before.equals(stack.eks().entry(LocalStack.CLUSTER_NAME, DEPLOYERS)),
                        "the entry changed");
    }

    private QueueCounts awaitDeadLetters(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        QueueCounts counts = stack.queues().counts(stack.queuePair().deadLetters());
        while (counts.total() == 0 && System.nanoTime() < deadline) {
            pause(Duration.ofMillis(100));
            counts = stack.queues().counts(stack.queuePair().deadLetters());
        }
        return counts;
    }

    // 5.

    private boolean timeBound() {
        heading(5, "A time-bound grant, and its expiry removing the group");
        String expiresAt = Instant.now().plus(Duration.ofHours(2)).truncatedTo(ChronoUnit.SECONDS).toString();
        String grant = "{\"clusterName\":\"demo\",\"principalArn\":\"" + ALICE + "\",\"addKubernetesGroups\":[\""
                + GRANTED_GROUP + "\"],\"expiresAt\":\"" + expiresAt + "\",\"clientRequestToken\":\"" + GRANT_TOKEN
                + "\",\"metadata\":{\"ticket\":\"OPS-4714\",\"reason\":\"on call for the payments shift\"}}";
        say("An on-call shift: the approval system grants user/alice the group " + GRANTED_GROUP
                + " for two hours, with expiresAt:");
        say("  " + grant);
        int eventsBefore = stack.eventBridge().events().size();
        String messageId = stack.send(grant, "alice", null);
        say("Sent as message " + messageId + "; waiting ...");
        boolean granted = stack.awaitDeleted(messageId, SETTLE_TIMEOUT);
        AccessEntry during = stack.eks().entry(LocalStack.CLUSTER_NAME, ALICE);
        List<PublishedEvent> grantEvents = newEvents(eventsBefore, "Access Entry Updated", GRANT_TOKEN);
        List<SchedulerStandIn.Schedule> schedules = stack.scheduler().schedules().stream()
                .filter(schedule -> schedule.groupName().equals(LocalStack.SCHEDULE_GROUP_NAME)).toList();
        say("The entry now: " + describe(during));
        say("The function recorded the grant on the entry's lease item and created one EventBridge Scheduler schedule"
                + " in group " + LocalStack.SCHEDULE_GROUP_NAME + ":");
        schedules.forEach(schedule -> say("  " + schedule.name() + " at " + schedule.expression()
                + ", sends to the request queue: " + schedule.input()));
        say("Its event carries expiresAt and grantedGroups.");
        boolean grantHappened = check(5, granted, "the grant was not deleted from the queue")
                & check(5, during != null && during.kubernetesGroups().contains(GRANTED_GROUP),
                        "the entry does not hold " + GRANTED_GROUP + " after the grant")
                & check(5, grantEvents.size() == 1 && expiresAt.equals(grantEvents.get(0).detail().get("expiresAt")),
                        "expected one Access Entry Updated event with expiresAt " + expiresAt)
                & check(5, schedules.size() == 1, "expected one expiry schedule, found " + schedules.size());
        if (!grantHappened) {
            return false;
        }

        say("Rather than wait two hours, the Scheduler stand-in fires the schedule now (on AWS, EventBridge"
                + " Scheduler sends it at expiresAt).");
        int beforeExpiry = stack.eventBridge().events().size();
        Delivery delivery = stack.fireSchedule(schedules.get(0).name());
        say("It sent the expiry to the request queue as message " + delivery.messageId() + "; waiting ...");
        boolean expired = delivery.delivered() && stack.awaitDeleted(delivery.messageId(), SETTLE_TIMEOUT);
        AccessEntry after = stack.eks().entry(LocalStack.CLUSTER_NAME, ALICE);
        List<PublishedEvent> expiryEvents = stack.eventBridge().events()
                .subList(beforeExpiry, stack.eventBridge().events().size()).stream()
                .filter(event -> GRANT_TOKEN.equals(event.detail().get("expiryOf")))
                .toList();
        say("The expiry went the normal way (claimed, leased, described, updated, published) and removed the group,"
                + " because no later request had decided about it. The entry now: " + describe(after));
        if (!expiryEvents.isEmpty()) {
            say("Its event carries expiryOf " + GRANT_TOKEN + " and expiredGroups "
                    + expiryEvents.get(0).detail().get("expiredGroups") + ".");
        }
        return check(5, expired, "the expiry was not delivered and deleted: " + delivery.failure())
                & check(5, after != null && !after.kubernetesGroups().contains(GRANTED_GROUP),
                        "the entry still holds " + GRANTED_GROUP + " after the expiry")
                & check(5, expiryEvents.size() == 1, "expected one event with expiryOf, got " + expiryEvents.size());
    }

    // Helpers.

    /** Events accepted since {@code since} about {@code token}, of {@code detailType} unless {@code null}. */
    private List<PublishedEvent> newEvents(int since, String detailType, String token) {
        List<PublishedEvent> events = stack.eventBridge().events();
        return events.subList(Math.min(since, events.size()), events.size()).stream()
                .filter(event -> detailType == null || detailType.equals(event.detailType()))
                .filter(event -> token.equals(event.detail().get("clientRequestToken")))
                .toList();
    }

    private static String describe(AccessEntry entry) {
        if (entry == null) {
            return "(no entry)";
        }
        return "groups " + entry.kubernetesGroups() + ", username " + entry.username() + ", type " + entry.type()
                + ", modified " + entry.modifiedAt();
    }

    private boolean check(int story, boolean condition, String failure) {
        if (!condition) {
            failures.add("story " + story + ": " + failure);
        }
        return condition;
    }

    private void heading(int story, String title) {
        out.println();
        out.println("== " + story + ". " + title + " ==");
    }

    private void say(String text) {
        out.println(text);
    }

    private static void pause(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", interrupted);
        }
    }
}
