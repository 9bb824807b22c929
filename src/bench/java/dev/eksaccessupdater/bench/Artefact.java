package dev.eksaccessupdater.bench;

import dev.eksaccessupdater.packaging.DeploymentPackage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The deployment package {@code sam build} makes of this project through the {@code Makefile}
 * ({@link DeploymentPackage}: the compiled classes at the root, every runtime-scope dependency under {@code lib/},
 * stored), zipped as {@code sam} zips it. Also lists what must not be in it ({@link DeploymentPackage#FORBIDDEN};
 * {@code DeploymentPackageTest} holds the zip to its limit in every build).
 */
final class Artefact {

    record Report(long zipBytes, List<Path> jars, List<String> forbiddenFound) {
    }

    private Artefact() {
    }

    static Report build(Path classes, List<Path> runtimeJars, Path zip) throws IOException {
        List<String> forbidden = DeploymentPackage.forbidden(runtimeJars);
        Path directory = zip.resolveSibling("function-package");
        Layout.delete(directory);
        DeploymentPackage.write(classes, runtimeJars, directory);
        DeploymentPackage.zip(directory, zip);
        return new Report(Files.size(zip), runtimeJars, forbidden);
    }
}
