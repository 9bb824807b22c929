package dev.eksaccessupdater.processing;

/** Where outcomes are reported for operators: one record per message, one per batch. */
public interface OutcomeLog {

    void message(MessageResult result);

    void batch(BatchResult result);
}
