package dev.eksaccessupdater.failure;

/** A transient failure (throttling, 5xx, timeout, unavailable dependency): the message goes back to SQS. */
public final class RetryableException extends AccessChangeException {

    public RetryableException(String message, Throwable cause) {
        super(message, cause);
    }

    public RetryableException(String message) {
        super(message, null);
    }
}
