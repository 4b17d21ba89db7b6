#!/usr/bin/env bash
# Builds the fuzzers with clang-14 into their own build directory and runs them for SECONDS in
# all (default 60; the packet decoder gets two thirds, the journal reader one third), each on a
# scratch copy of its fuzz/corpus/<name>. Exits non-zero when one finds a crash; the crashing
# input is kept in $FUZZ_BUILD_DIR/artifacts/.
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
cmake --build "$dir" --target fuzz_decode fuzz_journal -j "$(nproc)"
mkdir -p "$dir/artifacts"

# run NAME CORPUS SECONDS MAX_LEN: one fuzzer on a scratch copy of its corpus (the fuzzer adds
# inputs to the corpus it runs on; the committed seeds stay as they are).
run() {
  local name=$1 corpus=$2 secs=$3 max_len=$4
  local work log start status=0 elapsed execs
  work=$(mktemp -d /tmp/sakura-fuzz.XXXXXX)
  cp "fuzz/corpus/$corpus"/* "$work/"
  log=$dir/$name.log
  start=$(date +%s)
  "$dir/fuzz/$name" "$work" -max_len="$max_len" -max_total_time="$secs" -timeout=10 \
    -print_final_stats=1 -artifact_prefix="$dir/artifacts/" >"$log" 2>&1 || status=$?
  elapsed=$(( $(date +%s) - start ))
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
  grep -E '^(#[0-9]+\s+DONE|INFO: Seed|Done [0-9]+ runs)' "$log" | tail -n3 || true
  if (( status == 0 )); then
    echo "$name: ok, ${elapsed}s, ${execs:-?} executions, corpus grew from" \
      "$(ls "fuzz/corpus/$corpus" | wc -l) to $(ls "$work" | wc -l) inputs (log: $log)"
  else
    tail -n 40 "$log"
    echo "$name: FAILED (exit $status) after ${elapsed}s, ${execs:-?} executions;" \
      "crashing input in $dir/artifacts/ (log: $log)"
  fi
  rm -rf "$work"
  return $status
}

status=0
run fuzz_decode decode $(( seconds * 2 / 3 )) 4096 || status=$?
run fuzz_journal journal $(( seconds - seconds * 2 / 3 )) 4096 || status=$?
exit $status
