package dev.eksaccessupdater.processing;

/** Where outcomes are reported for operators: one record per message, one per batch, and one per defect. */
public interface OutcomeLog {

    void message(MessageResult result);

    void batch(BatchResult result);

    /**
     * A defect, an exception no adapter classified, turned {@code result} into a retry; reported once, with its stack
     * trace, before the message's own record.
     */
    void defect(MessageResult result, RuntimeException defect);
}
