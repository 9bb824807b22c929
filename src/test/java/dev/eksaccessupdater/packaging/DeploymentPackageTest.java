package dev.eksaccessupdater.packaging;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The deployment package {@code sam build} makes through the {@code Makefile}: its size limit, what it must not hold,
 * and that the runtime can load the function from it. The benchmark reports the same size
 * ({@code ./bench.sh -Dbench.only=artefact}).
 */
class DeploymentPackageTest {

    /** The deployment zip, without an AOT cache, may not grow past this (issue 14; docs/performance.md). */
    static final long MAX_ZIP_BYTES = 11L * 1024 * 1024;

    private static final Path BUILD = Path.of(System.getProperty("build.directory", "target"));

    @TempDir
    static Path work;
    private static Path packageDirectory;
    private static Path zip;
    private static List<Path> jars;

    @BeforeAll
    static void buildPackage() throws IOException {
        jars = DeploymentPackage.runtimeJars(BUILD.resolve("runtime.classpath"));
        packageDirectory = work.resolve("package");
        DeploymentPackage.write(BUILD.resolve("classes"), jars, packageDirectory);
        zip = work.resolve("function.zip");
        DeploymentPackage.zip(packageDirectory, zip);
    }

    @Test
    void zipIsAtMost11MiB() throws IOException {
        long bytes = Files.size(zip);
        System.out.printf(Locale.ROOT, "deployment zip: %.2f MiB, %d jars%n", bytes / 1048576.0, jars.size());
        assertThat(bytes)
                .as("deployment zip (%.2f MiB) within %d MiB; its jars, largest first:%n%s", bytes / 1048576.0,
                        MAX_ZIP_BYTES >> 20, jarsBySize())
                .isLessThanOrEqualTo(MAX_ZIP_BYTES);
    }

    @Test
    void holdsNoUnusedClientAndNoTestLibrary() {
        assertThat(jars).isNotEmpty();
        assertThat(DeploymentPackage.forbidden(jars)).isEmpty();
    }

    @Test
    void everyJarIsUnderLibWithTheSameEntriesStored() throws IOException {
        for (Path jar : jars) {
            Path packed = packageDirectory.resolve("lib").resolve(jar.getFileName().toString());
            try (ZipFile original = new ZipFile(jar.toFile()); ZipFile stored = new ZipFile(packed.toFile())) {
                assertThat(stored.size()).as(jar.getFileName().toString()).isEqualTo(original.size());
                for (ZipEntry entry : original.stream().toList()) {
                    ZipEntry copy = stored.getEntry(entry.getName());
                    assertThat(copy).as(entry.getName()).isNotNull();
                    assertThat(copy.getMethod()).isEqualTo(ZipEntry.STORED);
                    assertThat(copy.getCrc()).as(entry.getName()).isEqualTo(entry.getCrc());
                }
            }
        }
        assertThat(packageDirectory.resolve("dev/eksaccessupdater/AccessChangeFunction.class")).isRegularFile();
    }

    /** As the runtime loads a package: the task root, then {@code lib/*.jar}, with none of the tests' classes. */
    @Test
    void theHandlerAndEveryClientLoadFromThePackageAlone() throws Exception {
        List<URL> urls = new ArrayList<>();
        urls.add(packageDirectory.toUri().toURL());
        try (Stream<Path> lib = Files.list(packageDirectory.resolve("lib"))) {
            for (Path jar : lib.sorted().toList()) {
                urls.add(jar.toUri().toURL());
            }
        }
        try (URLClassLoader loader = new URLClassLoader(urls.toArray(URL[]::new),
                ClassLoader.getPlatformClassLoader())) {
            for (String name : List.of("dev.eksaccessupdater.AccessChangeFunction",
                    "software.amazon.awssdk.services.dynamodb.DynamoDbClient",
                    "software.amazon.awssdk.services.eks.EksClient",
                    "software.amazon.awssdk.services.eventbridge.EventBridgeClient",
                    "software.amazon.awssdk.services.scheduler.SchedulerClient",
                    "software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient",
                    "com.amazonaws.services.lambda.runtime.events.SQSEvent",
                    "org.joda.time.DateTime")) {
                assertThat(Class.forName(name, false, loader).getClassLoader()).as(name).isSameAs(loader);
            }
        }
    }

    private static String jarsBySize() {
        StringBuilder text = new StringBuilder();
        jars.stream().sorted(Comparator.comparingLong(DeploymentPackageTest::size).reversed())
                .forEach(jar -> text.append(String.format(Locale.ROOT, "  %7.1f KiB  %s%n", size(jar) / 1024.0,
                        jar.getFileName())));
        return text.toString();
    }

    private static long size(Path jar) {
        try {
            return Files.size(jar);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
