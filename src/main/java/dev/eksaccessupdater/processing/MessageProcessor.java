package dev.eksaccessupdater.processing;

import dev.eksaccessupdater.dedup.ClaimResult;
import dev.eksaccessupdater.dedup.IdempotencyStore;
import dev.eksaccessupdater.eks.AccessEntries;
import dev.eksaccessupdater.eks.AccessEntry;
import dev.eksaccessupdater.eks.AccessEntryUpdate;
import dev.eksaccessupdater.eks.EksClientToken;
import dev.eksaccessupdater.events.AccessEvents;
import dev.eksaccessupdater.events.EventPublisher;
import dev.eksaccessupdater.failure.ReasonCode;
import dev.eksaccessupdater.failure.RejectionException;
import dev.eksaccessupdater.failure.RetryableException;
import dev.eksaccessupdater.policy.AccessPolicy;
import dev.eksaccessupdater.request.AccessChangeRequest;
import dev.eksaccessupdater.request.CanonicalForm;
import dev.eksaccessupdater.request.GroupChange;
import dev.eksaccessupdater.request.InvalidMessageException;
import dev.eksaccessupdater.request.RequestParser;
import dev.eksaccessupdater.request.RequestSummary;
import java.time.Clock;
import java.util.List;

/**
 * The per-message flow of SPEC section 1, one method per step: {@link #parse} (1), then {@link #process}:
 * claim (2), apply (3), publish (4), complete (5). EKS is never called without holding the claim, and the
 * claim is never completed before the event is published.
 */
public final class MessageProcessor {

    private final RequestParser parser;
    private final AccessPolicy policy;
    private final IdempotencyStore idempotencyStore;
    private final AccessEntries accessEntries;
    private final EventPublisher eventPublisher;
    private final Clock clock;

    public MessageProcessor(RequestParser parser, AccessPolicy policy, IdempotencyStore idempotencyStore,
                            AccessEntries accessEntries, EventPublisher eventPublisher, Clock clock) {
        this.parser = parser;
        this.policy = policy;
        this.idempotencyStore = idempotencyStore;
        this.accessEntries = accessEntries;
        this.eventPublisher = eventPublisher;
        this.clock = clock;
    }

    /** Step 1: parse and validate the body and check the request against policy. No I/O. */
    public ParsedMessage parse(QueueMessage message) {
        AccessChangeRequest request;
        try {
            request = parser.parse(message.body(), message.messageId());
        } catch (InvalidMessageException invalid) {
            return new ParsedMessage.Invalid(message, invalid.readable(), invalid);
        }
        try {
            policy.check(request);
        } catch (RejectionException denied) {
            return new ParsedMessage.Invalid(message, request.summary(), denied);
        }
        return new ParsedMessage.Valid(message, request);
    }

    /** Steps 2-5 for one parsed message. Throws nothing that an adapter classified. */
    public Outcome process(ParsedMessage parsed, Invocation invocation) {
        if (parsed instanceof ParsedMessage.Invalid invalid) {
            return reject(invalid.message(), invalid.summary(), invalid.reason());
        }
        ParsedMessage.Valid valid = (ParsedMessage.Valid) parsed;
        AccessChangeRequest request = valid.request();
        String requestHash = CanonicalForm.hash(request);
        ClaimResult claim;
        try {
            claim = idempotencyStore.claim(request.clientRequestToken(), requestHash, clock.instant(),
                    invocation.deadline());
        } catch (RetryableException unavailable) {
            return new Outcome.Retry(unavailable.getMessage());
        }
        if (claim instanceof ClaimResult.Completed completed) {
            if (completed.requestHash().equals(requestHash)) {
                return new Outcome.Duplicate();
            }
            return reject(valid.message(), request.summary(), new RejectionException(ReasonCode.TOKEN_CONFLICT,
                    "clientRequestToken was already used for a different request"));
        }
        if (claim instanceof ClaimResult.InProgress) {
            return new Outcome.Retry("clientRequestToken is being processed by another invocation");
        }
        return applyClaimed(valid.message(), request, (ClaimResult.Acquired) claim);
    }

    private Outcome applyClaimed(QueueMessage message, AccessChangeRequest request, ClaimResult.Acquired claim) {
        boolean completed = false;
        try {
            AppliedChange change = apply(request, claim.requestHash());
            eventPublisher.publish(AccessEvents.updated(request.clientRequestToken(), change.updated(),
                    change.previous(), request.metadata()));
            idempotencyStore.complete(claim, AccessEvents.accessEntryJson(change.updated()), clock.instant());
            completed = true;
            return new Outcome.Applied(change.updated());
        } catch (RejectionException rejection) {
            return reject(message, request.summary(), rejection);
        } catch (RetryableException transientFailure) {
            return new Outcome.Retry(transientFailure.getMessage());
        } finally {
            if (!completed) {
                release(claim);
            }
        }
    }

    /** Step 3. Reads the entry first unless the request gives both groups and username (SPEC section 2.2). */
    private AppliedChange apply(AccessChangeRequest request, String requestHash) {
        String eksToken = EksClientToken.derive(request.clientRequestToken(), requestHash);
        if (request.isComplete()) {
            GroupChange.Replace groups = (GroupChange.Replace) request.groupChange();
            AccessEntry updated = accessEntries.update(new AccessEntryUpdate(request.clusterName(),
                    request.principalArn(), List.copyOf(groups.groups()), request.username(), eksToken));
            return new AppliedChange(updated, null);
        }
        AccessEntry current = accessEntries.describe(request.clusterName(), request.principalArn());
        // An entry read without a type predates entry types, when every entry was STANDARD.
        if (current.type() != null && !AccessEntry.STANDARD.equals(current.type())) {
            throw new RejectionException(ReasonCode.UNSUPPORTED_ENTRY_TYPE, "access entry type is " + current.type()
                    + ", not STANDARD: EKS allows neither custom groups nor custom usernames on it");
        }
        List<String> groups = List.copyOf(request.groupChange().applyTo(current.kubernetesGroups()));
        String username = request.keepsUsername() ? current.username() : request.username();
        AccessEntry updated = accessEntries.update(new AccessEntryUpdate(request.clusterName(),
                request.principalArn(), groups, username, eksToken));
        return new AppliedChange(updated, current);
    }

    /** A rejection must be seen: if its event cannot be published, the message is retried instead. */
    private Outcome reject(QueueMessage message, RequestSummary summary, RejectionException rejection) {
        try {
            eventPublisher.publish(AccessEvents.rejected(summary.clientRequestToken(), message.messageId(), summary,
                    rejection.reasonCode(), rejection.getMessage()));
        } catch (RetryableException unpublished) {
            return new Outcome.Retry("could not publish the rejection (" + rejection.reasonCode() + "): "
                    + unpublished.getMessage());
        }
        return new Outcome.Rejected(rejection.reasonCode(), rejection.getMessage());
    }

    private void release(ClaimResult.Acquired claim) {
        try {
            idempotencyStore.release(claim);
        } catch (RetryableException unavailable) {
            // The claim lapses by itself at inProgressUntil, the end of this invocation.
        }
    }

    private record AppliedChange(AccessEntry updated, AccessEntry previous) {
    }
}
