#!/usr/bin/env bash
# Installs the Debian 12 packages Sakura builds with (and, with --test, what its tests use).
# Idempotent: packages already installed are not touched, so it is cheap to run every time.
set -euo pipefail
build=(cmake ninja-build g++ pkg-config libboost-dev libboost-system-dev libboost-program-options-dev libssl-dev libhiredis-dev
       libmariadb-dev rapidjson-dev libfmt-dev libspdlog-dev doctest-dev
       libsqlite3-dev zlib1g-dev ccache)
test=(python3 python3-pytest mosquitto mosquitto-clients libpaho-mqtt-dev redis-server mariadb-server
      nginx libnginx-mod-stream curl openssl nodejs clang-14 libclang-rt-14-dev clang-format-14 procps)
want=("${build[@]}")
[[ "${1:-}" == "--test" ]] && want+=("${test[@]}")
missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node from NodeSource bundles npm and conflicts with Debian's npm package: add it only if absent.
if [[ "${1:-}" == "--test" ]] && ! command -v npm >/dev/null; then missing+=(npm); fi
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  sudo_cmd=()
  [[ $(id -u) -ne 0 ]] && sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
