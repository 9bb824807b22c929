package dev.eksaccessupdater;

import static org.assertj.core.api.Assertions.assertThat;

import dev.eksaccessupdater.standin.EksStandIn;
import dev.eksaccessupdater.standin.EventBridgeStandIn;
import dev.eksaccessupdater.testing.Dynalite;
import dev.eksaccessupdater.testing.WithDynalite;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The SnapStart priming reaches every service and changes nothing in any of them. */
@WithDynalite
class ClientPrimingTest {

    private final Dynalite dynalite;
    private final EksStandIn eks = new EksStandIn().start();
    private final EventBridgeStandIn eventBridge = new EventBridgeStandIn().start();
    private final String table = "priming-" + UUID.randomUUID();

    ClientPrimingTest(Dynalite dynalite) {
        this.dynalite = dynalite;
        dynalite.createIdempotencyTable(table);
        eks.putEntry("demo", "arn:aws:iam::111122223333:role/developers", List.of("dev-editors"), null);
    }

    @AfterEach
    void stop() {
        eks.close();
        eventBridge.close();
    }

    @Test
    void prime_callsEveryServiceAndChangesNothing() {
        Dependencies dependencies = LocalFunction.dependencies(dynalite, table, eks, eventBridge, Map.of());

        dependencies.prime();

        assertThat(eks.describeCount()).isPositive();
        assertThat(eks.updateCount()).isZero();
        assertThat(eks.entry("demo", "arn:aws:iam::111122223333:role/developers").kubernetesGroups())
                .containsExactly("dev-editors");
        assertThat(eventBridge.calls()).isNotEmpty();
        assertThat(eventBridge.events()).isEmpty();
        assertThat(dynalite.dynamoDbClient().scan(scan -> scan.tableName(table)).items()).isEmpty();
    }
}
