package dev.eksaccessupdater.failure;

import java.util.Objects;

/**
 * A permanent failure with its reason code (docs/contract.md section 5): retrying the same message would fail the
 * same way.
 */
public non-sealed class RejectionException extends AccessChangeException {

    private final ReasonCode reasonCode;

    public RejectionException(ReasonCode reasonCode, String message) {
        this(reasonCode, message, null);
    }

    public RejectionException(ReasonCode reasonCode, String message, Throwable cause) {
        super(message, cause);
        this.reasonCode = Objects.requireNonNull(reasonCode, "reasonCode");
    }

    public ReasonCode reasonCode() {
        return reasonCode;
    }
}
