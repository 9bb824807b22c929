package dev.eksaccessupdater.failure;

/**
 * Why a message was rejected: the {@code reason.code} of an {@code Access Change Rejected} event (docs/contract.md
 * section 5).
 */
public enum ReasonCode {
    INVALID_MESSAGE,
    POLICY_DENIED,
    TOKEN_CONFLICT,
    NOT_FOUND,
    INVALID_PARAMETER,
    INVALID_REQUEST,
    UNSUPPORTED_ENTRY_TYPE
}
