#!/usr/bin/env bash
# The end-to-end demo: installs what is missing, builds, installs into a
# throw-away prefix, then runs a collector on 127.0.0.1 and a daemon whose
# telemetry points at it with a short Delay, and shows the event arriving.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

scripts/install-deps.sh
scripts/build.sh default

work=$(mktemp -d "${TMPDIR:-/tmp}/ipfs-telemetry-demo-XXXXXX")
collector_pid=""
daemon_pid=""
cleanup() {
  [ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null || true
  [ -n "$collector_pid" ] && kill "$collector_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "Installing into $work/prefix"
cmake --install build/default --prefix "$work/prefix" >/dev/null
bin="$work/prefix/bin"
ls "$work/prefix/bin" "$work/prefix/lib/ipfs-stub/plugins"

step "Starting the collector on 127.0.0.1 (any free port)"
"$bin/telemetry-collector" serve --listen 127.0.0.1:0 --db "$work/collector.db" --aggregate-every 1 \
  2>"$work/collector.log" &
collector_pid=$!
for _ in $(seq 100); do grep -q "listening on" "$work/collector.log" 2>/dev/null && break; sleep 0.1; done
cat "$work/collector.log"
port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$work/collector.log")
endpoint="http://127.0.0.1:$port/"

step "Turning collection on (a new collector database starts with it off)"
"$bin/telemetry-collector" settings --db "$work/collector.db" --collection on
# The running collector reads the settings again every second.
for _ in $(seq 50); do grep -q "collection is on" "$work/collector.log" && break; sleep 0.1; done
grep "collection is on" "$work/collector.log"

export IPFS_PATH="$work/repo"
step "Creating a throw-away repo at $IPFS_PATH and pointing telemetry at $endpoint"
"$bin/ipfs-stub" init
"$bin/ipfs-stub" config Plugins.Plugins.telemetry.Config.Endpoint "$endpoint"
"$bin/ipfs-stub" config Plugins.Plugins.telemetry.Config.Delay 3s
"$bin/ipfs-stub" telemetry status

step "Starting the daemon (first collection in 3s); its log:"
GOLOG_LOG_LEVEL="telemetry=debug" "$bin/ipfs-stub" daemon > >(sed -u 's/^/  daemon | /') 2>&1 &
daemon_pid=$!

stored() { "$bin/telemetry-collector" export --db "$work/collector.db"; }
for _ in $(seq 200); do [ -n "$(stored)" ] && break; sleep 0.1; done
if [ -z "$(stored)" ]; then
  echo "demo: no event arrived at the collector within 20s" >&2
  exit 1
fi
sleep 1.5  # let the collector refresh today's aggregates (--aggregate-every 1)

step "The collector received and stored this event (telemetry-collector export --db $work/collector.db):"
stored | python3 -m json.tool 2>/dev/null || stored

step "The fleet as the dashboard at $endpoint sees it (GET /v1/stats?days=1, abridged):"
curl -s "${endpoint}v1/stats?days=1" | python3 -c '
import json, sys
for d in json.load(sys.stdin)["days"]:
    f = d["fields"]
    print("  %s: %d active node(s); agent_version %s; platform_os %s"
          % (d["date"], d["active_nodes"], f["agent_version"], f["platform_os"]))'

step "Stopping the daemon, then asking the collector what it holds about this node (ipfs-stub telemetry access)"
kill -TERM "$daemon_pid"
for _ in $(seq 100); do kill -0 "$daemon_pid" 2>/dev/null || break; sleep 0.05; done
daemon_pid=""
"$bin/ipfs-stub" telemetry access

step "Erasing this node's data at the collector (ipfs-stub telemetry erase)"
"$bin/ipfs-stub" telemetry erase
echo "events stored for any node now: $(stored | wc -l)"

step "Stopping the collector"
kill -TERM "$collector_pid"
wait 2>/dev/null || true
daemon_pid=""
collector_pid=""
echo "demo: done"
