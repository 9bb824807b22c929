package dev.eksaccessupdater.bench;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * The deployment package {@code sam build} makes of this Maven project, rebuilt here: the compiled classes at the
 * root and every runtime-scope dependency jar under {@code lib/}, deflated. Also lists what must not be in it.
 */
final class Artefact {

    /** HTTP clients the function does not use, and libraries only the tests use. */
    static final List<String> FORBIDDEN = List.of("apache-client", "apache5-client", "httpclient", "httpcore",
            "netty", "aws-crt", "junit", "assertj", "aws-lambda-java-tests", "aws-lambda-java-serialization",
            "json-schema-validator", "snakeyaml", "elasticmq", "scala", "pekko", "opentest4j", "/sqs-");

    record Report(long zipBytes, List<Path> jars, List<String> forbiddenFound) {
    }

    private Artefact() {
    }

    static Report build(Path classes, List<Path> runtimeJars, Path zip) throws IOException {
        Files.createDirectories(zip.getParent());
        List<String> forbidden = new ArrayList<>();
        for (Path jar : runtimeJars) {
            String name = "/" + jar.getFileName().toString().toLowerCase(Locale.ROOT);
            FORBIDDEN.stream().filter(name::contains).forEach(pattern -> forbidden.add(jar.getFileName().toString()));
        }
        try (ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(zip))) {
            try (Stream<Path> files = Files.walk(classes)) {
                for (Path file : files.filter(Files::isRegularFile).sorted().toList()) {
                    put(out, classes.relativize(file).toString().replace(File.separatorChar, '/'), file);
                }
            }
            for (Path jar : runtimeJars) {
                put(out, "lib/" + jar.getFileName(), jar);
            }
        }
        return new Report(Files.size(zip), runtimeJars, forbidden);
    }

    private static void put(ZipOutputStream out, String name, Path file) throws IOException {
        out.putNextEntry(new ZipEntry(name));
        Files.copy(file, (OutputStream) out);
        out.closeEntry();
    }
}
