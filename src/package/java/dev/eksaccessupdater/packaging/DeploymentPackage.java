package dev.eksaccessupdater.packaging;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Enumeration;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

/**
 * Lays out the function's deployment package as Lambda extracts it to {@code /var/task}: the compiled classes at the
 * root and every runtime dependency under {@code lib/}, the layout of {@code sam build}'s Maven builder. The only
 * difference is that each jar under {@code lib/} is rewritten with its entries stored, not deflated: {@code sam} zips
 * the package file by file with deflate, so a stored jar is compressed as one stream, and its classes (the SDK's
 * model classes are much alike) compress together: the zip is about a third smaller than with jars that are already
 * compressed. Lambda unzips the package before the JVM starts, so the runtime reads the same classes; it only reads
 * them uncompressed.
 *
 * <p>{@code sam build} runs this through the {@code Makefile} ({@code BuildMethod: makefile} in {@code template.yaml}).
 * It needs nothing but the JDK, so that it runs as a single source file:
 * {@code java src/package/java/dev/eksaccessupdater/packaging/DeploymentPackage.java <classes> <runtime class path
 * file> <output directory>}.
 */
public final class DeploymentPackage {

    /** Jars the package must not hold: HTTP clients and event-stream signing the function does not use, test libraries. */
    public static final List<String> FORBIDDEN = List.of("apache-client", "apache5-client", "httpclient",
            "httpcore", "netty", "aws-crt", "eventstream", "junit", "assertj", "aws-lambda-java-tests",
            "aws-lambda-java-serialization", "json-schema-validator", "snakeyaml", "elasticmq", "scala", "pekko",
            "opentest4j", "/sqs-");

    private DeploymentPackage() {
    }

    /** The names of those of {@code jars} that match {@link #FORBIDDEN}. */
    public static List<String> forbidden(List<Path> jars) {
        List<String> found = new ArrayList<>();
        for (Path jar : jars) {
            String name = "/" + jar.getFileName().toString().toLowerCase(Locale.ROOT);
            if (FORBIDDEN.stream().anyMatch(name::contains)) {
                found.add(jar.getFileName().toString());
            }
        }
        return found;
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 3) {
            throw new IllegalArgumentException(
                    "usage: DeploymentPackage <classes directory> <runtime class path file> <output directory>");
        }
        write(Path.of(args[0]), runtimeJars(Path.of(args[1])), Path.of(args[2]));
    }

    /** The jars of a class path file, as {@code mvn dependency:build-classpath} writes it. */
    public static List<Path> runtimeJars(Path classpathFile) throws IOException {
        String classpath = Files.readString(classpathFile).strip();
        return classpath.isEmpty() ? List.of()
                : Arrays.stream(classpath.split(File.pathSeparator)).map(Path::of).toList();
    }

    /**
     * Writes the package into {@code directory} (created when missing; files already there are kept, as {@code sam}
     * gives an empty one): {@code classes} at the root, each of {@code jars} as {@code lib/<name>}, stored.
     */
    public static void write(Path classes, List<Path> jars, Path directory) throws IOException {
        Files.createDirectories(directory);
        try (Stream<Path> files = Files.walk(classes)) {
            for (Path file : files.filter(Files::isRegularFile).sorted().toList()) {
                Path target = directory.resolve(classes.relativize(file).toString());
                Files.createDirectories(target.getParent());
                Files.copy(file, target, StandardCopyOption.REPLACE_EXISTING);
            }
        }
        Path lib = directory.resolve("lib");
        Files.createDirectories(lib);
        for (Path jar : jars) {
            storeEntries(jar, lib.resolve(jar.getFileName().toString()));
        }
    }

    /** Zips {@code directory} as {@code sam} does before uploading it: every file, deflated at the default level. */
    public static void zip(Path directory, Path zip) throws IOException {
        Files.createDirectories(zip.toAbsolutePath().getParent());
        try (ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(zip));
             Stream<Path> files = Files.walk(directory)) {
            for (Path file : files.filter(Files::isRegularFile).sorted().toList()) {
                out.putNextEntry(new ZipEntry(directory.relativize(file).toString().replace(File.separatorChar, '/')));
                Files.copy(file, out);
                out.closeEntry();
            }
        }
    }

    /** Copies every entry of {@code jar}, in order and with its time, to {@code target}, uncompressed. */
    static void storeEntries(Path jar, Path target) throws IOException {
        try (ZipFile in = new ZipFile(jar.toFile());
             ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(target))) {
            List<ZipEntry> entries = new ArrayList<>();
            for (Enumeration<? extends ZipEntry> all = in.entries(); all.hasMoreElements(); ) {
                entries.add(all.nextElement());
            }
            for (ZipEntry entry : entries) {
                byte[] content;
                try (InputStream data = in.getInputStream(entry)) {
                    content = data.readAllBytes();
                }
                ZipEntry stored = new ZipEntry(entry.getName());
                stored.setMethod(ZipEntry.STORED);
                stored.setSize(content.length);
                stored.setCompressedSize(content.length);
                CRC32 crc = new CRC32();
                crc.update(content);
                stored.setCrc(crc.getValue());
                stored.setTime(entry.getTime());
                out.putNextEntry(stored);
                out.write(content);
                out.closeEntry();
            }
        }
    }
}
