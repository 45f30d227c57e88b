#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test. This is the command CI
# runs (.ci/run). Stages:
#   1. default build (RelWithDebInfo): every suite with ctest
#   2. ASan + UBSan build: every suite (children too: a report fails the test)
#   3. TSan build: the suites where threads meet (label "concurrency")
#   4. libFuzzer targets, each for FUZZ_SECONDS (default 30)
# QUICK=1 runs stage 1 only.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

stage() { printf '\n==== %s (%s)\n' "$1" "$(date -u +%H:%M:%S)"; }

stage "default build and tests"
scripts/build.sh default
ctest --preset default -j "$(nproc)"
[ "${QUICK:-0}" = 1 ] && exit 0

stage "AddressSanitizer + UndefinedBehaviorSanitizer"
scripts/build.sh asan
ctest --preset asan -j "$(nproc)"

stage "ThreadSanitizer (concurrency suites)"
scripts/build.sh tsan
ctest --preset tsan -j "$(nproc)"

stage "fuzzing"
scripts/fuzz.sh "${FUZZ_SECONDS:-30}"
stage "all stages passed"
