package dev.eksaccessupdater.processing;

import dev.eksaccessupdater.dedup.AppliedRecord;
import dev.eksaccessupdater.dedup.ClaimResult;
import dev.eksaccessupdater.dedup.ClaimStatus;
import dev.eksaccessupdater.dedup.Claims;
import dev.eksaccessupdater.dedup.EntryLeases;
import dev.eksaccessupdater.dedup.GrantRecord;
import dev.eksaccessupdater.dedup.Lease;
import dev.eksaccessupdater.eks.AccessEntries;
import dev.eksaccessupdater.eks.AccessEntry;
import dev.eksaccessupdater.eks.AccessEntryUpdate;
import dev.eksaccessupdater.eks.EksClientToken;
import dev.eksaccessupdater.events.AccessEvent;
import dev.eksaccessupdater.events.AccessEvents;
import dev.eksaccessupdater.events.EventPublisher;
import dev.eksaccessupdater.failure.ReasonCode;
import dev.eksaccessupdater.failure.RejectionException;
import dev.eksaccessupdater.failure.RetryableException;
import dev.eksaccessupdater.grant.TimeBoundGrants;
import dev.eksaccessupdater.policy.AccessPolicy;
import dev.eksaccessupdater.request.AccessChangeRequest;
import dev.eksaccessupdater.request.CanonicalForm;
import dev.eksaccessupdater.request.InvalidMessageException;
import dev.eksaccessupdater.request.RequestParser;
import dev.eksaccessupdater.request.RequestSummary;
import dev.eksaccessupdater.schedule.ExpirySchedule;
import dev.eksaccessupdater.schedule.ExpirySchedules;
import dev.eksaccessupdater.time.CallBudget;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.function.Supplier;

/**
 * The per-message flow of docs/contract.md section 1, one method per step: {@link #parse} (1), then
 * {@link #process}: claim (2) beside lease (3), read (4), apply (5), record (6), publish (7) beside the lease's
 * release, complete (8). EKS is never called without holding both the claim and the lease; a change EKS accepted
 * is never recomputed (a redelivery publishes what was recorded); a claim is never completed before its event is
 * published.
 */
public final class MessageProcessor {

    private final RequestParser parser;
    private final AccessPolicy policy;
    private final Claims claims;
    private final EntryLeases leases;
    private final AccessEntries accessEntries;
    private final EventPublisher eventPublisher;
    private final ExpirySchedules expirySchedules;
    private final LeaseWait leaseWait;
    private final Executor sideCalls;
    private final Supplier<String> owners;

