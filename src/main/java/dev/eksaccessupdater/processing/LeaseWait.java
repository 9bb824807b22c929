package dev.eksaccessupdater.processing;

import dev.eksaccessupdater.dedup.Lease;
import dev.eksaccessupdater.failure.RetryableException;
import dev.eksaccessupdater.time.CallBudget;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;

/**
 * Waiting for an entry lease another attempt holds (docs/contract.md section 4.2): exponential backoff with jitter
 * from about {@link #FIRST_PAUSE}, pauses at most {@link #MAX_PAUSE} apart, for at most {@link #MAX_WAIT} and never
 * past {@link BatchProcessor#SAFETY_MARGIN} before the deadline.
 */
public final class LeaseWait {

    static final Duration FIRST_PAUSE = Duration.ofMillis(50);
    static final Duration MAX_PAUSE = Duration.ofSeconds(1);
    static final Duration MAX_WAIT = Duration.ofSeconds(5);

    /** How a waiting attempt passes time: {@link Thread#sleep} in Lambda, a stepping clock in tests. */
    @FunctionalInterface
    public interface Pause {
        Pause SLEEP = duration -> Thread.sleep(duration.toMillis());

        void pause(Duration duration) throws InterruptedException;
    }

    private final Pause pause;

    public LeaseWait(Pause pause) {
        this.pause = pause;
    }

    /**
     * Tries {@code acquire} again after each pause until it gives a lease.
     *
     * @return the lease, or {@code null} when the wait ran out
     */
    Lease await(Supplier<Optional<Lease>> acquire, CallBudget budget) {
        Instant start = budget.clock().instant();
        Instant byMaxWait = start.plus(MAX_WAIT);
        Instant byDeadline = budget.deadline().minus(BatchProcessor.SAFETY_MARGIN);
        Instant giveUpAt = byMaxWait.isBefore(byDeadline) ? byMaxWait : byDeadline;
        Duration backoff = FIRST_PAUSE;
        while (true) {
            Duration left = Duration.between(budget.clock().instant(), giveUpAt);
            if (left.isNegative() || left.isZero()) {
                return null;
            }
            Duration jittered = backoff.dividedBy(2).plusMillis(
                    ThreadLocalRandom.current().nextLong(backoff.dividedBy(2).toMillis() + 1));
            try {
                pause.pause(jittered.compareTo(left) < 0 ? jittered : left);
            } catch (InterruptedException interrupted) {
                Thread.currentThread().interrupt();
                throw new RetryableException("interrupted while waiting for the access entry's lease");
            }
            Optional<Lease> lease = acquire.get();
            if (lease.isPresent()) {
                return lease.get();
            }
            backoff = backoff.multipliedBy(2).compareTo(MAX_PAUSE) < 0 ? backoff.multipliedBy(2) : MAX_PAUSE;
        }
    }
}
