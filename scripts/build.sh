#!/usr/bin/env bash
# Configures and builds into ${BUILD_DIR:-build}; extra arguments go to cmake's configure step.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${BUILD_DIR:-build}
gen=()
command -v ninja >/dev/null && gen=(-G Ninja)
[[ -f "$dir/CMakeCache.txt" ]] || cmake -S . -B "$dir" "${gen[@]}" "$@"
cmake --build "$dir" -j "$(nproc)"
