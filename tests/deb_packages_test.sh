#!/usr/bin/env bash
# Builds the Debian packages from the build tree (cpack -G DEB, into a
# temporary directory) and checks them without installing them: contents and
# modes, control fields and shlibdeps' Depends, conffiles, maintainer scripts
# (run against stub commands), that the two packages share no file, that the
# unpacked ipfs-stub finds its plugin, lintian (when installed) and
# `apt-get install --simulate`. Skips (exit 77) without cpack or dpkg-deb.
# Usage: deb_packages_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build="$1"
src="$2"
for tool in cpack dpkg-deb; do
  if ! command -v "$tool" >/dev/null 2>&1; then echo "skipped: $tool not found"; exit 77; fi
done
out=$(mktemp -d "${TMPDIR:-/tmp}/telemetry-deb-XXXXXX")
trap 'rm -rf "$out"' EXIT
fail=0
check() { if "$@"; then echo "ok: $*"; else echo "FAILED: $*"; fail=1; fi; }
# has FILE LINE: FILE holds exactly LINE.
has() { grep -qxF -- "$2" "$1"; }

version=$(sed -n 's/^set(CPACK_PACKAGE_VERSION "\(.*\)")$/\1/p' "$build/CPackConfig.cmake")
arch=$(dpkg --print-architecture)
(cd "$build" && cpack -G DEB -B "$out" >"$out/cpack.log" 2>&1) || { echo "FAILED: cpack:"; cat "$out/cpack.log"; exit 1; }
plugin="$out/ipfs-telemetry-plugin_${version}_${arch}.deb"
collector="$out/telemetry-collector_${version}_${arch}.deb"
check test -f "$plugin"
check test -f "$collector"
[ -f "$plugin" ] && [ -f "$collector" ] || { ls -l "$out"; exit 1; }

# "mode path" of every entry; the owner must be root for all.
listing() { dpkg-deb -c "$1" | awk '{ print $1, $6 }'; }
listing "$plugin" >"$out/plugin.list"
listing "$collector" >"$out/collector.list"
check test "$(dpkg-deb -c "$plugin" "$collector" 2>/dev/null | awk '$2 != "root/root"' | wc -l)" = 0

check has "$out/plugin.list" "-rwxr-xr-x ./usr/bin/ipfs-stub"
check has "$out/plugin.list" "-rw-r--r-- ./usr/lib/ipfs-stub/plugins/telemetry.so"
check has "$out/plugin.list" "-rw-r--r-- ./usr/include/ipfs_plugin/abi.h"
check has "$out/plugin.list" "-rw-r--r-- ./usr/lib/cmake/IpfsPlugin/IpfsPluginConfig.cmake"
check has "$out/plugin.list" "-rw-r--r-- ./usr/lib/pkgconfig/ipfs-plugin.pc"
check has "$out/plugin.list" "-rw-r--r-- ./usr/share/ipfs-telemetry/schemas/log_event.schema.json"
check has "$out/plugin.list" "-rw-r--r-- ./usr/share/doc/ipfs_telemetry/telemetry.md"
check has "$out/plugin.list" "-rw-r--r-- ./usr/share/doc/ipfs-telemetry-plugin/copyright"
check has "$out/plugin.list" "-rw-r--r-- ./usr/share/doc/ipfs-telemetry-plugin/changelog.gz"
check has "$out/collector.list" "-rwxr-xr-x ./usr/bin/telemetry-collector"
check has "$out/collector.list" "-rw-r--r-- ./usr/lib/systemd/system/telemetry-collector.service"
check has "$out/collector.list" "-rw-r--r-- ./etc/telemetry-collector/collector.conf"
check has "$out/collector.list" "-rw-r--r-- ./usr/share/doc/ipfs_telemetry/collector.md"
check has "$out/collector.list" "-rw-r--r-- ./usr/share/doc/ipfs_telemetry/prometheus-alerts.yml"
check has "$out/collector.list" "-rw-r--r-- ./usr/share/doc/telemetry-collector/copyright"
check has "$out/collector.list" "-rw-r--r-- ./usr/share/doc/telemetry-collector/changelog.gz"
# Nothing outside /usr and /etc (not /usr/local; the state directory is the postinst's).
check test "$(cut -d' ' -f2 "$out/plugin.list" "$out/collector.list" | grep -Ev '^\./(usr/|etc/|$)|^\./usr/local' | wc -l)" = 0
# dpkg refuses to unpack a file another package owns: the two share none.
check test "$(comm -12 <(grep -v '^d' "$out/plugin.list" | cut -d' ' -f2 | sort) \
                       <(grep -v '^d' "$out/collector.list" | cut -d' ' -f2 | sort) | wc -l)" = 0

# Everything a plain `cmake --install` puts in a prefix is in one of the two
# packages (an install rule with no COMPONENT would land in neither).
cmake --install "$build" --prefix "$out/prefix" >/dev/null
(cd "$out/prefix" && find . -type f | sed -E 's|^\./etc/|./etc/|; t; s|^\./|./usr/|') | sort >"$out/installed"
cat "$out/plugin.list" "$out/collector.list" | grep -v '^d' | cut -d' ' -f2 | sort >"$out/packaged"
check test "$(comm -23 "$out/installed" "$out/packaged" | tee "$out/unpackaged" | wc -l)" = 0
sed 's/^/  not packaged: /' "$out/unpackaged"

# Control fields; Depends as dpkg-shlibdeps found them, plus the ones it cannot see.
for deb in "$plugin" "$collector"; do
  check test "$(dpkg-deb -f "$deb" Version)" = "$version"
  check test "$(dpkg-deb -f "$deb" Architecture)" = "$arch"
  check test -n "$(dpkg-deb -f "$deb" Maintainer)"
