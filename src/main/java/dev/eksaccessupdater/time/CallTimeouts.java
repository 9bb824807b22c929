package dev.eksaccessupdater.time;

import java.time.Duration;
import java.util.function.Consumer;
import software.amazon.awssdk.awscore.AwsRequestOverrideConfiguration;

/** The SDK timeouts of one AWS call, cut to the message's {@link CallBudget}: what every adapter applies. */
public final class CallTimeouts {

    /** One attempt may not take longer than this; the SDK retries within {@link #CALL}. */
    public static final Duration ATTEMPT = Duration.ofSeconds(2);
    public static final Duration CALL = Duration.ofSeconds(5);

    private CallTimeouts() {
    }

    /**
     * The request override for a call about to start.
     *
     * @throws dev.eksaccessupdater.failure.RetryableException when the budget allows no call any more
     */
    public static Consumer<AwsRequestOverrideConfiguration.Builder> within(CallBudget budget, String call) {
        Duration total = budget.timeoutFor(call, CALL);
        Duration attempt = total.compareTo(ATTEMPT) < 0 ? total : ATTEMPT;
        return config -> config.apiCallTimeout(total).apiCallAttemptTimeout(attempt);
    }
}
