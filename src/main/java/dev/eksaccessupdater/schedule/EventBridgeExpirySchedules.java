package dev.eksaccessupdater.schedule;

import dev.eksaccessupdater.digest.Sha256;
import dev.eksaccessupdater.failure.FailureMessages;
import dev.eksaccessupdater.failure.RetryableException;
import dev.eksaccessupdater.time.CallBudget;
import dev.eksaccessupdater.time.CallTimeouts;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.Supplier;
import software.amazon.awssdk.awscore.AwsRequestOverrideConfiguration;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.services.scheduler.SchedulerClient;
import software.amazon.awssdk.services.scheduler.SchedulerClientBuilder;
import software.amazon.awssdk.services.scheduler.model.ActionAfterCompletion;
import software.amazon.awssdk.services.scheduler.model.ConflictException;
import software.amazon.awssdk.services.scheduler.model.CreateScheduleRequest;
import software.amazon.awssdk.services.scheduler.model.FlexibleTimeWindowMode;
import software.amazon.awssdk.services.scheduler.model.GetScheduleResponse;
import software.amazon.awssdk.services.scheduler.model.Target;

/**
 * {@link ExpirySchedules} over EventBridge Scheduler {@code CreateSchedule}, with {@code GetSchedule} to tell an
 * earlier attempt's schedule from a defect when the name is taken. The {@link SchedulerClient} is built on the
 * first call that needs it, once: most requests carry no {@code expiresAt}, and an unused client costs init time.
 */
public final class EventBridgeExpirySchedules implements ExpirySchedules {

    static final String CREATE = "Scheduler CreateSchedule";
    static final String GET = "Scheduler GetSchedule";
    /** The {@code at()} expression is read in this zone; docs/contract.md section 8 writes it in UTC. */
    static final String TIMEZONE = "UTC";

    private final Supplier<SchedulerClient> scheduler;
    private final String groupName;
    private final String queueArn;
    private final String roleArn;

    /**
     * @param scheduler builds the client; called once, on the first {@link #create} that gets as far as a call
     * @param groupName the schedule group ({@code SCHEDULE_GROUP_NAME})
     * @param queueArn the request queue the expiries go to ({@code REQUEST_QUEUE_ARN})
     * @param roleArn the role EventBridge Scheduler assumes to send them ({@code SCHEDULER_ROLE_ARN})
     */
    public EventBridgeExpirySchedules(Supplier<SchedulerClient> scheduler, String groupName, String queueArn,
                                      String roleArn) {
        this.scheduler = builtOnFirstUse(Objects.requireNonNull(scheduler, "scheduler"));
        this.groupName = Objects.requireNonNull(groupName, "groupName");
        this.queueArn = Objects.requireNonNull(queueArn, "queueArn");
        this.roleArn = Objects.requireNonNull(roleArn, "roleArn");
    }

    /**
     * The client as the composition root builds its others, but only on the first {@code get()}, and once:
     * {@code builder} (endpoint, region and credentials adjusted or left to the SDK's defaults), the shared HTTP
     * client and the client-wide timeouts. Thread-safe; a failed build is tried again on the next {@code get()}.
     */
    public static Supplier<SchedulerClient> clientOnFirstUse(Supplier<SchedulerClientBuilder> builder,
                                                             SdkHttpClient httpClient,
                                                             ClientOverrideConfiguration timeouts) {
        Objects.requireNonNull(builder, "builder");
        Objects.requireNonNull(httpClient, "httpClient");
        Objects.requireNonNull(timeouts, "timeouts");
        return builtOnFirstUse(() -> builder.get().httpClient(httpClient).overrideConfiguration(timeouts).build());
    }

    /** {@code factory}'s value, made on the first {@code get()} and kept; thread-safe. */
    static <T> Supplier<T> builtOnFirstUse(Supplier<T> factory) {
        return factory instanceof OnFirstUse<T> already ? already : new OnFirstUse<>(factory);
    }

    @Override
    public void create(ExpirySchedule schedule, CallBudget budget) {
        // Asked before anything else: a cancelled or spent budget makes no call and builds no client.
        Consumer<AwsRequestOverrideConfiguration.Builder> timeouts = CallTimeouts.within(budget, CREATE);
        CreateScheduleRequest request = request(schedule).toBuilder().overrideConfiguration(timeouts).build();
        try {
            scheduler.get().createSchedule(request);
            return;
        } catch (ConflictException nameTaken) {
            // An earlier attempt of this grant may have created it (perhaps at another time: docs/contract.md
            // section 8).
        } catch (SdkException e) {
            throw failure(CREATE, schedule, e);
        }
        verifyExisting(schedule, budget);
    }

