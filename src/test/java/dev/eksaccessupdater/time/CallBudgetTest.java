package dev.eksaccessupdater.time;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.eksaccessupdater.failure.RetryableException;
import dev.eksaccessupdater.testing.SteppingClock;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import software.amazon.awssdk.awscore.AwsRequestOverrideConfiguration;

/**
 * docs/contract.md section 3, "Deadline": no call starts later than 0.5 s before the deadline, none after the
 * answer, and each call's timeouts end by then.
 */
class CallBudgetTest {

    private static final Instant DEADLINE = Instant.parse("2026-12-04T12:00:00Z");
    private static final Duration PREFERRED = Duration.ofSeconds(5);

    private final SteppingClock clock = new SteppingClock(DEADLINE.minusSeconds(60));
    private final CallBudget budget = new CallBudget(DEADLINE, clock);

    @Test
    void timeoutFor_whenMuchTimeIsLeft_returnsThePreferredTimeout() {
        assertThat(budget.timeoutFor("call", PREFERRED)).isEqualTo(PREFERRED);
    }

    @Test
    void timeoutFor_whenLessThanThePreferredTimeoutIsLeft_cutsItToEndHalfASecondBeforeTheDeadline() {
        clock.set(DEADLINE.minusSeconds(2));

        assertThat(budget.timeoutFor("call", PREFERRED)).isEqualTo(Duration.ofMillis(1500));
    }

    @Test
    void timeoutFor_whenAMillisecondMoreThanTheMarginIsLeft_allowsAOneMillisecondCall() {
        clock.set(DEADLINE.minus(CallBudget.CALL_MARGIN).minusMillis(1));

        assertThat(budget.timeoutFor("call", PREFERRED)).isEqualTo(Duration.ofMillis(1));
    }

    @ParameterizedTest
    @ValueSource(longs = {500, 499, 1, 0, -1_000})
    void timeoutFor_whenHalfASecondOrLessIsLeft_throwsRetryableNamingTheCall(long millisLeft) {
        clock.set(DEADLINE.minusMillis(millisLeft));

        assertThatThrownBy(() -> budget.timeoutFor("EKS UpdateAccessEntry", PREFERRED))
                .isInstanceOf(RetryableException.class)
                .hasMessage("EKS UpdateAccessEntry not started: less than 500 ms of the invocation left");
    }

    @Test
    void timeoutFor_whenCancelled_throwsRetryableWithTimeLeft() {
        budget.cancel();

        assertThat(budget.isCancelled()).isTrue();
        assertThatThrownBy(() -> budget.timeoutFor("DynamoDB PutItem (claim)", PREFERRED))
                .isInstanceOf(RetryableException.class)
                .hasMessage("DynamoDB PutItem (claim) not started: the invocation has already answered");
    }

    @Test
    void within_whenLittleTimeIsLeft_cutsTheCallAndAttemptTimeoutsToWhatIsLeft() {
        clock.set(DEADLINE.minusMillis(1_200));

        AwsRequestOverrideConfiguration.Builder override = AwsRequestOverrideConfiguration.builder();
        CallTimeouts.within(budget, "call").accept(override);

        assertThat(override.apiCallTimeout()).isEqualTo(Duration.ofMillis(700));
        assertThat(override.apiCallAttemptTimeout()).isEqualTo(Duration.ofMillis(700));
    }

    @Test
    void within_whenMuchTimeIsLeft_usesTheUsualTimeouts() {
        AwsRequestOverrideConfiguration.Builder override = AwsRequestOverrideConfiguration.builder();
        CallTimeouts.within(budget, "call").accept(override);

        assertThat(override.apiCallTimeout()).isEqualTo(CallTimeouts.CALL);
        assertThat(override.apiCallAttemptTimeout()).isEqualTo(CallTimeouts.ATTEMPT);
    }
}
