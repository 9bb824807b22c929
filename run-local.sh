#!/usr/bin/env bash
# The whole pipeline on this machine, on stand-ins for AWS (README "Run it locally"):
#   ./run-local.sh            tells five stories with sample requests, then exits (0 when each happened)
#   ./run-local.sh --serve    keeps everything running on fixed ports for the AWS CLI, until Ctrl-C
#   ./run-local.sh --fifo     the same with a FIFO queue; --help lists every option
set -euo pipefail
cd "$(dirname "$0")"

need() {
  if ! command -v "$1" >/dev/null 2>&1; then
    echo "run-local.sh needs $2 ('$1' on the PATH): $3" >&2
    exit 1
  fi
}
need java "Java 17 or later" "https://adoptium.net/"
need mvn "Maven 3.8 or later" "https://maven.apache.org/install.html"
need node "Node.js 20 (it runs dynalite, the local DynamoDB)" "https://nodejs.org/"
need npm "npm (it comes with Node.js)" "https://nodejs.org/"

java_version=$(java -XshowSettings:properties -version 2>&1 | awk -F' = ' '/java.specification.version/ {print $2}')
if [[ "${java_version%%.*}" -lt 17 ]]; then
  echo "run-local.sh needs Java 17 or later; 'java' on the PATH is $java_version." >&2
  exit 1
fi

# dynalite comes from the committed lock file; npm ci leaves its own copy of the lock file in node_modules.
if [[ ! -f node_modules/dynalite/cli.js || ! -f node_modules/.package-lock.json \
      || package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "Installing dynalite with npm ci ..."
  npm ci --no-audit --no-fund --loglevel=error
fi

echo "Compiling with Maven (the first run also downloads the dependencies) ..."
classpath_file=target/run-local.classpath
# Maven's output is shown only when it fails.
if ! build_output=$(mvn -B -q -ntp test-compile dependency:build-classpath \
    -Dmdep.outputFile="$classpath_file" -Dmdep.includeScope=test 2>&1); then
  echo "$build_output" >&2
  echo "The build failed (above); run-local.sh stops here." >&2
  exit 1
fi

# The stack runs in a JVM of its own (not inside Maven), so that Ctrl-C reaches its shutdown hook directly.
exec java -Dsun.net.httpserver.nodelay=true \
  -cp "target/test-classes:target/classes:$(cat "$classpath_file")" \
  dev.eksaccessupdater.local.LocalStack "$@"
