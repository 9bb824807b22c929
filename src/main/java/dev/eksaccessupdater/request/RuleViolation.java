package dev.eksaccessupdater.request;

/**
 * A field of a request object breaks a rule of docs/contract.md section 2. Internal to parsing: {@link RequestParser}
 * turns it into an {@link InvalidMessageException} carrying what could be read of the message.
 */
final class RuleViolation extends RuntimeException {

    RuleViolation(String message) {
        // An expected outcome for bad input, not a bug: no stack trace to fill.
        super(message, null, false, false);
    }
}
