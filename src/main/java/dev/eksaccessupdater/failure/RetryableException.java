package dev.eksaccessupdater.failure;

/**
 * A transient failure (throttling, 5xx, timeout, unavailable dependency): the message goes back to SQS. A failed
 * call that may nevertheless have changed something ({@link #outcomeUnknown()}: a timeout, a 5xx, a lost
 * connection) says so, because what the attempt may release afterwards depends on it (docs/contract.md
 * section 4.1, "Release").
 */
public final class RetryableException extends AccessChangeException {

    private final boolean outcomeUnknown;

    public RetryableException(String message, Throwable cause) {
        this(message, cause, false);
    }

    public RetryableException(String message) {
        this(message, null, false);
    }

    private RetryableException(String message, Throwable cause, boolean outcomeUnknown) {
        super(message, cause);
        this.outcomeUnknown = outcomeUnknown;
    }

    /** A call whose effect is not known: it may have been applied. */
    public static RetryableException outcomeUnknown(String message, Throwable cause) {
        return new RetryableException(message, cause, true);
    }

    /** True when the failed call may have taken effect all the same. */
    public boolean outcomeUnknown() {
        return outcomeUnknown;
    }
}
