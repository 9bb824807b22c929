package dev.eksaccessupdater.standin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.jr.ob.JSON;
import dev.eksaccessupdater.standin.SchedulerStandIn.RecordedRequest;
import dev.eksaccessupdater.standin.SchedulerStandIn.Schedule;
import dev.eksaccessupdater.testing.SteppingClock;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import software.amazon.awssdk.services.scheduler.SchedulerClient;
import software.amazon.awssdk.services.scheduler.model.ConflictException;
import software.amazon.awssdk.services.scheduler.model.CreateScheduleRequest;
import software.amazon.awssdk.services.scheduler.model.FlexibleTimeWindow;
import software.amazon.awssdk.services.scheduler.model.GetScheduleResponse;
import software.amazon.awssdk.services.scheduler.model.InternalServerException;
import software.amazon.awssdk.services.scheduler.model.ListSchedulesResponse;
import software.amazon.awssdk.services.scheduler.model.ResourceNotFoundException;
import software.amazon.awssdk.services.scheduler.model.ScheduleSummary;
import software.amazon.awssdk.services.scheduler.model.SchedulerException;
import software.amazon.awssdk.services.scheduler.model.Target;
import software.amazon.awssdk.services.scheduler.model.ThrottlingException;
import software.amazon.awssdk.services.scheduler.model.ValidationException;

/** The Scheduler stand-in driven by the real SDK client: wire format, validation, errors and fault injection. */
class SchedulerStandInTest {

    private static final String GROUP = "expiries";
    private static final String QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:access-requests";
    private static final String ROLE_ARN = "arn:aws:iam::123456789012:role/scheduler-sends-expiries";
    private static final String INPUT = "{\"clusterName\":\"demo\",\"removeKubernetesGroups\":[\"oncall\"]}";
    private static final Instant START = Instant.parse("2026-03-01T10:00:00Z");

    private final SteppingClock clock = new SteppingClock(START);
    private SchedulerStandIn scheduler;
    private SchedulerClient client;

    @BeforeEach
    void start() {
        scheduler = new SchedulerStandIn(clock).createGroup(GROUP).start();
        client = StandInClients.scheduler(scheduler.endpoint());
    }

    @AfterEach
    void stop() {
        client.close();
        scheduler.close();
    }

    @Test
    void createSchedule_whenValid_storesItAndAnswersItsArn() {
        String arn = client.createSchedule(valid("eau-1")).scheduleArn();

        assertThat(arn).isEqualTo("arn:aws:scheduler:us-east-1:123456789012:schedule/expiries/eau-1");
        Schedule stored = scheduler.schedule(GROUP, "eau-1");
        assertThat(stored.fireAt()).isEqualTo(Instant.parse("2026-03-01T18:00:00Z"));
        assertThat(stored.input()).isEqualTo(INPUT);
        assertThat(stored.targetArn()).isEqualTo(QUEUE_ARN);
        assertThat(stored.roleArn()).isEqualTo(ROLE_ARN);
        assertThat(stored.messageGroupId()).isNull();
        assertThat(stored.actionAfterCompletion()).isEqualTo("DELETE");
        assertThat(stored.state()).isEqualTo("ENABLED");
        assertThat(stored.creationDate()).isEqualTo(START);
        RecordedRequest request = scheduler.requests().get(0);
        assertThat(request.operation()).isEqualTo(SchedulerStandIn.CREATE);
        assertThat(request.method()).isEqualTo("POST");
        assertThat(request.rawPath()).isEqualTo("/schedules/eau-1");
        assertThat(request.body()).containsEntry("GroupName", GROUP).doesNotContainKey("Name");
    }

