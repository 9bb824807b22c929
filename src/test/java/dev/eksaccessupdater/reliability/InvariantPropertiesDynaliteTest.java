package dev.eksaccessupdater.reliability;

import dev.eksaccessupdater.testing.Dynalite;
import dev.eksaccessupdater.testing.WithDynalite;
import java.util.stream.LongStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The {@link PropertyRun} properties against the real function on dynalite and the EKS/EventBridge stand-ins, faults
 * injected on the wire by {@link FaultyProxy}: fewer seeds and messages than {@link InvariantPropertiesTest}, as each
 * call is real HTTP. With one message at a time a seed replays the same calls, except that the SDK's retries react
 * to the injected faults.
 */
@WithDynalite
class InvariantPropertiesDynaliteTest {

    private final Dynalite dynalite;

    InvariantPropertiesDynaliteTest(Dynalite dynalite) {
        this.dynalite = dynalite;
    }

    static LongStream seeds() {
        return LongStream.range(0, 4).map(index -> 0xD7_0000L + index);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void randomSequence_onStandardQueue_keepsEveryInvariant(long seed) {
        run(seed, false);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void randomSequence_onFifoQueue_keepsEveryInvariantAndGroupOrder(long seed) {
        run(seed, true);
    }

    private void run(long seed, boolean fifo) {
        try (DynaliteHarness harness = new DynaliteHarness(dynalite, PropertyRun.SETTINGS)) {
            PropertyRun.initialEntries().forEach((principal, state) ->
                    harness.putEntry(principal, state.groups(), state.username()));
            new PropertyRun(seed, fifo, 12).runOn(harness);
        }
    }
}
