#!/usr/bin/env bash
# A host developer's path, end to end: install the build into a fresh prefix,
# configure and build the installed example hosts as an out-of-tree CMake
# project (find_package(IpfsPlugin)), build the C one again with pkg-config,
# and run each against the installed collector until its event is stored.
# Usage: sdk_consumer_test.sh BUILD_DIR [C_FLAGS CXX_FLAGS EXE_LINKER_FLAGS]
# (the build's own flags: in a sanitizer build the hosts must be instrumented
# too, or they cannot load the instrumented plugin).
set -euo pipefail
build="$1"
cflags="${2:-}"
cxxflags="${3:-}"
ldflags="${4:-}"
work=$(mktemp -d "${TMPDIR:-/tmp}/ipfs-telemetry-sdk-XXXXXX")
collector_pid=""
cleanup() { [ -n "$collector_pid" ] && kill "$collector_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
fail=0
check() { if "$@"; then echo "ok: $*"; else echo "FAILED: $*"; fail=1; fi; }
prefix="$work/prefix"

cmake --install "$build" --prefix "$prefix" >/dev/null
check test -f "$prefix/include/ipfs_plugin/host.hpp"
check test -f "$prefix/share/ipfs-telemetry/examples/CMakeLists.txt"

# The package, from a project that knows nothing of this source tree.
cmake -S "$prefix/share/ipfs-telemetry/examples" -B "$work/build" -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_C_FLAGS="$cflags" -DCMAKE_CXX_FLAGS="$cxxflags" -DCMAKE_EXE_LINKER_FLAGS="$ldflags" >"$work/cmake.log" 2>&1 ||
  { cat "$work/cmake.log"; exit 1; }
cmake --build "$work/build" >"$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }
check test -x "$work/build/example-host-cpp"
check test -x "$work/build/example-host-c"
# pkg-config: the same C host, compiled by hand.
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig:$prefix/lib/$(gcc -print-multiarch 2>/dev/null)/pkgconfig"
so=$(pkg-config --variable=telemetry_plugin ipfs-plugin)
check test -f "$so"
# shellcheck disable=SC2046
# shellcheck disable=SC2086
cc -std=c11 $cflags -o "$work/c-host-pc" "$prefix/share/ipfs-telemetry/examples/c_host.c" $(pkg-config --cflags ipfs-plugin) \
  -DTELEMETRY_PLUGIN="\"$so\"" $(pkg-config --libs ipfs-plugin) -lpthread $ldflags
check test -x "$work/c-host-pc"

"$prefix/bin/telemetry-collector" serve --listen 127.0.0.1:0 --db "$work/collector.db" --collection on 2>"$work/collector.err" &
collector_pid=$!
port=""
for _ in $(seq 1 100); do
  port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$work/collector.err" | head -1)
  [ -n "$port" ] && break
  sleep 0.1
done
check test -n "$port"

n=0
for host in "$work/build/example-host-cpp" "$work/build/example-host-c" "$work/c-host-pc"; do
  n=$((n + 1))
  repo="$work/repo-$n"
  mkdir -p "$repo"
  "$host" "$repo" "{\"Endpoint\":\"http://127.0.0.1:$port/\",\"Delay\":\"0s\"}" >"$work/host-$n.out" 2>"$work/host-$n.err" &
  pid=$!
  stored=0
  for _ in $(seq 1 200); do
    stored=$("$prefix/bin/telemetry-collector" export --db "$work/collector.db" 2>/dev/null | wc -l)
    [ "$stored" -ge "$n" ] && break
    sleep 0.1
  done
  kill -TERM "$pid"
  rc=0
  wait "$pid" || rc=$?
  check test "$stored" -ge "$n"
  check test "$rc" -eq 0
  [ "$rc" -eq 0 ] || tail -20 "$work/host-$n.err"
  check grep -q "example host ready" "$work/host-$n.out"
  check grep -q "config Plugins.Plugins.telemetry.Config.Mode off" "$work/host-$n.err"
  check test -f "$repo/telemetry_uuid"
done
check grep -q '"agent_version":"example-host/1/"' <("$prefix/bin/telemetry-collector" export --db "$work/collector.db")
check grep -q "example-host-cpp config Plugins" "$work/host-1.err"

echo "$((fail == 0 ? 1 : 0)) passed, $fail failed"
exit $fail
