#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test with ctest.
# This is the command CI runs (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh default
ctest --preset default -j "$(nproc)"