done
depends_on() { dpkg-deb -f "$1" Depends | tr ',' '\n' | sed 's/^ *//; s/ .*//' | grep -qx "$2"; }
for dep in libssl3 libc-ares2 libboost-json1.81.0 libboost-url1.81.0 libboost-program-options1.81.0 libc6 libstdc++6; do
  check depends_on "$plugin" "$dep"
done
for dep in adduser libpq5 libsqlite3-0 libssl3 libboost-json1.81.0 libboost-url1.81.0 libboost-program-options1.81.0 libc6 libstdc++6; do
  check depends_on "$collector" "$dep"
done
echo "info: ipfs-telemetry-plugin Depends: $(dpkg-deb -f "$plugin" Depends)"
echo "info: telemetry-collector Depends: $(dpkg-deb -f "$collector" Depends)"

# Control archive: the conffile, the maintainer scripts (executable, valid sh).
dpkg-deb -e "$collector" "$out/control"
check test "$(cat "$out/control/conffiles")" = /etc/telemetry-collector/collector.conf
for script in postinst prerm postrm; do
  check test -x "$out/control/$script"
  check sh -n "$out/control/$script"
done
if command -v shellcheck >/dev/null 2>&1; then
  check shellcheck -s sh "$out/control/postinst" "$out/control/prerm" "$out/control/postrm"
fi

# The files as installed: the unit runs the packaged binary with the conffile;
# the conffile turns on nothing (collection stays as the database has it).
dpkg-deb -x "$collector" "$out/root"
dpkg-deb -x "$plugin" "$out/root"
unit="$out/root/usr/lib/systemd/system/telemetry-collector.service"
check has "$unit" "ExecStart=/usr/bin/telemetry-collector serve --config /etc/telemetry-collector/collector.conf"
check has "$unit" "Documentation=file:///usr/share/doc/ipfs_telemetry/collector.md"
conf="$out/root/etc/telemetry-collector/collector.conf"
check has "$conf" "listen = 127.0.0.1:9099"
check has "$conf" "db = /var/lib/telemetry-collector/collector.db"
check test "$(grep -Ec '^[[:space:]]*(collection|retention-days|retire|admin-token-file)[[:space:]]*=' "$conf")" = 0
# The changelog's latest entry is this version.
check test "$(gzip -dc "$out/root/usr/share/doc/telemetry-collector/changelog.gz" | head -1 | sed 's/.*(\(.*\)).*/\1/')" = "$version"
# The unpacked host finds its bundled plugin (../lib/ipfs-stub/plugins).
status=$(IPFS_PATH="$out/repo" "$out/root/usr/bin/ipfs-stub" init >/dev/null 2>&1 &&
         IPFS_PATH="$out/repo" "$out/root/usr/bin/ipfs-stub" telemetry status --json 2>&1 || true)
check grep -q '"mode":' <<<"$status"

# The maintainer scripts against stubs that log their arguments: a first
# install creates the user and the 0700 state directory and enables the unit;
# remove masks it; purge deletes the state. Nothing real is touched.
stubs="$out/stubs"
mkdir -p "$stubs"
for cmd in addgroup adduser install deb-systemd-helper deb-systemd-invoke systemctl rm; do
  printf '#!/bin/sh\necho "%s $*" >>"%s"\n' "$cmd" "$out/calls" >"$stubs/$cmd"
  chmod 755 "$stubs/$cmd"
done
printf '#!/bin/sh\nexit 2\n' >"$stubs/getent"  # no such user yet
chmod 755 "$stubs/getent"
run_script() { : >"$out/calls"; PATH="$stubs:/usr/bin:/bin" sh "$out/control/$1" "${@:2}"; }
check run_script postinst configure
check grep -qx "addgroup --system --quiet telemetry-collector" "$out/calls"
check grep -q "^adduser --system --ingroup telemetry-collector .*--home /var/lib/telemetry-collector --no-create-home .* telemetry-collector$" "$out/calls"
check grep -qx "install -d -m 0700 -o telemetry-collector -g telemetry-collector /var/lib/telemetry-collector" "$out/calls"
check grep -qx "deb-systemd-helper enable telemetry-collector.service" "$out/calls"
check run_script prerm remove
check run_script postrm remove
check grep -qx "deb-systemd-helper mask telemetry-collector.service" "$out/calls"
check test "$(grep -c '^rm ' "$out/calls")" = 0
check run_script postrm purge
check grep -qx "rm -rf /var/lib/telemetry-collector /var/log/telemetry-collector" "$out/calls"
check grep -qx "deb-systemd-helper purge telemetry-collector.service" "$out/calls"

if command -v lintian >/dev/null 2>&1; then
  # Errors and warnings fail; the overrides in packaging/lintian/ say why each is justified.
  if lintian --fail-on error,warning --pedantic "$plugin" "$collector" >"$out/lintian" 2>&1; then
    echo "ok: lintian (errors and warnings: none)"
  else
    echo "FAILED: lintian"; fail=1
  fi
  grep -v "running with root privileges" "$out/lintian" | sed 's/^/lintian: /' || true
else
  echo "skipped: lintian not found (Debian: apt-get install lintian; scripts/install-deps.sh does)"
fi

# apt resolves both packages' dependencies from this machine's package lists.
if apt-get install --simulate -q "$plugin" "$collector" >"$out/apt" 2>&1; then
  echo "ok: apt-get install --simulate"
elif [ "$(id -u)" -ne 0 ] && grep -qi "permission denied\|are you root" "$out/apt"; then
  echo "skipped: apt-get --simulate needs root here"
else
  echo "FAILED: apt-get install --simulate:"; cat "$out/apt"; fail=1
fi

echo "$((fail == 0 ? 1 : 0)) passed, $fail failed"
exit $fail
