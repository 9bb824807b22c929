package dev.eksaccessupdater.dedup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.entry;

import dev.eksaccessupdater.failure.RetryableException;
import dev.eksaccessupdater.testing.Dynalite;
import dev.eksaccessupdater.testing.WithDynalite;
import dev.eksaccessupdater.time.CallBudget;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ResourceNotFoundException;

/** The entry lease items of docs/contract.md section 4.2, written and read through the real SDK on dynalite. */
@WithDynalite
class DynamoDbEntryLeasesTest {

    private static final Duration MAX_GRANT = Duration.ofDays(90);
    private static final Duration ONE_DAY = Duration.ofDays(1);
    private static final Instant NOW = Instant.parse("2026-12-04T12:00:00Z");
    private static final Instant UNTIL = NOW.plus(Duration.ofMinutes(5));
    private static final String CLUSTER = "prod";
    private static final String PRINCIPAL = "arn:aws:iam::111122223333:role/ops/Admin";
    /** {@code printf 'prod\narn:aws:iam::111122223333:role/ops/Admin' | sha256sum}, worked out outside the code. */
    private static final String KEY_HASH = "287c167b2a07d4589a5d1bce4492d17af051835d64147a155a81f9ab022b0270";
    private static final String ME = "owner-me";
    private static final String OTHER = "owner-other";
    /** A grant far beyond MAX_GRANT (it was allowed before the setting was lowered) and a permanent record. */
    private static final GrantRecord ONCALL = new GrantRecord("grant-token", NOW.plus(Duration.ofDays(200))
            .getEpochSecond(), NOW.minusSeconds(600).getEpochSecond());
    private static final GrantRecord VIEWERS = new GrantRecord("permanent-token", null,
            NOW.minusSeconds(300).getEpochSecond());
    private static final Map<String, GrantRecord> GRANTS = Map.of("oncall-admins", ONCALL, "viewers", VIEWERS);

    private final DynamoDbClient client;
    private final String table;
    private final DynamoDbEntryLeases leases;
    private final String cluster = CLUSTER + "-" + UUID.randomUUID();

    DynamoDbEntryLeasesTest(Dynalite dynalite) {
        this.client = dynalite.dynamoDbClient();
        this.table = dynalite.createIdempotencyTable("state-" + UUID.randomUUID());
        this.leases = new DynamoDbEntryLeases(client, table, MAX_GRANT);
    }

    @Test
    void key_whenGivenClusterAndPrincipal_isLeaseAndTheLowerHexSha256OfBothJoinedByALineFeed() {
        String key = DynamoDbEntryLeases.key(CLUSTER, PRINCIPAL);

        assertThat(key).isEqualTo("lease " + KEY_HASH).hasSize(70);
        assertThat(key).isEqualTo("lease " + sha256(CLUSTER + "\n" + PRINCIPAL));
        assertThat(DynamoDbEntryLeases.key(CLUSTER + "\n", PRINCIPAL)).isNotEqualTo(key);
    }

    @Test
    void acquire_whenEntryIsFree_writesTheLeaseItemUnderTheHashedKey() {
        Optional<Lease> lease = leases.acquire(cluster, PRINCIPAL, ME, at(NOW, UNTIL));

        String key = "lease " + sha256(cluster + "\n" + PRINCIPAL);
        assertThat(lease).contains(new Lease(key, ME, UNTIL, Map.of()));
        assertThat(item(key)).containsOnly(
                entry("clientRequestToken", string(key)),
                entry("owner", string(ME)),
                entry("inProgressUntil", number(UNTIL.toEpochMilli())),
                entry("expiresAt", number(NOW.plus(MAX_GRANT).plus(ONE_DAY).getEpochSecond())));
    }

    @Test
    void acquire_whenAnotherOwnerHoldsIt_returnsEmptyAndLeavesTheItemUnchanged() {
        leases.acquire(cluster, PRINCIPAL, OTHER, at(NOW, UNTIL));
        Map<String, AttributeValue> held = item(key());

        Optional<Lease> lease = leases.acquire(cluster, PRINCIPAL, ME, at(NOW.plusSeconds(1), UNTIL.plusSeconds(1)));

        assertThat(lease).isEmpty();
        assertThat(item(key())).isEqualTo(held);
    }

