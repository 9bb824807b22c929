package dev.eksaccessupdater.reliability;

import java.util.stream.LongStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Seeded random sequences of requests, faults and crashes (see {@link PropertyRun}) against the real processors on
 * in-memory ports; a smaller number against dynalite and the stand-ins is in {@link InvariantPropertiesDynaliteTest}.
 * A failure names its seed: add it to {@link #regressionSeeds} and it runs on every build.
 */
class InvariantPropertiesTest {

    static final int SEEDS = 150;
    static final int MESSAGES = 24;

    static LongStream seeds() {
        return LongStream.range(0, SEEDS).map(index -> 0x5EED_0000L + index);
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

    /**
     * Seeds that once failed, kept so they run on every build. These three found that the first model of EKS
     * refused a request at random where a real refusal is a fact that every attempt meets; they replay a crash
     * after publishing and a FIFO group held back by a failed claim.
     */
    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1592590374L, 1592590392L, 1592590407L})
    void regressionSeeds(long seed) {
        run(seed, false);
        run(seed, true);
    }

    private static void run(long seed, boolean fifo) {
        try (MemoryHarness harness = new MemoryHarness(PropertyRun.SETTINGS, 1)) {
            PropertyRun.initialEntries().forEach((principal, state) ->
                    harness.putEntry(principal, state.groups(), state.username()));
            new PropertyRun(seed, fifo, MESSAGES).runOn(harness);
        }
    }

}
