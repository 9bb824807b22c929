package dev.eksaccessupdater.bench;

import dev.eksaccessupdater.packaging.DeploymentPackage;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

/**
 * What a cold start runs on, laid out as Lambda lays it out. The JVM's class path is the runtime's: this benchmark's
 * {@link ColdRunner} in place of the runtime interface client, with the runtime's {@code aws-lambda-java-core} and
 * {@code aws-lambda-java-serialization}, every entry a jar. A task root is the deployment package as Lambda extracts
 * it to {@code /var/task}, in one of two layouts:
 * <ul>
 * <li>{@link #classesTask}: what {@code sam build} deploys ({@link DeploymentPackage}), the function's classes at
 *     the root and its dependencies under {@code lib/}, stored;</li>
 * <li>{@link #jarTask}: what {@code mvn -Paot package} deploys, every class in a jar under {@code lib/}, the
 *     function's own in {@value #FUNCTION_JAR}; an AOT cache stores classes from jars only.</li>
 * </ul>
 * Both also hold {@value #HANDLERS_JAR}, the benchmark's empty and SDK-only handlers, so that all three handlers
 * start from the same package.
 */
final class Layout {

    static final String FUNCTION_JAR = "eks-access-updater.jar";
    static final String HANDLERS_JAR = "bench-handlers.jar";
    static final String RUNNER_JAR = "bench-runner.jar";
    static final List<String> RUNTIME_LIBRARIES = List.of("aws-lambda-java-core", "aws-lambda-java-serialization");

    private final String runtimeClasspath;
    private final Path classesTask;
    private final Path jarTask;

    private Layout(String runtimeClasspath, Path classesTask, Path jarTask) {
        this.runtimeClasspath = runtimeClasspath;
        this.classesTask = classesTask;
        this.jarTask = jarTask;
    }

    /**
     * Builds both task roots and the runtime's class path under {@code directory}, replacing what was there.
     *
     * @param classes the function's compiled classes
     * @param benchClasses where the benchmark's classes were compiled (with the tests)
     * @param functionJars the function's runtime-scope dependencies
     * @param classpath this process's class path, which holds the runtime's libraries
     */
    static Layout build(Path directory, Path classes, Path benchClasses, List<Path> functionJars, String classpath)
            throws IOException {
        delete(directory);
        String runtimeClasspath = runtime(directory.resolve("runtime"), benchClasses, classpath);
        Path handlers = directory.resolve(HANDLERS_JAR);
        Jars.write(handlers, benchClasses, name -> name.startsWith("dev/eksaccessupdater/bench/EmptyHandler")
                || name.startsWith("dev/eksaccessupdater/bench/SdkOnlyHandler")
                || name.startsWith("dev/eksaccessupdater/bench/BareMessage"));

        Path classesTask = directory.resolve("task-classes");
        DeploymentPackage.write(classes, functionJars, classesTask);
        Files.copy(handlers, classesTask.resolve("lib").resolve(HANDLERS_JAR));

        Path jarTask = directory.resolve("task-jars");
        jarPackage(jarTask, classes, functionJars);
        Files.copy(handlers, jarTask.resolve("lib").resolve(HANDLERS_JAR));
        return new Layout(runtimeClasspath, classesTask, jarTask);
    }

    /**
     * Writes the runtime's side under {@code directory}: the runner jar and copies of the runtime's libraries.
     *
     * @return the class path of a JVM started as the runtime starts it
     */
    static String runtime(Path directory, Path benchClasses, String classpath) throws IOException {
        List<String> entries = new ArrayList<>();
        Path runner = directory.resolve(RUNNER_JAR);
        Jars.write(runner, benchClasses, name -> name.startsWith("dev/eksaccessupdater/bench/ColdRunner")
                || name.startsWith("dev/eksaccessupdater/testing/TestContext"));
        entries.add(runner.toString());
        for (String library : RUNTIME_LIBRARIES) {
            Path jar = Arrays.stream(classpath.split(File.pathSeparator)).map(Path::of)
                    .filter(entry -> entry.getFileName().toString().startsWith(library + "-")
                            && entry.toString().endsWith(".jar"))
                    .findFirst()
                    .orElseThrow(() -> new IllegalStateException(library + " is not on the class path"));
            Path copy = directory.resolve(jar.getFileName());
            Files.copy(jar, copy, StandardCopyOption.REPLACE_EXISTING);
            entries.add(copy.toString());
        }
        return String.join(File.pathSeparator, entries);
    }

    /** The {@code -Paot} layout under {@code task}: the dependencies and {@value #FUNCTION_JAR} under {@code lib/}. */
    static void jarPackage(Path task, Path classes, List<Path> functionJars) throws IOException {
        copyJars(functionJars, task.resolve("lib"));
        Jars.write(task.resolve("lib").resolve(FUNCTION_JAR), classes, name -> true);
    }

    String runtimeClasspath() {
        return runtimeClasspath;
    }

    Path classesTask() {
        return classesTask;
    }

    Path jarTask() {
        return jarTask;
    }

    static void copyJars(List<Path> jars, Path lib) throws IOException {
        Files.createDirectories(lib);
        for (Path jar : jars) {
            Files.copy(jar, lib.resolve(jar.getFileName()), StandardCopyOption.REPLACE_EXISTING);
        }
    }

    static void delete(Path directory) throws IOException {
        if (!Files.exists(directory)) {
            return;
        }
        try (Stream<Path> files = Files.walk(directory)) {
            for (Path file : files.sorted((left, right) -> right.compareTo(left)).toList()) {
                Files.delete(file);
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }
}