    @Test
    void acquire_whenInProgressUntilIsNow_isStillHeld() {
        leases.acquire(cluster, PRINCIPAL, OTHER, at(NOW, UNTIL));

        assertThat(leases.acquire(cluster, PRINCIPAL, ME, at(UNTIL, UNTIL.plusSeconds(60)))).isEmpty();
        assertThat(item(key())).contains(entry("owner", string(OTHER)));
    }

    @Test
    void acquire_whenThisOwnerHoldsItAlready_succeedsAgain() {
        leases.acquire(cluster, PRINCIPAL, ME, at(NOW, UNTIL));

        // An SDK retry of an acquire that had in fact succeeded meets its own item.
        Optional<Lease> again = leases.acquire(cluster, PRINCIPAL, ME, at(NOW.plusSeconds(1), UNTIL));

        assertThat(again).contains(new Lease(key(), ME, UNTIL, Map.of()));
        assertThat(item(key())).contains(entry("owner", string(ME)));
    }

    @Test
    void acquire_whenTheLeaseLapsed_takesItAndReturnsTheGrantsTheItemCarried() {
        Instant lapsedAt = NOW.minusMillis(1);
        putLeaseItem(OTHER, lapsedAt.toEpochMilli(), NOW.plus(MAX_GRANT).getEpochSecond(), true);

        Optional<Lease> lease = leases.acquire(cluster, PRINCIPAL, ME, at(NOW, UNTIL));

        assertThat(lease).contains(new Lease(key(), ME, UNTIL, GRANTS));
        assertThat(item(key())).contains(
                entry("owner", string(ME)),
                entry("inProgressUntil", number(UNTIL.toEpochMilli())),
                entry("grants", grantsItem()));
    }

    @Test
    void acquire_whenTheItemExpired_takesItEvenWhileItsHolderSeemsToHoldIt() {
        putLeaseItem(OTHER, UNTIL.toEpochMilli(), NOW.getEpochSecond() - 1, false);

        assertThat(leases.acquire(cluster, PRINCIPAL, ME, at(NOW, UNTIL)))
                .contains(new Lease(key(), ME, UNTIL, Map.of()));
        assertThat(item(key())).contains(entry("owner", string(ME)));
    }

    @Test
    void acquire_whenTheTableIsMissing_throwsRetryableNamingTheOperation() {
        DynamoDbEntryLeases missing = new DynamoDbEntryLeases(client, "missing-" + UUID.randomUUID(), MAX_GRANT);

        assertThatThrownBy(() -> missing.acquire(cluster, PRINCIPAL, ME, at(NOW, UNTIL)))
                .isInstanceOf(RetryableException.class)
                .hasMessageContaining("UpdateItem (acquire lease)")
                .hasCauseInstanceOf(ResourceNotFoundException.class);
    }

    @Test
    void release_whenNoGrants_deletesTheItem() {
        Lease lease = leases.acquire(cluster, PRINCIPAL, ME, at(NOW, UNTIL)).orElseThrow();

        leases.release(lease, Map.of(), at(NOW.plusSeconds(2), UNTIL));

        assertThat(item(key())).isEmpty();
    }

    @Test
    void release_whenGrants_keepsThemRemovesTheOwnerAndOutlivesTheLatestGrantByADay() {
        Lease lease = leases.acquire(cluster, PRINCIPAL, ME, at(NOW, UNTIL)).orElseThrow();

        leases.release(lease, GRANTS, at(NOW.plusSeconds(2), UNTIL));

        Map<String, AttributeValue> item = item(key());
        assertThat(item).doesNotContainKey("owner").contains(
                entry("inProgressUntil", number(0)),
                entry("grants", grantsItem()));
        assertThat(Long.parseLong(item.get("expiresAt").n()))
                .isGreaterThanOrEqualTo(ONCALL.until() + ONE_DAY.toSeconds())
                .isGreaterThanOrEqualTo(NOW.plus(MAX_GRANT).plus(ONE_DAY).getEpochSecond());
    }

