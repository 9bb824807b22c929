package dev.eksaccessupdater.standin;

/**
 * An error answer of a stand-in, as the REST-JSON services send it: HTTP status, {@code x-amzn-ErrorType} and
 * message. The factories name the errors the stand-ins answer with.
 */
final class AwsError extends Exception {

    final int status;
    final String type;

    AwsError(int status, String type, String message) {
        super(message, null, false, false);
        this.status = status;
        this.type = type;
    }

    static AwsError notFound(String message) {
        return new AwsError(404, "ResourceNotFoundException", message);
    }

    static AwsError invalidParameter(String message) {
        return new AwsError(400, "InvalidParameterException", message);
    }

    static AwsError invalidRequest(String message) {
        return new AwsError(400, "InvalidRequestException", message);
    }

    static AwsError validation(String message) {
        return new AwsError(400, "ValidationException", message);
    }

    static AwsError serialization(String message) {
        return new AwsError(400, "SerializationException", message);
    }
}
