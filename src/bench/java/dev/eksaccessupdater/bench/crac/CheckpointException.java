package dev.eksaccessupdater.bench.crac;

/** The shape of {@code jdk.crac.CheckpointException}. */
public class CheckpointException extends Exception {

    public CheckpointException() {
        super();
    }
}