    /** The request without per-call settings: exactly what docs/contract.md section 8 asks for. */
    CreateScheduleRequest request(ExpirySchedule schedule) {
        Target.Builder target = Target.builder()
                .arn(queueArn)
                .roleArn(roleArn)
                .input(schedule.input())
                // The longest Scheduler allows (API reference, RetryPolicy: at most 86400 s and 185 attempts), set
                // rather than left to a default: an expiry that cannot reach the queue is retried for a day.
                .retryPolicy(retry -> retry.maximumEventAgeInSeconds(86_400).maximumRetryAttempts(185));
        if (schedule.messageGroupId() != null) {
            // EventBridge Scheduler can set only the group id of a FIFO message; the queue deduplicates by content.
            target.sqsParameters(sqs -> sqs.messageGroupId(schedule.messageGroupId()));
        }
        return CreateScheduleRequest.builder()
                .name(schedule.name())
                .groupName(groupName)
                .scheduleExpression(schedule.expression())
                .scheduleExpressionTimezone(TIMEZONE)
                .flexibleTimeWindow(window -> window.mode(FlexibleTimeWindowMode.OFF))
                .actionAfterCompletion(ActionAfterCompletion.DELETE)
                .target(target.build())
                .clientToken(clientToken(schedule.name()))
                .build();
    }

    /**
     * The same name always gives the same token, so that the SDK's own retries and this function's are one
     * request to Scheduler. A token is 1-64 characters of {@code [a-zA-Z0-9-_]} (shape {@code ClientToken} in the
     * service model, botocore {@code scheduler/2021-06-30/service-2.json}); a name may also hold {@code .} and be
     * 64 long, so the token is the name's SHA-256 in hex: exactly 64 allowed characters.
     */
    static String clientToken(String scheduleName) {
        return Sha256.hex(scheduleName);
    }

    /**
     * Success when the schedule of that name carries our input. When it is gone by now (it fired, and DELETE
     * removed it), GetSchedule fails and the message is retried: the retry creates it again, and the expiry it
     * sends a second time has the same token, so it is applied once.
     */
    private void verifyExisting(ExpirySchedule schedule, CallBudget budget) {
        Consumer<AwsRequestOverrideConfiguration.Builder> timeouts = CallTimeouts.within(budget, GET);
        GetScheduleResponse existing;
        try {
            existing = scheduler.get().getSchedule(request -> request
                    .name(schedule.name())
                    .groupName(groupName)
                    .overrideConfiguration(timeouts));
        } catch (SdkException e) {
            throw failure(GET, schedule, e);
        }
        String existingInput = existing.target() == null ? null : existing.target().input();
        if (!schedule.input().equals(existingInput)) {
            throw new RetryableException(CREATE + ": the schedule " + schedule.name() + " in group " + groupName
                    + " exists with another input. Names derive from the request token and expiresAt, so two"
                    + " grants cannot share one: this is a defect to alarm on, not a race.");
        }
    }

    /** Names the call, the schedule and the error, never the input: it holds the grant's metadata. */
    private static RetryableException failure(String call, ExpirySchedule schedule, SdkException e) {
        String description;
        if (e instanceof AwsServiceException serviceException && serviceException.awsErrorDetails() != null) {
            AwsErrorDetails details = serviceException.awsErrorDetails();
            String code = details.errorCode() == null ? e.getClass().getSimpleName() : details.errorCode();
            description = code + " (HTTP " + serviceException.statusCode() + "): "
                    + oneLine(details.errorMessage() == null ? "(no message)" : details.errorMessage(), schedule);
        } else {
            description = e.getClass().getSimpleName() + ": " + oneLine(String.valueOf(e.getMessage()), schedule);
        }
        return new RetryableException(call + " failed for the schedule " + schedule.name() + ": " + description, e);
    }

    /** The error message without the expiry message in it: a message body is never logged. */
    private static String oneLine(String text, ExpirySchedule schedule) {
        return FailureMessages.oneLine(text.replace(schedule.input(), "<the expiry message>"));
    }

    /** A value made once, by the first caller that needs it; a failure leaves it to be made by the next one. */
    private static final class OnFirstUse<T> implements Supplier<T> {

        private final Supplier<T> factory;
        private volatile T value;

        OnFirstUse(Supplier<T> factory) {
            this.factory = factory;
        }

        @Override
        public T get() {
            T current = value;
            if (current == null) {
                synchronized (this) {
                    current = value;
                    if (current == null) {
                        current = Objects.requireNonNull(factory.get(), "the factory returned null");
                        value = current;
                    }
                }
            }
            return current;
        }
    }
}
