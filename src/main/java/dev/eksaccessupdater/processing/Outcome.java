package dev.eksaccessupdater.processing;

import dev.eksaccessupdater.failure.ReasonCode;

/** How one message ended (docs/contract.md section 3): exactly one of these, nothing dropped silently. */
public sealed interface Outcome {

    /** The name of the outcome as docs/contract.md section 3 spells it. */
    String name();

    /** True when SQS should deliver the message again ({@code batchItemFailures}). */
    default boolean isRetry() {
        return this instanceof Retry;
    }

    /** EKS returned the updated entry (now or in an earlier attempt), its event is published and the token completed. */
    record Applied() implements Outcome {
        @Override
        public String name() {
            return "APPLIED";
        }
    }

    /** The token was completed before with the same request; nothing is done again. */
    record Duplicate() implements Outcome {
        @Override
        public String name() {
            return "DUPLICATE";
        }
    }

    /** A permanent refusal, published as {@code Access Change Rejected}. */
    record Rejected(ReasonCode reasonCode, String message) implements Outcome {
        @Override
        public String name() {
            return "REJECTED";
        }
    }

    /** A transient failure: the message goes back to the queue. */
    record Retry(String reason) implements Outcome {
        @Override
        public String name() {
            return "RETRY";
        }
    }
}
