#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan) and runs each for a
# bounded time, starting from the committed corpora. Fails on any crash,
# sanitizer report, timeout or trap. Usage: scripts/fuzz.sh [SECONDS_PER_TARGET]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-${FUZZ_SECONDS:-30}}"
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j "$(nproc)"

work=$(mktemp -d "${TMPDIR:-/tmp}/ipfs-telemetry-fuzz-XXXXXX")
trap 'rm -rf "$work"' EXIT
failed=0
for target in plugin_config go_duration schedule uuid_file collector_request; do
  # Work on a copy: new inputs found in CI are not written into the source tree.
  mkdir -p "$work/$target"
  cp -r "fuzz/corpus/$target/." "$work/$target/"
  echo "fuzz: $target for ${seconds}s"
  if build/fuzz/bin/fuzz_$target -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
       -artifact_prefix="$work/$target-" -print_final_stats=1 "$work/$target" >"$work/$target.log" 2>&1; then
    grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "$work/$target.log" | sed "s/^/  /"
  else
    echo "fuzz: $target FAILED"; tail -40 "$work/$target.log"
    for a in "$work/$target-"*; do [ -e "$a" ] && { echo "  crashing input (base64):"; base64 -w0 "$a"; echo; }; done
    failed=$((failed + 1))
  fi
done
echo "$((5 - failed)) passed, $failed failed"
exit "$failed"
