package dev.eksaccessupdater.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;

/**
 * A JDK the benchmark starts child JVMs on, with the flags the Lambda runtime of that Java version starts its JVM
 * with (Lambda developer guide, "Customize Java runtime startup behavior":
 * https://docs.aws.amazon.com/lambda/latest/dg/java-customization.html).
 *
 * @param home the JDK's home directory
 * @param feature the Java feature release (17, 25, ...)
 * @param build the full runtime version, e.g. {@code 25.0.3+9-LTS}
 */
record Jvm(Path home, int feature, String build, String vendor) {

    /** Where the benchmark and {@code -Paot} look for a Java 25 JDK: this system property, or else this variable. */
    static final String JAVA25_PROPERTY = "java25.home";
    static final String JAVA25_VARIABLE = "JAVA25_HOME";

    /** The java17, java21 and java25 runtimes, except java25 under SnapStart or provisioned concurrency. */
    static final List<String> LAMBDA_FLAGS =
            List.of("-XX:+TieredCompilation", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC");

    /** The JDK running this process. */
    static Jvm current() {
        return new Jvm(Path.of(System.getProperty("java.home")), Runtime.version().feature(),
                System.getProperty("java.runtime.version"), System.getProperty("java.vendor"));
    }

    /** The JDK at {@code home}, read from its {@code release} file, which every JDK since 9 has. */
    static Jvm at(Path home) {
        Path release = home.resolve("release");
        if (!Files.isRegularFile(home.resolve("bin/java")) || !Files.isRegularFile(release)) {
            throw new IllegalArgumentException(home + " is not a JDK: it has no bin/java or no release file");
        }
        Properties properties = new Properties();
        try (var reader = Files.newBufferedReader(release)) {
            properties.load(reader);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String version = unquote(properties.getProperty("JAVA_VERSION", "0"));
        String build = unquote(properties.getProperty("JAVA_RUNTIME_VERSION", version));
        String vendor = unquote(properties.getProperty("IMPLEMENTOR", "unknown vendor"));
        return new Jvm(home, Integer.parseInt(version.split("[.+-]")[0]), build, vendor);
    }

    /** The JDK named by {@link #JAVA25_PROPERTY} or else {@link #JAVA25_VARIABLE}; {@code null} when neither is set. */
    static Jvm java25() {
        String home = System.getProperty(JAVA25_PROPERTY, "");
        if (home.isBlank()) {
            home = System.getenv().getOrDefault(JAVA25_VARIABLE, "");
        }
        return home.isBlank() ? null : at(Path.of(home));
    }

    Path java() {
        return home.resolve("bin").resolve("java");
    }

    /** JEP 514's one-step {@code -XX:AOTCacheOutput} (and JEP 515's method profiles) arrived in JDK 25. */
    boolean hasAotCache() {
        return feature >= 25;
    }

    /**
     * Flags under SnapStart: the java25 runtime then keeps the JVM's default tiered compilation (C1 and C2); the
     * java17 and java21 runtimes stop at C1 as always.
     */
    List<String> snapStartFlags() {
        return feature >= 25 ? List.of("-XX:+UseSerialGC") : LAMBDA_FLAGS;
    }

    /** For tables: {@code JDK 25.0.3+9-LTS (Eclipse Adoptium)}. */
    String label() {
        return "JDK " + build + " (" + vendor + ")";
    }

    String shortLabel() {
        return "Java " + feature;
    }

    private static String unquote(String value) {
        return value.replace("\"", "").strip();
    }
}
