package dev.eksaccessupdater.bench.crac;

/** The shape of {@code jdk.crac.RestoreException}. */
public class RestoreException extends Exception {

    public RestoreException() {
        super();
    }
}
