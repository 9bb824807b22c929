package dev.eksaccessupdater.request;

/** The canonical form of a request and its SHA-256 (SPEC section 2.1). */
public final class CanonicalForm {

    private CanonicalForm() {
    }

    /** Lower-case hex SHA-256 of the canonical form: equal for the same request however it was written. */
    public static String hash(AccessChangeRequest request) {
        throw new UnsupportedOperationException("TODO");
    }
}
