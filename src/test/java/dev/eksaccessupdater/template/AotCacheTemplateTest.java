package dev.eksaccessupdater.template;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The AotCache parameter: off by default; on, the JVM is pointed at the cache {@code mvn -Paot package} ships. */
class AotCacheTemplateTest {

    /**
     * Where Lambda extracts the package ({@code /var/task}) plus the cache's path inside the {@code -Paot} package
     * ({@code AotPackage.CACHE} in src/bench/java).
     */
    static final String CACHE = "/var/task/aot/eks-access-updater.aot";

    @Test
    void aotCache_whenDefault_isOffAndSetsNoJvmOptions() {
        assertThat(TemplateTest.defaultOf("AotCache")).isEqualTo("off");
        assertThat(TemplateTest.environment(TemplateTest.deployed())).doesNotContainKey("JAVA_TOOL_OPTIONS");
    }

    @Test
    void aotCache_whenOn_pointsTheJvmAtTheCacheInThePackageAndLetsJava21Start() {
        Object options = TemplateTest.environment(TemplateTest.deployed("AotCache", "on")).get("JAVA_TOOL_OPTIONS");

        assertThat(options).isEqualTo("-XX:+IgnoreUnrecognizedVMOptions -XX:AOTCache=" + CACHE);
    }
}
