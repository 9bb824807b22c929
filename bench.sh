#!/usr/bin/env bash
# The performance benchmark (README "Performance"): loopback stand-ins only, a few minutes on two cores.
# Prints each figure next to its floor and writes them to <build dir>/bench/results.md.
# Needs Java 17+, Maven 3.8+ and Node.js 20 (dynalite). Extra arguments go to Maven, e.g. -Dbuild.dir=target-x;
# -Djava25.home=<JDK 25 home> (or JAVA25_HOME) adds the Java 25 and AOT-cache figures (docs/performance.md).
set -euo pipefail
cd "$(dirname "$0")"
exec mvn -B -Pbench verify "$@"
