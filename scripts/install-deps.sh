#!/usr/bin/env bash
# Installs the Debian 12 packages needed to build and test the project, if
# any are missing. Safe to run repeatedly; touches apt only when needed.
set -euo pipefail

packages=(
  g++ clang-14 libclang-rt-14-dev cmake ninja-build make pkg-config
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libboost-test1.81-dev libboost-program-options1.81-dev
  libvalijson-dev libssl-dev libc-ares-dev libsqlite3-dev
  curl procps tinyproxy chromium fonts-dejavu-core
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
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