    @Test
    void release_whenEveryGrantEndsSoon_keepsTheItemForMaxGrantAndADay() {
        Lease lease = leases.acquire(cluster, PRINCIPAL, ME, at(NOW, UNTIL)).orElseThrow();
        GrantRecord shortGrant = new GrantRecord("short", NOW.plus(Duration.ofHours(2)).getEpochSecond(),
                NOW.getEpochSecond());

        leases.release(lease, Map.of("oncall", shortGrant), at(NOW, UNTIL));

        assertThat(item(key())).contains(
                entry("expiresAt", number(NOW.plus(MAX_GRANT).plus(ONE_DAY).getEpochSecond())));
    }

    @Test
    void release_whenAnotherOwnerHoldsTheLease_throwsRetryableAndChangesNothing() {
        Lease mine = leases.acquire(cluster, PRINCIPAL, ME, at(NOW, UNTIL)).orElseThrow();
        // Mine lapsed and another attempt took the lease.
        leases.acquire(cluster, PRINCIPAL, OTHER, at(UNTIL.plusMillis(1), UNTIL.plusSeconds(60))).orElseThrow();
        Map<String, AttributeValue> theirs = item(key());

        assertThatThrownBy(() -> leases.release(mine, Map.of(), at(UNTIL.plusSeconds(2), UNTIL)))
                .isInstanceOf(RetryableException.class);
        assertThatThrownBy(() -> leases.release(mine, GRANTS, at(UNTIL.plusSeconds(2), UNTIL)))
                .isInstanceOf(RetryableException.class);

        assertThat(item(key())).isEqualTo(theirs);
    }

    @Test
    void acquire_whenReleasedWithGrants_returnsTheSameGrantRecords() {
        Lease first = leases.acquire(cluster, PRINCIPAL, ME, at(NOW, UNTIL)).orElseThrow();
        leases.release(first, GRANTS, at(NOW, UNTIL));

        Lease next = leases.acquire(cluster, PRINCIPAL, OTHER, at(NOW.plusSeconds(1), UNTIL)).orElseThrow();

        assertThat(next.grants()).isEqualTo(GRANTS);
        assertThat(next.grants().get("viewers").until()).isNull();
    }

    private String key() {
        return DynamoDbEntryLeases.key(cluster, PRINCIPAL);
    }

    /** The key as section 4 defines it, computed here without the code under test. */
    private static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(
                    MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException impossible) {
            throw new IllegalStateException(impossible);
        }
    }

    /** A budget at {@code now} whose deadline is {@code deadline}. */
    private static CallBudget at(Instant now, Instant deadline) {
        return new CallBudget(deadline, Clock.fixed(now, ZoneOffset.UTC));
    }

    private Map<String, AttributeValue> item(String key) {
        return client.getItem(get -> get
                .tableName(table)
                .key(Map.of("clientRequestToken", string(key)))
                .consistentRead(true))
                .item();
    }

    /** Another attempt's lease item, written as section 4.2 lays it out, with {@link #GRANTS} or none. */
    private void putLeaseItem(String owner, long inProgressUntil, long expiresAt, boolean withGrants) {
        Map<String, AttributeValue> item = new HashMap<>(Map.of(
                "clientRequestToken", string(key()),
                "owner", string(owner),
                "inProgressUntil", number(inProgressUntil),
                "expiresAt", number(expiresAt)));
        if (withGrants) {
            item.put("grants", grantsItem());
        }
        client.putItem(put -> put.tableName(table).item(item));
    }

    /** {@link #GRANTS} in the item layout of section 4.2: group to {token, until?, grantedAt}. */
    private static AttributeValue grantsItem() {
        return AttributeValue.fromM(Map.of(
                "oncall-admins", AttributeValue.fromM(Map.of(
                        "token", string(ONCALL.token()),
                        "until", number(ONCALL.until()),
                        "grantedAt", number(ONCALL.grantedAt()))),
                "viewers", AttributeValue.fromM(Map.of(
                        "token", string(VIEWERS.token()),
                        "grantedAt", number(VIEWERS.grantedAt())))));
    }

    private static AttributeValue string(String value) {
        return AttributeValue.fromS(value);
    }

    private static AttributeValue number(long value) {
        return AttributeValue.fromN(Long.toString(value));
    }
}
