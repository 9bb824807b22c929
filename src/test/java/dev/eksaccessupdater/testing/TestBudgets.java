package dev.eksaccessupdater.testing;

import dev.eksaccessupdater.time.CallBudget;
import java.time.Clock;
import java.time.Duration;

/** Call budgets for adapter tests, which are not about the deadline. */
public final class TestBudgets {

    private TestBudgets() {
    }

    /** A minute left by the system clock. */
    public static CallBudget aMinute() {
        return new CallBudget(Clock.systemUTC().instant().plus(Duration.ofMinutes(1)), Clock.systemUTC());
    }
}