    @Test
    void getSchedule_whenCreated_answersEveryFieldAsSent() {
        client.createSchedule(valid("eau-1").toBuilder().description("expiry of ticket T-1")
                .target(target -> target.arn(QUEUE_ARN + ".fifo").roleArn(ROLE_ARN).input(INPUT)
                        .sqsParameters(sqs -> sqs.messageGroupId("alice")))
                .build());
        clock.advance(Duration.ofMinutes(1));

        GetScheduleResponse schedule = client.getSchedule(request -> request.name("eau-1").groupName(GROUP));

        assertThat(schedule.arn()).isEqualTo("arn:aws:scheduler:us-east-1:123456789012:schedule/expiries/eau-1");
        assertThat(schedule.name()).isEqualTo("eau-1");
        assertThat(schedule.groupName()).isEqualTo(GROUP);
        assertThat(schedule.scheduleExpression()).isEqualTo("at(2026-03-01T18:00:00)");
        assertThat(schedule.scheduleExpressionTimezone()).isEqualTo("UTC");
        assertThat(schedule.flexibleTimeWindow().modeAsString()).isEqualTo("OFF");
        assertThat(schedule.actionAfterCompletionAsString()).isEqualTo("DELETE");
        assertThat(schedule.stateAsString()).isEqualTo("ENABLED");
        assertThat(schedule.description()).isEqualTo("expiry of ticket T-1");
        assertThat(schedule.creationDate()).isEqualTo(START);
        assertThat(schedule.lastModificationDate()).isEqualTo(START);
        assertThat(schedule.target().arn()).isEqualTo(QUEUE_ARN + ".fifo");
        assertThat(schedule.target().roleArn()).isEqualTo(ROLE_ARN);
        assertThat(schedule.target().input()).isEqualTo(INPUT);
        assertThat(schedule.target().sqsParameters().messageGroupId()).isEqualTo("alice");
        assertThat(scheduler.requests(SchedulerStandIn.GET)).singleElement()
                .satisfies(request -> assertThat(request.query()).isEqualTo(Map.of("groupName", GROUP)));
    }

    @Test
    void createSchedule_whenNameTakenWithAnotherToken_answersConflict() {
        client.createSchedule(valid("eau-1"));

        ConflictException conflict = catchThrowableOfType(ConflictException.class,
                () -> client.createSchedule(valid("eau-1").toBuilder().clientToken("another-token").build()));

        assertThat(conflict.statusCode()).isEqualTo(409);
        assertThat(conflict.awsErrorDetails().errorCode()).isEqualTo("ConflictException");
        assertThat(conflict.awsErrorDetails().errorMessage()).isEqualTo("Schedule eau-1 already exists.");
        assertThat(scheduler.schedules()).hasSize(1);
    }

    @Test
    void createSchedule_whenRepeatedWithTheSameTokenAndRequest_answersTheFirstAnswerAgain() {
        String first = client.createSchedule(valid("eau-1")).scheduleArn();

        String again = client.createSchedule(valid("eau-1")).scheduleArn();

        assertThat(again).isEqualTo(first);
        assertThat(scheduler.requests()).extracting(RecordedRequest::status).containsExactly(200, 200);
        assertThatThrownBy(() -> client.createSchedule(valid("eau-1").toBuilder()
                .scheduleExpression("at(2026-03-01T18:01:00)").build()))
                .as("the same token with another request is a conflict")
                .isInstanceOf(ConflictException.class);
    }

    @Test
    void createSchedule_whenGroupUnknown_answersResourceNotFound() {
        ResourceNotFoundException notFound = catchThrowableOfType(ResourceNotFoundException.class,
                () -> client.createSchedule(valid("eau-1").toBuilder().groupName("nobody-made-it").build()));

        assertThat(notFound.statusCode()).isEqualTo(404);
        assertThat(notFound.awsErrorDetails().errorMessage())
                .isEqualTo("Schedule group nobody-made-it does not exist.");
        assertThat(scheduler.schedules()).isEmpty();
    }

    @Test
    void createSchedule_whenGroupOmitted_usesTheDefaultGroup() {
        client.createSchedule(valid("eau-1").toBuilder().groupName(null).build());

        assertThat(scheduler.schedule(SchedulerStandIn.DEFAULT_GROUP, "eau-1")).isNotNull();
        assertThat(client.getSchedule(request -> request.name("eau-1")).groupName()).isEqualTo("default");
    }

