package dev.eksaccessupdater.request;

/** Parses and validates an SQS message body into an {@link AccessChangeRequest} (SPEC section 2). */
public final class RequestParser {

    /**
     * @param messageId the SQS message id, the token when the request has no {@code clientRequestToken}
     * @throws InvalidMessageException naming the field or rule at fault
     */
    public AccessChangeRequest parse(String body, String messageId) {
        throw new UnsupportedOperationException("TODO");
    }
}
