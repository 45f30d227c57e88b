#!/usr/bin/env bash
# Installs the collector component into a temporary prefix and checks the
# systemd unit there: where it lands, what it runs, the hardening it promises
# (docs/collector.md, "Running under systemd"), and `systemd-analyze verify`.
# Prints `systemd-analyze security --offline=yes`'s exposure score for
# information. Skips (exit 77) where systemd-analyze is missing.
# Usage: systemd_unit_test.sh BUILD_DIR
set -euo pipefail
build="$1"
if ! command -v systemd-analyze >/dev/null 2>&1; then
  echo "skipped: systemd-analyze not found (Debian: the systemd package)"
  exit 77
fi
prefix=$(mktemp -d "${TMPDIR:-/tmp}/telemetry-unit-XXXXXX")
trap 'rm -rf "$prefix"' EXIT
fail=0
check() { if "$@"; then echo "ok: $*"; else echo "FAILED: $*"; fail=1; fi; }

cmake --install "$build" --prefix "$prefix" --component collector >/dev/null
unit="$prefix/lib/systemd/system/telemetry-collector.service"
check test -f "$unit"
check test -f "$prefix/etc/telemetry-collector/collector.conf"
check test -x "$prefix/bin/telemetry-collector"
check grep -qx "ExecStart=$prefix/bin/telemetry-collector serve --config $prefix/etc/telemetry-collector/collector.conf" "$unit"
check grep -qx "Documentation=file://$prefix/share/doc/ipfs_telemetry/collector.md" "$unit"
check test -f "$prefix/share/doc/ipfs_telemetry/collector.md"

# Each directive the docs promise, exactly.
for line in 'User=telemetry-collector' 'Group=telemetry-collector' \
  'StateDirectory=telemetry-collector' 'StateDirectoryMode=0700' \
  'ExecReload=/bin/kill -HUP $MAINPID' 'Restart=on-failure' \
  'ProtectSystem=strict' 'ProtectHome=yes' 'PrivateTmp=yes' 'PrivateDevices=yes' 'NoNewPrivileges=yes' \
  'ProtectKernelTunables=yes' 'ProtectKernelModules=yes' 'ProtectKernelLogs=yes' 'ProtectControlGroups=yes' \
  'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX' 'RestrictNamespaces=yes' 'LockPersonality=yes' \
  'MemoryDenyWriteExecute=yes' 'SystemCallFilter=@system-service' 'CapabilityBoundingSet=' \
  'UMask=0077' 'LimitNOFILE=65536' 'WantedBy=multi-user.target'; do
  check grep -qxF "$line" "$unit"
done
check test "$(grep -c '^DynamicUser' "$unit")" = 0
check test "$(grep -c '^AmbientCapabilities' "$unit")" = 0

# verify exits 0 on warnings (an unknown key, a bad value): any line it prints
# about our unit counts as a failure.
out=$(systemd-analyze verify --man=no "$unit" 2>&1) && rc=0 || rc=$?
if [ $rc -ne 0 ] || grep -q "telemetry-collector" <<<"$out"; then
  echo "FAILED: systemd-analyze verify (exit $rc):"; echo "$out"; fail=1
else
  echo "ok: systemd-analyze verify${out:+ (other units: $(wc -l <<<"$out") line(s))}"
fi

# Informational: the exposure score (0 best, 10 worst).
if score=$(systemd-analyze security --offline=yes "$unit" 2>/dev/null | tail -1); then
  echo "info: systemd-analyze security: ${score#→ }"
else
  echo "info: systemd-analyze security --offline=yes is not supported here"
fi

echo "$((fail == 0 ? 1 : 0)) passed, $fail failed"
exit $fail