    @Test
    void createSchedule_whenTimezoneGiven_readsTheExpressionInIt() {
        client.createSchedule(valid("eau-1").toBuilder().scheduleExpressionTimezone("Europe/Berlin").build());

        assertThat(scheduler.schedule(GROUP, "eau-1").fireAt()).isEqualTo(Instant.parse("2026-03-01T17:00:00Z"));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            name too long           | Name must be 1-64 characters
            name with a colon       | Name must be 1-64 characters
            group name invalid      | GroupName must be 1-64 characters
            token too long          | ClientToken must be 1-64 characters of [a-zA-Z0-9-_]
            token with a dot        | ClientToken must be 1-64 characters of [a-zA-Z0-9-_]
            no expression           | ScheduleExpression is required
            day that does not exist | Invalid Schedule Expression at(2026-02-30T10:00:00).
            time without seconds    | Invalid Schedule Expression at(2026-03-01T10:00).
            Z suffix                | Invalid Schedule Expression at(2026-03-01T10:00:00Z).
            rate expression         | The stand-in serves one-time at() schedules only, not rate(5 minutes)
            unknown timezone        | Invalid ScheduleExpressionTimezone Mars/Olympus.
            no window               | FlexibleTimeWindow is required
            window mode unknown     | FlexibleTimeWindow.Mode must be one of [OFF, FLEXIBLE], not SOMETIMES
            flexible without size   | FlexibleTimeWindow.MaximumWindowInMinutes must be 1-1440 when Mode is FLEXIBLE
            action unknown          | ActionAfterCompletion must be one of [NONE, DELETE], not ARCHIVE
            no target               | Target is required
            no role                 | Target.RoleArn is required
            role is a user          | Target.RoleArn is not an IAM role ARN: arn:aws:iam::123456789012:user/bob
            not a queue             | The stand-in delivers to SQS queues only; Target.Arn is not an SQS queue ARN
            empty input             | Target.Input must not be empty
            group id too long       | Target.SqsParameters.MessageGroupId must be 1-128 characters
            retry age too short     | Target.RetryPolicy.MaximumEventAgeInSeconds must be 60-86400
            """)
    void createSchedule_whenAFieldBreaksTheModelsRules_answersValidationNamingIt(String rule, String message) {
        CreateScheduleRequest request = invalid(rule);

        ValidationException refusal = catchThrowableOfType(ValidationException.class,
                () -> client.createSchedule(request));

        assertThat(refusal.statusCode()).isEqualTo(400);
        assertThat(refusal.awsErrorDetails().errorCode()).isEqualTo("ValidationException");
        assertThat(refusal.awsErrorDetails().errorMessage()).startsWith(message);
        assertThat(scheduler.schedules()).isEmpty();
        assertThat(scheduler.requests()).singleElement()
                .satisfies(recorded -> assertThat(recorded.errorType()).isEqualTo("ValidationException"));
    }

    @Test
    void createSchedule_whenTimeHasPassed_acceptsItAndFiresItAtTheNextCheck() {
        client.createSchedule(valid("eau-1").toBuilder().scheduleExpression("at(2026-03-01T09:00:00)").build());

        assertThat(scheduler.schedule(GROUP, "eau-1").fireAt()).isBefore(START);
        assertThat(scheduler.fireDue()).singleElement()
                .satisfies(delivery -> assertThat(delivery.scheduleName()).isEqualTo("eau-1"));
    }

    @Test
    void getSchedule_whenUnknown_answersResourceNotFound() {
        ResourceNotFoundException notFound = catchThrowableOfType(ResourceNotFoundException.class,
                () -> client.getSchedule(request -> request.name("eau-404").groupName(GROUP)));

        assertThat(notFound.statusCode()).isEqualTo(404);
        assertThat(notFound.awsErrorDetails().errorMessage()).isEqualTo("Schedule eau-404 does not exist.");
    }

    @Test
    void getSchedule_whenAskedInAnotherGroup_doesNotFindIt() {
        client.createSchedule(valid("eau-1"));

        assertThatThrownBy(() -> client.getSchedule(request -> request.name("eau-1")))
                .isInstanceOf(ResourceNotFoundException.class);
    }

    @Test
    void deleteSchedule_whenExists_removesItAndSendsTheTokenInTheQuery() {
        client.createSchedule(valid("eau-1"));

        client.deleteSchedule(request -> request.name("eau-1").groupName(GROUP).clientToken("delete-1"));

        assertThat(scheduler.schedules()).isEmpty();
        assertThat(scheduler.requests(SchedulerStandIn.DELETE)).singleElement().satisfies(request -> {
            assertThat(request.method()).isEqualTo("DELETE");
            assertThat(request.query()).containsEntry("groupName", GROUP).containsEntry("clientToken", "delete-1");
        });
        assertThatThrownBy(() -> client.deleteSchedule(request -> request.name("eau-1").groupName(GROUP)))
                .isInstanceOf(ResourceNotFoundException.class);
    }

    @Test
    void listSchedules_whenFiltered_answersTheMatchingSummariesInNameOrder() {
        scheduler.createGroup("other");
        client.createSchedule(valid("eau-b"));
        client.createSchedule(valid("eau-a"));
        client.createSchedule(valid("other-c"));
        client.createSchedule(valid("eau-d").toBuilder().groupName("other").build());
        client.createSchedule(valid("eau-e").toBuilder().state("DISABLED").build());

        ListSchedulesResponse byGroupAndPrefix = client.listSchedules(request -> request.groupName(GROUP)
                .namePrefix("eau-").state("ENABLED"));
        ListSchedulesResponse everything = client.listSchedules(request -> { });

        assertThat(byGroupAndPrefix.schedules()).extracting(ScheduleSummary::name).containsExactly("eau-a", "eau-b");
        ScheduleSummary summary = byGroupAndPrefix.schedules().get(0);
        assertThat(summary.arn()).endsWith(":schedule/expiries/eau-a");
        assertThat(summary.groupName()).isEqualTo(GROUP);
        assertThat(summary.stateAsString()).isEqualTo("ENABLED");
        assertThat(summary.target().arn()).isEqualTo(QUEUE_ARN);
        assertThat(summary.creationDate()).isEqualTo(START);
        assertThat(byGroupAndPrefix.nextToken()).isNull();
        assertThat(everything.schedules()).extracting(ScheduleSummary::name)
                .containsExactly("eau-a", "eau-b", "eau-e", "other-c", "eau-d");
        assertThat(scheduler.requests(SchedulerStandIn.LIST).get(0).query()).isEqualTo(Map.of(
                "ScheduleGroup", GROUP, "NamePrefix", "eau-", "State", "ENABLED"));
    }

    @Test
    void listSchedules_whenMorePagesThanMaxResults_pagesWithNextToken() {
        for (int index = 1; index <= 5; index++) {
            client.createSchedule(valid("eau-" + index));
        }

        ListSchedulesResponse first = client.listSchedules(request -> request.groupName(GROUP).maxResults(2));
        List<String> all = client.listSchedulesPaginator(request -> request.groupName(GROUP).maxResults(2))
                .schedules().stream().map(ScheduleSummary::name).toList();

        assertThat(first.schedules()).extracting(ScheduleSummary::name).containsExactly("eau-1", "eau-2");
        assertThat(first.nextToken()).isNotBlank();
        assertThat(all).containsExactly("eau-1", "eau-2", "eau-3", "eau-4", "eau-5");
        assertThat(scheduler.requests(SchedulerStandIn.LIST)).hasSize(4);
    }

    @ParameterizedTest
    @CsvSource({"MaxResults, 0, MaxResults must be a number from 1 to 100",
            "MaxResults, 101, MaxResults must be a number from 1 to 100",
            "NextToken, not-a-token, Invalid NextToken",
            "State, PAUSED, 'State must be one of [ENABLED, DISABLED], not PAUSED'"})
    void listSchedules_whenAParameterIsInvalid_answersValidation(String parameter, String value, String message)
            throws IOException, InterruptedException {
        HttpResponse<String> response = raw("GET", "/schedules?" + parameter + "=" + value, null);

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(response.headers().firstValue("x-amzn-ErrorType")).contains("ValidationException");
        assertThat(JSON.std.mapFrom(response.body())).isEqualTo(Map.of("Message", message));
    }

    @Test
    void listSchedules_whenGroupUnknown_answersResourceNotFound() {
        assertThatThrownBy(() -> client.listSchedules(request -> request.groupName("nobody-made-it")))
                .isInstanceOf(ResourceNotFoundException.class)
                .hasMessageContaining("Schedule group nobody-made-it does not exist.");
    }

    @Test
    void failNextCalls_whenSet_failsThatManyCallsOfAnyOperation() {
        scheduler.failNextCalls(2, 500, "InternalServerException");

        assertThatThrownBy(() -> client.createSchedule(valid("eau-1"))).isInstanceOf(InternalServerException.class);
        assertThatThrownBy(() -> client.listSchedules(request -> { })).isInstanceOf(InternalServerException.class);
        client.createSchedule(valid("eau-1"));

        assertThat(scheduler.requests()).extracting(RecordedRequest::status).containsExactly(500, 500, 200);
        assertThat(scheduler.schedules()).hasSize(1);
    }

    @ParameterizedTest
    @CsvSource({"ThrottlingException, 429", "InternalServerException, 500", "ServiceQuotaExceededException, 402"})
    void failNextCalls_whenOnlyTheErrorTypeIsGiven_answersWithTheModelsStatus(String errorType, int status) {
        scheduler.failNextCalls(1, errorType);

        SchedulerException failure = catchThrowableOfType(SchedulerException.class,
                () -> client.createSchedule(valid("eau-1")));

        assertThat(failure.statusCode()).isEqualTo(status);
        assertThat(failure.awsErrorDetails().errorCode()).isEqualTo(errorType);
        assertThatThrownBy(() -> scheduler.failNextCalls(1, "ServiceUnavailable"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not an error of the Scheduler model: ServiceUnavailable");
    }

    @Test
    void failNextOperation_whenSet_failsOnlyThatOperationWithTheGivenMessage() {
        scheduler.failNextOperation(SchedulerStandIn.GET, 1, 429, "ThrottlingException", "Rate exceeded");
        client.createSchedule(valid("eau-1"));

        ThrottlingException throttled = catchThrowableOfType(ThrottlingException.class,
                () -> client.getSchedule(request -> request.name("eau-1").groupName(GROUP)));

        assertThat(throttled.statusCode()).isEqualTo(429);
        assertThat(throttled.awsErrorDetails().errorMessage()).isEqualTo("Rate exceeded");
        assertThat(client.getSchedule(request -> request.name("eau-1").groupName(GROUP)).name()).isEqualTo("eau-1");
    }

    @Test
    void delay_whenSet_holdsEveryAnswer() {
        scheduler.delay(Duration.ofMillis(300));

        long start = System.nanoTime();
        client.listSchedules(request -> { });

        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(300));
    }

    @Test
    void handle_whenNoOperationServesTheRoute_answersUnknownOperation() throws IOException, InterruptedException {
        HttpResponse<String> response = raw("PUT", "/schedules/eau-1", "{}");

        assertThat(response.statusCode()).isEqualTo(404);
        assertThat(response.headers().firstValue("x-amzn-ErrorType")).contains("UnknownOperationException");
        assertThat(scheduler.requests()).singleElement()
                .satisfies(request -> assertThat(request.operation()).isNull());
    }

    @Test
    void handle_whenBodyIsNotJson_answersSerializationException() throws IOException, InterruptedException {
        HttpResponse<String> response = raw("POST", "/schedules/eau-1", "not json");

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(response.headers().firstValue("x-amzn-ErrorType")).contains("SerializationException");
    }

    @Test
    void fireNow_whenNoSqsClientConnected_recordsAFailedDeliveryAndKeepsTheSchedule() {
        client.createSchedule(valid("eau-1"));

        SchedulerStandIn.Delivery delivery = scheduler.fireNow("eau-1");

        assertThat(delivery.delivered()).isFalse();
        assertThat(delivery.failure()).contains("deliverTo");
        assertThat(scheduler.schedule(GROUP, "eau-1")).isNotNull();
        assertThatThrownBy(() -> scheduler.fireNow("eau-404")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void getSchedule_whenNameHoldsASlash_decodesItsOnePathSegmentAndRefusesTheName() {
        ValidationException refusal = catchThrowableOfType(ValidationException.class,
                () -> client.getSchedule(request -> request.name("eau/1").groupName(GROUP)));

        assertThat(refusal.awsErrorDetails().errorMessage()).startsWith("Name must be 1-64 characters");
        assertThat(scheduler.requests()).singleElement().satisfies(request -> {
            assertThat(request.rawPath()).isEqualTo("/schedules/eau%2F1");
            assertThat(request.name()).isEqualTo("eau/1");
        });
    }

    private HttpResponse<String> raw(String method, String pathAndQuery, String body)
            throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(scheduler.endpoint() + pathAndQuery))
                .header("Content-Type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        return HttpClient.newHttpClient().send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static CreateScheduleRequest valid(String name) {
        return CreateScheduleRequest.builder()
                .name(name)
                .groupName(GROUP)
                .scheduleExpression("at(2026-03-01T18:00:00)")
                .scheduleExpressionTimezone("UTC")
                .flexibleTimeWindow(window -> window.mode("OFF"))
                .actionAfterCompletion("DELETE")
                .target(target -> target.arn(QUEUE_ARN).roleArn(ROLE_ARN).input(INPUT))
                .clientToken("token-" + name)
                .build();
    }

    private static CreateScheduleRequest invalid(String rule) {
        CreateScheduleRequest valid = valid("eau-1");
        return switch (rule) {
            case "name too long" -> valid.toBuilder().name("n".repeat(65)).build();
            case "name with a colon" -> valid.toBuilder().name("eau:1").build();
            case "group name invalid" -> valid.toBuilder().groupName("expiries/2").build();
            case "token too long" -> valid.toBuilder().clientToken("t".repeat(65)).build();
            case "token with a dot" -> valid.toBuilder().clientToken("token.1").build();
            case "no expression" -> valid.toBuilder().scheduleExpression(null).build();
            case "day that does not exist" -> valid.toBuilder().scheduleExpression("at(2026-02-30T10:00:00)").build();
            case "time without seconds" -> valid.toBuilder().scheduleExpression("at(2026-03-01T10:00)").build();
            case "Z suffix" -> valid.toBuilder().scheduleExpression("at(2026-03-01T10:00:00Z)").build();
            case "rate expression" -> valid.toBuilder().scheduleExpression("rate(5 minutes)").build();
            case "unknown timezone" -> valid.toBuilder().scheduleExpressionTimezone("Mars/Olympus").build();
            case "no window" -> valid.toBuilder().flexibleTimeWindow((FlexibleTimeWindow) null).build();
            case "window mode unknown" -> valid.toBuilder().flexibleTimeWindow(window -> window.mode("SOMETIMES"))
                    .build();
            case "flexible without size" -> valid.toBuilder().flexibleTimeWindow(window -> window.mode("FLEXIBLE"))
                    .build();
            case "action unknown" -> valid.toBuilder().actionAfterCompletion("ARCHIVE").build();
            case "no target" -> valid.toBuilder().target((Target) null)
                    .build();
            case "no role" -> withTarget(valid, target -> target.roleArn(null));
            case "role is a user" -> withTarget(valid, target -> target.roleArn("arn:aws:iam::123456789012:user/bob"));
            case "not a queue" -> withTarget(valid, target -> target.arn("arn:aws:lambda:us-east-1:123456789012:"
                    + "function:f"));
            case "empty input" -> withTarget(valid, target -> target.input(""));
            case "group id too long" -> withTarget(valid, target -> target.sqsParameters(sqs -> sqs
                    .messageGroupId("g".repeat(129))));
            case "retry age too short" -> withTarget(valid, target -> target.retryPolicy(retry -> retry
                    .maximumEventAgeInSeconds(59)));
            default -> throw new IllegalArgumentException(rule);
        };
    }

    private static CreateScheduleRequest withTarget(CreateScheduleRequest request, Consumer<Target.Builder> change) {
        Target.Builder target = request.target().toBuilder();
        change.accept(target);
        return request.toBuilder().target(target.build()).build();
    }
}
