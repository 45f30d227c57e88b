#!/usr/bin/env bash
# Checks docs/prometheus-alerts.yml: promtool check rules, promtool test rules
# with tests/prometheus-alerts-test.yml (each alert fires on synthetic series),
# and every telemetry_* metric the rules name against the /metrics of a real
# collector started here on 127.0.0.1. Skips (exit 77) without promtool,
# except under CI=true, where a missing promtool fails.
# Usage: prometheus_alerts_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build="$1"
src="$2"
rules="$src/docs/prometheus-alerts.yml"

if ! command -v promtool >/dev/null 2>&1; then
  echo "skipped: promtool not found (Debian: apt-get install prometheus; scripts/install-deps.sh does)"
  if [ "${CI:-}" = true ]; then echo "FAILED: CI=true and promtool is missing"; exit 1; fi
  exit 77
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/prometheus-alerts-XXXXXX")
collector=""
cleanup() {
  if [ -n "$collector" ]; then kill -TERM "$collector" 2>/dev/null || true; wait "$collector" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
fail=0
check() { if "$@"; then echo "ok: $*"; else echo "FAILED: $*"; fail=1; fi; }

check promtool check rules "$rules"
check promtool test rules "$src/tests/prometheus-alerts-test.yml"

# A real collector's metric names.
"$build/bin/telemetry-collector" serve --listen 127.0.0.1:0 --db "$tmp/c.db" 2>"$tmp/log" &
collector=$!
port=""
for _ in $(seq 1 100); do
  port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$tmp/log" | head -1)
  [ -n "$port" ] && break
  sleep 0.1
done
if [ -z "$port" ]; then echo "FAILED: the collector did not start:"; cat "$tmp/log"; exit 1; fi
curl -sf --max-time 5 "http://127.0.0.1:$port/metrics" >"$tmp/metrics"
# Sample lines only ("name{labels} value" or "name value"): the names as Prometheus stores them.
grep -v '^#' "$tmp/metrics" | sed -E 's/^([a-zA-Z_:][a-zA-Z0-9_:]*).*/\1/' | sort -u >"$tmp/exposed"
grep -o 'telemetry_[a-z0-9_]*' "$rules" | sort -u >"$tmp/used"
check test -s "$tmp/used"
while read -r name; do
  if grep -qx "$name" "$tmp/exposed"; then
    echo "ok: /metrics has $name"
  else
    echo "FAILED: the rules name $name, which /metrics does not print"; fail=1
  fi
done <"$tmp/used"

echo "$((fail == 0 ? 1 : 0)) passed, $fail failed"
exit $fail
