package dev.eksaccessupdater.architecture;

import static org.assertj.core.api.Assertions.assertThat;

import dev.eksaccessupdater.AccessChangeFunction;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The packages of the function's code form no cycle, so each can be read, tested and changed from the bottom up
 * (house style: "packages form no cycle"). The graph is read from the compiled main classes.
 */
class PackageCyclesTest {

    private static final String BASE_PACKAGE = "dev.eksaccessupdater";

    @Test
    void mainPackages_formNoCycle() {
        PackageGraph graph = PackageGraph.ofClassFiles(mainClasses(), BASE_PACKAGE);

        assertThat(graph.uses()).as("packages read").containsKeys(BASE_PACKAGE, BASE_PACKAGE + ".processing",
                BASE_PACKAGE + ".request", BASE_PACKAGE + ".policy", BASE_PACKAGE + ".observability");
        assertThat(graph.cycles().stream().map(graph::usesWithin))
                .as("package cycles, each with the uses that close it")
                .isEmpty();
    }

    @Test
    void cycles_whenTwoPackagesUseEachOther_nameBoth() {
        PackageGraph graph = new PackageGraph(Map.of(
                "a.request", Set.of("a.policy", "a.failure"),
                "a.policy", Set.of("a.request"),
                "a.failure", Set.of()));

        assertThat(graph.cycles()).containsExactly(sorted("a.policy", "a.request"));
    }

    @Test
    void usesWithin_aCycle_leavesOutUsesOfPackagesOutsideIt() {
        PackageGraph graph = new PackageGraph(Map.of(
                "a.request", Set.of("a.policy", "a.failure"),
                "a.policy", Set.of("a.request")));

        assertThat(graph.usesWithin(graph.cycles().get(0)))
                .isEqualTo("a.policy -> [a.request]\na.request -> [a.policy]\n");
    }

    @Test
    void cycles_whenALoopRunsThroughThreePackages_nameAllThree() {
        PackageGraph graph = new PackageGraph(Map.of(
                "a", Set.of("a.observability"),
                "a.observability", Set.of("a.processing"),
                "a.processing", Set.of("a", "a.time"),
                "a.time", Set.of()));

        assertThat(graph.cycles()).containsExactly(sorted("a", "a.observability", "a.processing"));
    }

    @Test
    void cycles_whenTwoLoopsAreSeparate_nameEachOnItsOwn() {
        PackageGraph graph = new PackageGraph(Map.of(
                "a", Set.of("b"), "b", Set.of("a", "c"),
                "c", Set.of("d"), "d", Set.of("c")));

        assertThat(graph.cycles()).containsExactlyInAnyOrder(sorted("a", "b"), sorted("c", "d"));
    }

    @Test
    void cycles_whenUsesOnlyPointDownward_areNone() {
        PackageGraph graph = new PackageGraph(Map.of(
                "a", Set.of("a.processing", "a.request", "a.failure"),
                "a.processing", Set.of("a.request", "a.failure"),
                "a.request", Set.of("a.failure")));

        assertThat(graph.cycles()).isEmpty();
    }

    @Test
    void ofClassFiles_whenAClassUsesAnotherPackage_keepsOnlyThatUseUnderTheBase() {
        PackageGraph graph = PackageGraph.ofClassFiles(mainClasses(), BASE_PACKAGE);

        assertThat(graph.uses().get(BASE_PACKAGE + ".observability"))
                .contains(BASE_PACKAGE + ".failure")
                .doesNotContain(BASE_PACKAGE + ".observability")
                .allMatch(name -> name.startsWith(BASE_PACKAGE));
    }

    @Test
    void classReferences_ofACompiledClass_includeFieldMethodAndGenericTypes() throws IOException {
        Set<String> references;
        try (InputStream classFile = PackageCyclesTest.class.getResourceAsStream("PackageCyclesTest$Sample.class")) {
            references = ClassReferences.of(classFile.readAllBytes());
        }

        assertThat(references).contains(
                "dev/eksaccessupdater/architecture/PackageCyclesTest$Sample",
                "java/time/Clock",
                "java/time/Duration",
                "java/util/List",
                "java/time/Instant",
                "java/lang/CharSequence");
    }

    /** Refers to other classes in each way a class file can: a field, a parameter, a generic argument, a result. */
    @SuppressWarnings("unused")
    private static final class Sample {
        private java.time.Clock clock;

        List<java.time.Instant> times(java.time.Duration step) {
            return List.of();
        }

        Set<? extends CharSequence> names() {
            return Set.of();
        }
    }

    /** Where the compiled main classes are: the location the function's own class was loaded from. */
    private static Path mainClasses() {
        try {
            return Path.of(AccessChangeFunction.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException impossible) {
            throw new IllegalStateException(impossible);
        }
    }

    private static SortedSet<String> sorted(String... packages) {
        return Set.of(packages).stream().collect(Collectors.toCollection(TreeSet::new));
    }
}
