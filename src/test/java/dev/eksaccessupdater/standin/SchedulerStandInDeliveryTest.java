package dev.eksaccessupdater.standin;

import static org.assertj.core.api.Assertions.assertThat;

import dev.eksaccessupdater.local.LocalQueues;
import dev.eksaccessupdater.local.LocalQueues.Queue;
import dev.eksaccessupdater.local.LocalQueues.QueueSettings;
import dev.eksaccessupdater.standin.SchedulerStandIn.Delivery;
import dev.eksaccessupdater.testing.SteppingClock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.scheduler.SchedulerClient;
import software.amazon.awssdk.services.scheduler.model.CreateScheduleRequest;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.MessageSystemAttributeName;

/** The Scheduler stand-in's deliveries: a schedule's input sent to its SQS target (ElasticMQ), when and how. */
class SchedulerStandInDeliveryTest {

    private static final String GROUP = "expiries";
    private static final String ROLE_ARN = "arn:aws:iam::123456789012:role/scheduler-sends-expiries";
    private static final String INPUT = "{\"clusterName\":\"demo\",\"removeKubernetesGroups\":[\"oncall\"]}";
    private static final Instant START = Instant.parse("2026-03-01T10:00:00Z");
    private static final AtomicInteger QUEUE_NUMBER = new AtomicInteger();

    private static LocalQueues queues;

    private final SteppingClock clock = new SteppingClock(START);
    private SchedulerStandIn scheduler;
    private SchedulerClient client;

    @BeforeAll
    static void startQueues() {
        queues = LocalQueues.start();
    }

    @AfterAll
    static void stopQueues() {
        queues.close();
    }

    @BeforeEach
    void start() {
        scheduler = new SchedulerStandIn(clock).createGroup(GROUP).deliverTo(queues.sqsClient()).start();
        client = StandInClients.scheduler(scheduler.endpoint());
    }

    @AfterEach
    void stop() {
        client.close();
        scheduler.close();
    }

    @Test
    void fireDue_whenTheTimeComes_sendsTheInputToTheQueueAndDeletesTheSchedule() {
        Queue queue = queue(false);
        client.createSchedule(schedule("eau-1", queue, "at(2026-03-01T11:00:00)"));

        List<Delivery> early = scheduler.fireDue();
        clock.set(Instant.parse("2026-03-01T11:00:00Z"));
        List<Delivery> due = scheduler.fireDue();

        assertThat(early).isEmpty();
        Delivery delivery = due.get(0);
        assertThat(due).hasSize(1);
        assertThat(delivery.delivered()).as(delivery.failure()).isTrue();
        assertThat(delivery.queueUrl()).isEqualTo(queue.url());
        assertThat(delivery.time()).isEqualTo(Instant.parse("2026-03-01T11:00:00Z"));
        Message message = receiveOne(queue);
        assertThat(message.body()).isEqualTo(INPUT);
        assertThat(message.messageId()).isEqualTo(delivery.messageId());
        assertThat(scheduler.schedules()).as("ActionAfterCompletion DELETE").isEmpty();
        assertThat(scheduler.fireDue()).isEmpty();
    }

    @Test
    void fireNow_whenFifoTarget_sendsWithTheMessageGroupId() {
        Queue queue = queue(true);
        client.createSchedule(schedule("eau-1", queue, "at(2026-12-04T18:00:00)").toBuilder()
                .target(target -> target.arn(queue.arn()).roleArn(ROLE_ARN).input(INPUT)
                        .sqsParameters(sqs -> sqs.messageGroupId("alice")))
                .build());

        Delivery delivery = scheduler.fireNow(GROUP, "eau-1");

        assertThat(delivery.delivered()).as(delivery.failure()).isTrue();
        assertThat(delivery.messageGroupId()).isEqualTo("alice");
        Message message = receiveOne(queue);
        assertThat(message.body()).isEqualTo(INPUT);
        assertThat(message.attributes()).containsEntry(MessageSystemAttributeName.MESSAGE_GROUP_ID, "alice");
    }

    @Test
    void fireDue_whenActionAfterCompletionIsNone_keepsTheScheduleAndNeverFiresItAgain() {
        Queue queue = queue(false);
        client.createSchedule(schedule("eau-1", queue, "at(2026-03-01T10:00:00)").toBuilder()
                .actionAfterCompletion("NONE").build());

        assertThat(scheduler.fireDue()).hasSize(1);
        clock.advance(Duration.ofHours(1));

        assertThat(scheduler.fireDue()).isEmpty();
        assertThat(scheduler.schedule(GROUP, "eau-1").completed()).isTrue();
        assertThat(scheduler.schedule(GROUP, "eau-1").lastModificationDate()).isEqualTo(START);
        assertThat(receiveOne(queue).body()).isEqualTo(INPUT);
    }

