package dev.eksaccessupdater.failure;

/**
 * A failure while handling one message, already classified by the adapter that saw it: either worth
 * another delivery ({@link RetryableException}) or final ({@link RejectionException}). The processor
 * never inspects SDK exceptions.
 */
public abstract sealed class AccessChangeException extends RuntimeException
        permits RetryableException, RejectionException {

    AccessChangeException(String message, Throwable cause) {
        super(message, cause);
    }
}