    /**
     * @param sideCalls runs the calls that go beside the main path (the lease beside the claim, its release beside
     *     the publish); not the batch's lane pool, whose threads wait for them
     * @param owners a fresh, unguessable id for every message attempt
     * @param expirySchedules where time-bound grants get their expiry (docs/contract.md section 8)
     */
    public MessageProcessor(RequestParser parser, AccessPolicy policy, Claims claims, EntryLeases leases,
                            AccessEntries accessEntries, EventPublisher eventPublisher,
                            ExpirySchedules expirySchedules, LeaseWait leaseWait, Executor sideCalls,
                            Supplier<String> owners) {
        this.parser = parser;
        this.policy = policy;
        this.claims = claims;
        this.leases = leases;
        this.accessEntries = accessEntries;
        this.eventPublisher = eventPublisher;
        this.expirySchedules = expirySchedules;
        this.leaseWait = leaseWait;
        this.sideCalls = sideCalls;
        this.owners = owners;
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
            policy.check(request, message.sentAt());
        } catch (RejectionException denied) {
            return new ParsedMessage.Invalid(message, request.summary(), denied);
        }
        return new ParsedMessage.Valid(message, request);
    }

    /** Steps 2-8 for one parsed message. Throws nothing that an adapter classified. */
    public Outcome process(ParsedMessage parsed, CallBudget budget) {
        if (parsed instanceof ParsedMessage.Invalid invalid) {
            return reject(invalid.message(), invalid.summary(), invalid.reason(), budget);
        }
        ParsedMessage.Valid valid = (ParsedMessage.Valid) parsed;
        return new Attempt(valid.message(), valid.request(), owners.get(), budget).run();
    }

    /** A rejection must be seen: if its event cannot be published, the message is retried instead. */
    private Outcome reject(QueueMessage message, RequestSummary summary, RejectionException rejection,
                           CallBudget budget) {
        try {
            eventPublisher.publish(AccessEvents.rejected(summary.clientRequestToken(), message.messageId(), summary,
                    rejection.reasonCode(), rejection.getMessage()), budget);
        } catch (RetryableException unpublished) {
            return new Outcome.Retry("could not publish the rejection (" + rejection.reasonCode() + "): "
                    + unpublished.getMessage());
        }
        return new Outcome.Rejected(rejection.reasonCode(), rejection.getMessage());
    }

    /** One attempt at one valid request: what it holds (claim, lease) and the steps it takes with them. */
    private final class Attempt {

        private final QueueMessage message;
        private final AccessChangeRequest request;
        private final String requestHash;
        private final String owner;
        private final CallBudget budget;

        Attempt(QueueMessage message, AccessChangeRequest request, String owner, CallBudget budget) {
            this.message = message;
            this.request = request;
            this.requestHash = CanonicalForm.hash(request);
            this.owner = owner;
            this.budget = budget;
        }

        Outcome run() {
            // Steps 2 and 3 go together; the lease is given back when the claim leaves nothing to apply.
            CompletableFuture<Optional<Lease>> leaseTaken = CompletableFuture.supplyAsync(this::tryLease, sideCalls);
            ClaimResult claim;
            try {
                claim = claim();
            } catch (RetryableException unavailable) {
                giveBack(leaseTaken);
                return new Outcome.Retry(unavailable.getMessage());
            }
            if (!(claim instanceof ClaimResult.Held held)) {
                giveBack(leaseTaken);
                return resolveWithoutEks(claim);
            }
            Lease lease;
            try {
                lease = lease(leaseTaken);
            } catch (RetryableException unavailable) {
                releaseClaim(held);
                return new Outcome.Retry(unavailable.getMessage());
            }
            if (lease == null) {
                releaseClaim(held);
                return new Outcome.Retry("the access entry's lease stayed held by another invocation");
            }
            return readApplyAndRecord(held, lease);
        }

        /** Step 2: one conditional write of the token. */
        private ClaimResult claim() {
            return claims.claim(request.clientRequestToken(), requestHash, owner, budget);
        }

        /** Step 3, first try: beside the claim. */
        private Optional<Lease> tryLease() {
            return leases.acquire(request.clusterName(), request.principalArn(), owner, budget);
        }

        /** Step 3: the lease taken beside the claim, or waited for while another attempt holds it; null: gave up. */
        private Lease lease(CompletableFuture<Optional<Lease>> leaseTaken) {
            Optional<Lease> first = join(leaseTaken);
            if (first.isPresent()) {
                return first.get();
            }
            return leaseWait.await(this::tryLease, budget);
        }

        /** A claim not this attempt's to apply: a duplicate, a conflict, a live claim elsewhere, or a takeover. */
        private Outcome resolveWithoutEks(ClaimResult claim) {
            boolean sameRequest = claim.requestHash().equals(requestHash);
            if (claim instanceof ClaimResult.Completed && sameRequest) {
                return new Outcome.Duplicate();
            }
            boolean conflict = claim instanceof ClaimResult.Completed
                    || claim instanceof ClaimResult.AppliedLapsed && !sameRequest
                    || claim instanceof ClaimResult.HeldElsewhere elsewhere
                    && elsewhere.status() == ClaimStatus.APPLIED && !sameRequest;
            if (conflict) {
                return reject(message, request.summary(), new RejectionException(ReasonCode.TOKEN_CONFLICT,
                        "clientRequestToken was already used for a different request"), budget);
            }
            if (claim instanceof ClaimResult.AppliedLapsed lapsed) {
                return finishRecorded(lapsed);
            }
            return new Outcome.Retry("clientRequestToken is being processed by another invocation");
        }

        /**
         * A change EKS accepted in an earlier attempt: its grant records are written under the entry's lease, its
         * expiry scheduled and its recorded event published; EKS is not called.
         */
        private Outcome finishRecorded(ClaimResult.AppliedLapsed lapsed) {
            ClaimResult.Held held;
            try {
                held = claims.takeOver(lapsed, owner, budget);
            } catch (RetryableException takenOrUnavailable) {
                return new Outcome.Retry(takenOrUnavailable.getMessage());
            }
            if (held.recorded().changesGrants()) {
                Lease lease;
                try {
                    lease = tryLease().orElseGet(() -> leaseWait.await(this::tryLease, budget));
                    if (lease == null) {
                        throw new RetryableException("the access entry's lease stayed held by another invocation");
                    }
                    leases.release(lease, TimeBoundGrants.merge(lease.grants(), held.recorded().grantRecords()),
                            budget);
                } catch (RetryableException unwritten) {
                    yieldClaim(held);
                    return new Outcome.Retry(unwritten.getMessage());
                }
            }
            return publishAndComplete(held, AccessEvents.recordedUpdate(held.recorded().eventDetailJson()));
        }

        /** Steps 4-8, holding the claim and the lease. */
        private Outcome readApplyAndRecord(ClaimResult.Held held, Lease lease) {
            AccessEntry current;
            TimeBoundGrants.Plan plan;
            AccessEntry updated;
            try {
                current = read();
                plan = TimeBoundGrants.plan(request, current, lease.grants(), message.sentAt(),
                        message.fifo() ? message.messageGroupId() : null, budget.clock().instant());
                updated = apply(current, plan);
            } catch (RejectionException refused) {
                // EKS refused before changing anything (or nothing was sent): the outcome is known.
                releaseLease(lease);
                return rejectClaimed(held, refused);
            } catch (RetryableException failed) {
                if (failed.outcomeUnknown()) {
                    // The update may have been applied: claim and lease lapse, nothing is recomputed before then.
                    return new Outcome.Retry(failed.getMessage());
                }
                releaseLease(lease);
                releaseClaim(held);
                return new Outcome.Retry(failed.getMessage());
            }
            AccessEvent event = AccessEvents.updated(request.clientRequestToken(), updated, current,
                    request.metadata(), grantFields(plan));
            ClaimResult.Held recorded;
            try {
                recorded = record(held, updated, event, plan);
            } catch (RetryableException unrecorded) {
                // EKS changed the entry but the claim does not say so: both lapse, so no one recomputes meanwhile.
                return new Outcome.Retry(unrecorded.getMessage());
            }
            Map<String, GrantRecord> grants = TimeBoundGrants.merge(lease.grants(), plan.records());
            CompletableFuture<Boolean> released =
                    CompletableFuture.supplyAsync(() -> releaseLease(lease, grants), sideCalls);
            return publishAndComplete(recorded, event, released);
        }

        /** Step 4: the entry as it is now, under the lease. Only STANDARD entries take groups and usernames. */
        private AccessEntry read() {
            AccessEntry current = accessEntries.describe(request.clusterName(), request.principalArn(), budget);
            // An entry read without a type predates entry types, when every entry was STANDARD.
            if (current.type() != null && !AccessEntry.STANDARD.equals(current.type())) {
                throw new RejectionException(ReasonCode.UNSUPPORTED_ENTRY_TYPE, "access entry type is "
                        + current.type() + ", not STANDARD: EKS allows neither custom groups nor custom usernames"
                        + " on it");
            }
            return current;
        }

        /** Step 5: both groups and username, always, so nothing is reset by omission (section 2.2). */
        private AccessEntry apply(AccessEntry current, TimeBoundGrants.Plan plan) {
            List<String> groups = List.copyOf(plan.groups());
            String username = request.keepsUsername() ? current.username() : request.username();
            String eksToken = EksClientToken.derive(request.clientRequestToken(), requestHash, groups, username);
            return accessEntries.update(new AccessEntryUpdate(request.clusterName(), request.principalArn(), groups,
                    username, eksToken), budget);
        }

        /** A grant's expiresAt and grantedGroups, or an expiry's expiryOf and expiredGroups (section 8). */
        private Map<String, Object> grantFields(TimeBoundGrants.Plan plan) {
            Map<String, Object> fields = new LinkedHashMap<>();
            if (request.isTimeBound()) {
                fields.put("expiresAt", request.expiresAt());
                fields.put("grantedGroups", List.copyOf(plan.grantedGroups()));
            }
            if (request.isExpiry()) {
                fields.put("expiryOf", request.expiryOf());
                fields.put("expiredGroups", List.copyOf(plan.expiredGroups()));
            }
            return fields;
        }

        /**
         * Step 6: the claim becomes APPLIED with the event, and with the grant records and expiry still to write,
         * so that no later attempt recomputes the change.
         */
        private ClaimResult.Held record(ClaimResult.Held held, AccessEntry updated, AccessEvent event,
                                        TimeBoundGrants.Plan plan) {
            return claims.record(held, new AppliedRecord(AccessEvents.accessEntryJson(updated),
                    AccessEvents.toJson(event.detail()), plan.records(), plan.schedule()), budget);
        }

        private Outcome publishAndComplete(ClaimResult.Held held, AccessEvent event) {
            return publishAndComplete(held, event, CompletableFuture.completedFuture(true));
        }

        /**
         * Steps 7 and 8, with a time-bound grant's schedule before them. A failure to schedule or publish, or to
         * write grant records with the lease's release, yields the claim: the next delivery finishes it from the
         * record.
         */
        private Outcome publishAndComplete(ClaimResult.Held held, AccessEvent event,
                                           CompletableFuture<Boolean> released) {
            try {
                ExpirySchedule schedule = held.recorded().expirySchedule();
                if (schedule != null) {
                    expirySchedules.create(TimeBoundGrants.retimed(schedule, request.expiryInstant(),
                            budget.clock().instant()), budget);
                }
                eventPublisher.publish(event, budget);
            } catch (RetryableException unfinished) {
                join(released);
                yieldClaim(held);
                return new Outcome.Retry(unfinished.getMessage());
            }
            if (!join(released) && held.recorded().changesGrants()) {
                yieldClaim(held);
                return new Outcome.Retry("the grant records could not be written with the lease's release");
            }
            try {
                claims.complete(held, budget);
            } catch (RetryableException uncompleted) {
                // Published but not completed: a later delivery takes the APPLIED claim over and publishes again.
                return new Outcome.Retry(uncompleted.getMessage());
            }
            return new Outcome.Applied();
        }

        /** An IN_PROGRESS claim whose change EKS refused (or never saw): published as rejected, then released. */
        private Outcome rejectClaimed(ClaimResult.Held held, RejectionException rejection) {
            Outcome outcome = reject(message, request.summary(), rejection, budget);
            releaseClaim(held);
            return outcome;
        }

        private void giveBack(CompletableFuture<Optional<Lease>> leaseTaken) {
            Optional<Lease> lease;
            try {
                lease = join(leaseTaken);
            } catch (RetryableException notTaken) {
                return;
            }
            lease.ifPresent(this::releaseLease);
        }

        private void releaseLease(Lease lease) {
            releaseLease(lease, lease.grants());
        }

        /** Whether the lease was released with {@code grants}; one that was not lapses at the end of the invocation. */
        private boolean releaseLease(Lease lease, Map<String, GrantRecord> grants) {
            try {
                leases.release(lease, grants, budget);
                return true;
            } catch (RetryableException lapses) {
                return false;
            }
        }

        /** Only for an IN_PROGRESS claim whose request certainly did not change the entry. */
        private void releaseClaim(ClaimResult.Held held) {
            try {
                claims.release(held, budget);
            } catch (RetryableException lapses) {
                // It lapses at inProgressUntil, the end of this invocation: safe, only slower.
            }
        }

        private void yieldClaim(ClaimResult.Held held) {
            try {
                claims.yield(held, budget);
            } catch (RetryableException lapses) {
                // It lapses at inProgressUntil, the end of this invocation.
            }
        }
    }

    /** The side call's result; its own exceptions come out as they were thrown. */
    private static <T> T join(CompletableFuture<T> future) {
        try {
            return future.join();
        } catch (CompletionException wrapped) {
            if (wrapped.getCause() instanceof RuntimeException runtime) {
                throw runtime;
            }
            if (wrapped.getCause() instanceof Error error) {
                throw error;
            }
            throw wrapped;
        }
    }
}