    @Test
    void fireDue_whenDisabled_leavesItButFireNowStillSendsIt() {
        Queue queue = queue(false);
        client.createSchedule(schedule("eau-1", queue, "at(2026-03-01T10:00:00)").toBuilder()
                .state("DISABLED").build());

        assertThat(scheduler.fireDue()).isEmpty();
        assertThat(scheduler.fireNow("eau-1").delivered()).isTrue();
        assertThat(receiveOne(queue).body()).isEqualTo(INPUT);
    }

    @Test
    void pollEvery_whenTheClockReachesTheTime_deliversOnItsOwn() throws InterruptedException {
        Queue queue = queue(false);
        List<Delivery> heard = new CopyOnWriteArrayList<>();
        scheduler.onDelivery(heard::add).pollEvery(Duration.ofMillis(20));
        client.createSchedule(schedule("eau-1", queue, "at(2026-03-01T10:30:00)"));

        Thread.sleep(200);
        assertThat(scheduler.deliveries()).as("not due yet").isEmpty();
        clock.advance(Duration.ofMinutes(30));

        assertThat(scheduler.awaitDelivered(1, Duration.ofSeconds(10))).hasSize(1);
        assertThat(heard).hasSize(1);
        assertThat(receiveOne(queue).body()).isEqualTo(INPUT);
        assertThat(scheduler.deliveries()).as("fired once, then deleted").hasSize(1);
    }

    @Test
    void fireDue_whenDeliveryFails_keepsTheScheduleAndDeliversItAtTheNextCheck() {
        Queue queue = queue(false);
        client.createSchedule(schedule("eau-1", queue, "at(2026-03-01T10:00:00)"));
        scheduler.failNextDeliveries(1, "Injected: SQS unreachable");

        Delivery failed = scheduler.fireDue().get(0);
        Delivery retried = scheduler.fireDue().get(0);

        assertThat(failed.delivered()).isFalse();
        assertThat(failed.failure()).isEqualTo("Injected: SQS unreachable");
        assertThat(failed.messageId()).isNull();
        assertThat(retried.delivered()).isTrue();
        assertThat(receiveOne(queue).body()).isEqualTo(INPUT);
        assertThat(scheduler.deliveries()).extracting(Delivery::delivered).containsExactly(false, true);
    }

    @Test
    void fireNow_whenTheTargetQueueDoesNotExist_recordsSqsRefusalAndKeepsTheSchedule() {
        Queue missing = new Queue("never-created", null, "arn:aws:sqs:us-east-1:123456789012:never-created");
        client.createSchedule(schedule("eau-1", missing, "at(2026-03-01T10:00:00)"));

        Delivery delivery = scheduler.fireNow("eau-1");

        assertThat(delivery.delivered()).isFalse();
        assertThat(delivery.failure()).contains("QueueDoesNotExist");
        assertThat(scheduler.schedule(GROUP, "eau-1")).isNotNull();
    }

    @Test
    void fireNow_whenFifoTargetHasNoGroupId_recordsSqsRefusal() {
        Queue queue = queue(true);
        client.createSchedule(schedule("eau-1", queue, "at(2026-03-01T10:00:00)"));

        Delivery delivery = scheduler.fireNow("eau-1");

        assertThat(delivery.delivered()).isFalse();
        assertThat(delivery.failure()).containsIgnoringCase("MessageGroupId");
        assertThat(queues.counts(queue).total()).isZero();
    }

    private static Queue queue(boolean fifo) {
        return queues.createQueues("scheduler-target-" + QUEUE_NUMBER.incrementAndGet(),
                new QueueSettings(fifo, 5, 30)).requests();
    }

    private static Message receiveOne(Queue queue) {
        List<Message> messages = queues.sqsClient().receiveMessage(request -> request.queueUrl(queue.url())
                .maxNumberOfMessages(10).waitTimeSeconds(1)
                .messageSystemAttributeNames(MessageSystemAttributeName.MESSAGE_GROUP_ID)).messages();
        assertThat(messages).hasSize(1);
        return messages.get(0);
    }

    private static CreateScheduleRequest schedule(String name, Queue queue, String expression) {
        return CreateScheduleRequest.builder()
                .name(name)
                .groupName(GROUP)
                .scheduleExpression(expression)
                .flexibleTimeWindow(window -> window.mode("OFF"))
                .actionAfterCompletion("DELETE")
                .target(target -> target.arn(queue.arn()).roleArn(ROLE_ARN).input(INPUT))
                .build();
    }
}
