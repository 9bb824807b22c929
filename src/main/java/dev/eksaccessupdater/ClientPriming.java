package dev.eksaccessupdater;

import dev.eksaccessupdater.dedup.ClaimResult;
import dev.eksaccessupdater.dedup.DynamoDbClaims;
import dev.eksaccessupdater.dedup.DynamoDbEntryLeases;
import dev.eksaccessupdater.dedup.GrantRecord;
import dev.eksaccessupdater.dedup.Lease;
import dev.eksaccessupdater.eks.AccessEntries;
import dev.eksaccessupdater.eks.AccessEntry;
import dev.eksaccessupdater.events.AccessEvents;
import dev.eksaccessupdater.events.EventBridgePublisher;
import dev.eksaccessupdater.policy.AccessPolicy;
import dev.eksaccessupdater.processing.MessageProcessor;
import dev.eksaccessupdater.processing.ParsedMessage;
import dev.eksaccessupdater.processing.QueueMessage;
import dev.eksaccessupdater.request.CanonicalForm;
import dev.eksaccessupdater.time.CallBudget;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** SnapStart priming: calls that change nothing, made through the adapters' own methods (see {@link #prime}). */
final class ClientPriming {

    /**
     * The state-table key priming uses: 129 characters, one more than a client request token may have, and without
     * the space of a lease key, so no item can ever have it.
     */
    static final String PRIMING_TOKEN = "snapstart-priming-" + "x".repeat(111);
    /** A principal of account 000000000000, which is no one's: no access entry of a real cluster names it. */
    static final String PRIMING_PRINCIPAL = "arn:aws:iam::000000000000:role/eks-access-updater-priming";
    /** The owner id of the priming calls: no claim or lease is ever held by it. */
    private static final String PRIMING_OWNER = "snapstart-priming";
    /** How often the SnapStart hook primes; measured by the benchmark (docs/performance.md). */
    static final int CHECKPOINT_PRIMING_ROUNDS = 10;

    private final Configuration configuration;
    private final DynamoDbClaims claims;
    private final DynamoDbEntryLeases leases;
    private final AccessEntries accessEntries;
    private final EventBridgePublisher publisher;
    private final MessageProcessor messageProcessor;
    private final Clock clock;

    ClientPriming(Configuration configuration, DynamoDbClaims claims, DynamoDbEntryLeases leases,
                  AccessEntries accessEntries, EventBridgePublisher publisher, MessageProcessor messageProcessor,
                  Clock clock) {
        this.configuration = configuration;
        this.claims = claims;
        this.leases = leases;
        this.accessEntries = accessEntries;
        this.publisher = publisher;
        this.messageProcessor = messageProcessor;
        this.clock = clock;
    }

    /**
     * Warms every client and the message path with calls that change nothing, so that the first invocation does not
     * pay for lazy SDK set-up (marshallers, model classes, signer, endpoint rules, connections: AWS SDK issues #1340,
     * #3167). The SnapStart hook runs it {@link #CHECKPOINT_PRIMING_ROUNDS} times before the snapshot; an ordinary
     * cold start does not, because its calls would reach the services at every start. Each call expects an error:
     * <ul>
     * <li>DynamoDB: a put, an update (take-over, complete, lease release) and a delete (claim and lease release) of
     *     keys no item has, each on a condition that only an existing item could meet, so none writes anything;
     *     and the consistent reads that follow.</li>
     * <li>EKS {@code DescribeAccessEntry} of {@link #PRIMING_PRINCIPAL} on an allowed cluster: a read that answers
     *     {@code ResourceNotFoundException}. No {@code UpdateAccessEntry}.</li>
     * <li>EventBridge: a {@code PutEvents} entry the bus refuses ({@link EventBridgePublisher#prime}).</li>
     * <li>Parsing, policy, canonical hash and event JSON of a sample request, without I/O.</li>
     * </ul>
     * Never throws: a failed priming call only means that call stays cold.
     */
    void prime() {
        // A few rounds, not one: the JIT compiles a method only after it ran often enough, and a snapshot of
        // compiled SDK code is what makes the first invocation after a restore as fast as a warm one.
        for (int round = 0; round < CHECKPOINT_PRIMING_ROUNDS; round++) {
            primeRound();
        }
    }

    private void primeRound() {
        String cluster = configuration.accessPolicy().allowedClusters() instanceof AccessPolicy.ClusterScope.Named named
                ? named.names().iterator().next() : "eks-access-updater-priming";
        Instant now = clock.instant();
        CallBudget budget = new CallBudget(now.plus(Duration.ofMinutes(1)), clock);
        ClaimResult.Held neverHeld = new ClaimResult.Held(PRIMING_TOKEN, "priming", PRIMING_OWNER,
                budget.deadline(), null);
        Lease neverLeased = new Lease(DynamoDbEntryLeases.key(cluster, PRIMING_PRINCIPAL), PRIMING_OWNER,
                budget.deadline(), Map.of());
        primeQuietly(() -> primeMessagePath(cluster, now));
        primeQuietly(() -> claims.prime(PRIMING_TOKEN, budget));
        primeQuietly(() -> accessEntries.describe(cluster, PRIMING_PRINCIPAL, budget));
        primeQuietly(() -> claims.takeOver(new ClaimResult.AppliedLapsed(PRIMING_TOKEN, "priming"), PRIMING_OWNER,
                budget));
        primeQuietly(() -> publisher.prime(budget));
        primeQuietly(() -> leases.release(neverLeased,
                Map.of("priming", new GrantRecord(PRIMING_TOKEN, now.getEpochSecond(), now.getEpochSecond())), budget));
        primeQuietly(() -> leases.release(neverLeased, Map.of(), budget));
        primeQuietly(() -> claims.complete(neverHeld, budget));
        primeQuietly(() -> claims.release(neverHeld, budget));
    }

    private void primeMessagePath(String cluster, Instant now) {
        String body = "{\"clusterName\":\"" + cluster + "\",\"principalArn\":\"" + PRIMING_PRINCIPAL + "\","
                + "\"addKubernetesGroups\":[\"priming\"],\"clientRequestToken\":\"priming\","
                + "\"metadata\":{\"ticket\":\"priming\"}}";
        ParsedMessage parsed = messageProcessor.parse(QueueMessage.standard("priming", body, now));
        if (parsed instanceof ParsedMessage.Valid valid) {
            CanonicalForm.hash(valid.request());
        }
        AccessEntry entry = new AccessEntry(cluster, PRIMING_PRINCIPAL, List.of("priming"), null, now, now, Map.of(),
                null, AccessEntry.STANDARD);
        AccessEvents.recordedUpdate(AccessEvents.toJson(
                AccessEvents.updated("priming", entry, entry, Map.of("ticket", "priming")).detail()));
    }

    /** Priming is best effort: nothing it meets may fail the checkpoint. */
    private static void primeQuietly(Runnable call) {
        try {
            call.run();
        } catch (RuntimeException expected) {
            // The expected answer of a call that finds nothing, or a call this role may not make: either way the
            // client's code paths are loaded, which is all priming is for.
        }
    }
}
