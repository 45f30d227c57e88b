#!/usr/bin/env bash
# Installs the build into a temporary prefix and checks the layout the project
# promises, then runs the installed ipfs-stub to prove it finds its bundled
# plugin relative to its own executable. Usage: install_tree_test.sh BUILD_DIR
set -euo pipefail
build="$1"
prefix=$(mktemp -d "${TMPDIR:-/tmp}/ipfs-telemetry-install-XXXXXX")
trap 'rm -rf "$prefix"' EXIT
fail=0
check() { if "$@"; then echo "ok: $*"; else echo "FAILED: $*"; fail=1; fi; }

cmake --install "$build" --prefix "$prefix" >/dev/null

check test -x "$prefix/bin/ipfs-stub"
check test -x "$prefix/bin/telemetry-collector"
check test -f "$prefix/lib/ipfs-stub/plugins/telemetry.so"
check test -f "$prefix/include/ipfs_plugin/abi.h"
check test -f "$prefix/share/ipfs-telemetry/schemas/log_event.schema.json"
check test -f "$prefix/share/ipfs-telemetry/schemas/telemetry_config.schema.json"
check test -f "$prefix/share/doc/ipfs_telemetry/telemetry.md"
check test -f "$prefix/share/doc/ipfs_telemetry/plugin-abi.md"

export IPFS_PATH="$prefix/repo"
unset IPFS_TELEMETRY DO_NOT_TRACK GOLOG_LOG_LEVEL
"$prefix/bin/ipfs-stub" init >/dev/null
out=$("$prefix/bin/ipfs-stub" telemetry status --json)
check grep -q '"mode":"on"' <<<"$out"
# Moved elsewhere, the tree still works: nothing depends on the build path.
mv "$prefix/bin" "$prefix/bin2" && mkdir "$prefix/bin" && mv "$prefix/bin2/ipfs-stub" "$prefix/bin/"
check "$prefix/bin/ipfs-stub" telemetry show

# The first-run notice names the host's command and points at the docs where
# this prefix put them, not where the build was configured to.
"$prefix/bin/ipfs-stub" config Plugins.Plugins.telemetry.Config.Endpoint http://127.0.0.1:9/ >/dev/null 2>&1
"$prefix/bin/ipfs-stub" config Plugins.Plugins.telemetry.Config.Delay 1h >/dev/null 2>&1
"$prefix/bin/ipfs-stub" daemon >"$prefix/daemon.out" 2>"$prefix/daemon.err" &
daemon=$!
# The notice is logged on the plugin's thread after start: wait for it (30 s at most).
for _ in $(seq 1 300); do grep -q "^Learn more: " "$prefix/daemon.err" 2>/dev/null && break; sleep 0.1; done
kill -TERM "$daemon"; wait "$daemon" || true
learn=$(sed -n 's/^Learn more: //p' "$prefix/daemon.err")
check test "$learn" = "$prefix/share/doc/ipfs_telemetry/telemetry.md"
check test -f "$learn"
check grep -q "ipfs-stub config Plugins.Plugins.telemetry.Config.Mode off" "$prefix/daemon.err"

echo "$((fail == 0 ? 1 : 0)) passed, $fail failed"
exit $fail
