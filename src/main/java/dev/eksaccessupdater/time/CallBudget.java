package dev.eksaccessupdater.time;

import dev.eksaccessupdater.failure.RetryableException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * The time one message attempt may spend on AWS calls (contract section 3, "Deadline"): no call starts later
 * than {@link #CALL_MARGIN} before the invocation's deadline, each call's timeout is cut so that it ends by then,
 * and once the handler has answered ({@link #cancel}) no further call starts at all. Adapters ask it for the
 * timeout of every call they are about to make; a frozen and later thawed Lambda environment therefore never
 * resumes a message that was already reported for retry.
 */
public final class CallBudget {

    /** No AWS call starts later than this before the invocation's deadline. */
    public static final Duration CALL_MARGIN = Duration.ofMillis(500);

    private final Instant deadline;
    private final Instant callsEndBy;
    private final Clock clock;
    private volatile boolean cancelled;

    public CallBudget(Instant deadline, Clock clock) {
        this.deadline = Objects.requireNonNull(deadline, "deadline");
        this.callsEndBy = deadline.minus(CALL_MARGIN);
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** The invocation's deadline: claims and leases taken in it are held until then. */
    public Instant deadline() {
        return deadline;
    }

    public Clock clock() {
        return clock;
    }

    /**
     * The timeout for the call about to start: {@code preferred}, cut so that the call ends by
     * {@link #CALL_MARGIN} before the deadline.
     *
     * @throws RetryableException when the invocation answered already, or no time is left for a call
     */
    public Duration timeoutFor(String call, Duration preferred) {
        if (cancelled) {
            throw new RetryableException(call + " not started: the invocation has already answered");
        }
        Duration left = Duration.between(clock.instant(), callsEndBy);
        if (left.isNegative() || left.isZero()) {
            throw new RetryableException(call + " not started: less than " + CALL_MARGIN.toMillis()
                    + " ms of the invocation left");
        }
        return left.compareTo(preferred) < 0 ? left : preferred;
    }

    /** The time left before {@code margin} before the deadline; negative when that moment has passed. */
    public Duration leftBefore(Duration margin) {
        return Duration.between(clock.instant(), deadline.minus(margin));
    }

    /** Called when the handler has answered: every later {@link #timeoutFor} throws. */
    public void cancel() {
        cancelled = true;
    }

    public boolean isCancelled() {
        return cancelled;
    }
}
