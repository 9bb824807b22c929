#!/usr/bin/env bash
# The performance benchmark (README "Performance"): loopback stand-ins only, a few minutes on two cores.
# Prints each figure next to its floor and writes them to <build dir>/bench/results.md.
# Needs Java 17+, Maven 3.8+ and Node.js 20 (dynalite). Extra arguments go to Maven, e.g. -Dbuild.dir=target-x.
set -euo pipefail
cd "$(dirname "$0")"
exec mvn -B -Pbench verify "$@"
