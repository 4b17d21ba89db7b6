#!/usr/bin/env bash
# Builds the decoder fuzzer with clang-14 into its own build directory and runs it for SECONDS
# (default 60) on a scratch copy of fuzz/corpus/decode. Exits non-zero when it finds a crash; the
# crashing input is kept in $FUZZ_BUILD_DIR/artifacts/.
#   fuzz/run.sh 300
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
dir=${FUZZ_BUILD_DIR:-build-fuzz}

gen=()
command -v ninja >/dev/null && gen=(-G Ninja)
if [[ ! -f "$dir/CMakeCache.txt" ]]; then
  CC=clang-14 CXX=clang++-14 cmake -S . -B "$dir" "${gen[@]}" -DSAKURA_FUZZ=ON \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build "$dir" --target fuzz_decode -j "$(nproc)"

# The fuzzer adds inputs to the corpus it runs on; the committed seeds stay as they are.
work=$(mktemp -d /tmp/sakura-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT
cp fuzz/corpus/decode/* "$work/"
mkdir -p "$dir/artifacts"
log=$dir/fuzz_decode.log

start=$(date +%s)
status=0
"$dir/fuzz/fuzz_decode" "$work" -max_len=4096 -max_total_time="$seconds" -timeout=10 \
  -print_final_stats=1 -artifact_prefix="$dir/artifacts/" >"$log" 2>&1 || status=$?
elapsed=$(( $(date +%s) - start ))

execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
grep -E '^(#[0-9]+\s+DONE|INFO: Seed|Done [0-9]+ runs)' "$log" | tail -n3 || true
if (( status == 0 )); then
  echo "fuzz_decode: ok, ${elapsed}s, ${execs:-?} executions, corpus grew from" \
    "$(ls fuzz/corpus/decode | wc -l) to $(ls "$work" | wc -l) inputs (log: $log)"
else
  tail -n 40 "$log"
  echo "fuzz_decode: FAILED (exit $status) after ${elapsed}s, ${execs:-?} executions;" \
    "crashing input in $dir/artifacts/ (log: $log)"
fi
exit $status
