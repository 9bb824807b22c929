# sam build's recipe for the function (template.yaml: BuildMethod: makefile). It packs what sam build's Maven builder
# packs (the compiled classes at the root, the runtime dependencies under lib/), but with each jar's entries stored,
# so that the deflated deployment zip is about a third smaller (DeploymentPackage.java says why; docs/performance.md
# gives the size). Needs Java 17+ and Maven 3.8+, like the Maven builder.
build-AccessChangeFunction:
	mvn -B -q clean package -Dmaven.test.skip=true
	java src/package/java/dev/eksaccessupdater/packaging/DeploymentPackage.java target/classes target/runtime.classpath "$(ARTIFACTS_DIR)"
