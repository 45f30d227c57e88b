#!/usr/bin/env bash
# Installs the Debian 12 packages needed to build and test the project, if
# any are missing. Safe to run repeatedly; touches apt only when needed.
set -euo pipefail

packages=(
  g++ clang-14 libclang-rt-14-dev cmake ninja-build make pkg-config
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libboost-test1.81-dev libboost-program-options1.81-dev
  libvalijson-dev libssl-dev libc-ares-dev libsqlite3-dev
  curl procps tinyproxy chromium fonts-dejavu-core nginx-light
  libpq-dev postgresql-15 util-linux
  dpkg-dev file lintian prometheus strace shellcheck systemd
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
    echo "install-deps: need root (or sudo) to install: ${missing[*]}" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
# nginx (for the reverse-proxy test, which starts its own on loopback) would
# otherwise be started as a system service on port 80 by its postinst: deny
# service starts for the length of this install (policy-rc.d, Debian's way),
# unless the machine already has a policy of its own.
policy=/usr/sbin/policy-rc.d
own_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
  $sudo chmod 755 "$policy"
  own_policy=1
fi
cleanup() { if [ "$own_policy" = 1 ]; then $sudo rm -f "$policy"; fi; }
trap cleanup EXIT
# postgresql-15's postinst would also create (initdb) a system cluster
# "main" in /var/lib/postgresql/15/main; the tests start throw-away clusters
# of their own (tests/support/pg_cluster) and want none. postgresql-common
# reads drop-ins from createcluster.d (as the official postgres Docker image
# does it), so no packaged conffile is edited; an operator's own file there wins.
cluster_conf=/etc/postgresql-common/createcluster.d/no-main-cluster.conf
if [ ! -e "$cluster_conf" ] && [[ " ${missing[*]} " == *" postgresql-15 "* ]]; then
  $sudo mkdir -p "$(dirname "$cluster_conf")"
  echo 'create_main_cluster = false' | $sudo tee "$cluster_conf" >/dev/null
fi
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
