package dev.eksaccessupdater.bench;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Predicate;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;

/** Writes a jar of the files under a directory. */
final class Jars {

    private Jars() {
    }

    /**
     * @param include tested with each file's path relative to {@code root}, with {@code /} separators
     * @return how many files went in
     */
    static int write(Path jar, Path root, Predicate<String> include) throws IOException {
        Files.createDirectories(jar.getParent());
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().putValue("Manifest-Version", "1.0");
        int files = 0;
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar), manifest);
             Stream<Path> walk = Files.walk(root)) {
            for (Path file : walk.filter(Files::isRegularFile).sorted().toList()) {
                String name = root.relativize(file).toString().replace(File.separatorChar, '/');
                if (include.test(name)) {
                    out.putNextEntry(new JarEntry(name));
                    Files.copy(file, (OutputStream) out);
                    out.closeEntry();
                    files++;
                }
            }
        }
        return files;
    }
}
