package dev.eksaccessupdater.request;

import dev.eksaccessupdater.failure.ReasonCode;
import dev.eksaccessupdater.failure.RejectionException;

/** The message breaks a rule of docs/contract.md section 2; the message names the field or rule at fault. */
public final class InvalidMessageException extends RejectionException {

    private final transient RequestSummary readable;

    public InvalidMessageException(String message, RequestSummary readable) {
        super(ReasonCode.INVALID_MESSAGE, message);
        this.readable = readable;
    }

    /** The fields that could be read, for the rejection event. */
    public RequestSummary readable() {
        return readable;
    }
}
