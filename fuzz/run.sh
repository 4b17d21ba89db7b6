#!/usr/bin/env bash
# Builds the fuzzers with clang-14 into their own build directory and runs them one after the
# other for SECONDS in all (default 60), shared by the weights below; with TARGET names, only
# those, sharing the same SECONDS.
#   fuzz/run.sh 360
#   fuzz/run.sh 60 fuzz_proxy
# Each runs on its committed seeds (fuzz/corpus/<name>) plus the corpus grown by earlier runs,
# kept in $SAKURA_FUZZ_CACHE/<name> (default /var/cache/sakura-fuzz; no cache when that cannot
# be created) and merged back with -merge=1 afterwards so it keeps only inputs that add coverage.
# Prints per fuzzer its runs, exec/s, coverage and corpus size; exits non-zero when one crashes,
# leaks, times out or breaks a property, with the input kept in $FUZZ_BUILD_DIR/artifacts/.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
dir=${FUZZ_BUILD_DIR:-build-fuzz}
cache=${SAKURA_FUZZ_CACHE:-/var/cache/sakura-fuzz}

# name, share of the time, -max_len. The widest parsers (the packet decoder, the lock's core, the
# WebSocket upgrade) get the most; the Range header and the PROXY header are small.
all=(
  "fuzz_decode 4 4096"
  "fuzz_journal 3 4096"
  "fuzz_lock_core 3 4096"
  "fuzz_ws 3 4096"
  "fuzz_lock_wire 2 4096"
  "fuzz_json 2 8192"
  "fuzz_proxy 1 1200"
  "fuzz_range 1 256"
  "fuzz_auth_files 1 4096"
  "fuzz_http_query 1 512"
  "fuzz_base64 1 512"
)
selected=()
for t in "${all[@]}"; do
  if (( $# == 0 )) || [[ " $* " == *" ${t%% *} "* ]]; then selected+=("$t"); fi
done
if (( ${#selected[@]} == 0 )); then
  echo "no such fuzzer: $*; the fuzzers are: $(printf '%s ' "${all[@]%% *}")" >&2
  exit 2
fi
total_weight=0
for t in "${selected[@]}"; do read -r _ w _ <<<"$t"; total_weight=$(( total_weight + w )); done

gen=()
command -v ninja >/dev/null && gen=(-G Ninja)
if [[ ! -f "$dir/CMakeCache.txt" ]]; then
  CC=clang-14 CXX=clang++-14 cmake -S . -B "$dir" "${gen[@]}" -DSAKURA_FUZZ=ON \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build "$dir" --target "${selected[@]%% *}" -j "$(nproc)"
mkdir -p "$dir/artifacts"

use_cache=0
if mkdir -p "$cache" 2>/dev/null && [[ -w "$cache" ]]; then
  use_cache=1
else
  echo "corpus cache $cache cannot be created: running on the seeds only (set SAKURA_FUZZ_CACHE)"
fi

summary=()

# run NAME SECONDS MAX_LEN: one fuzzer; new inputs go to a scratch directory, then the cache.
run() {
  local name=$1 secs=$2 max_len=$3
  local corpus=${name#fuzz_} bin=$dir/fuzz/$name log=$dir/$name.log
  local work status=0 start elapsed runs speed line cov ft corp size
  local inputs=("fuzz/corpus/$corpus")
  (( use_cache )) && mkdir -p "$cache/$corpus" && inputs+=("$cache/$corpus")
  work=$(mktemp -d /tmp/sakura-fuzz.XXXXXX)
  start=$(date +%s)
  "$bin" "$work" "${inputs[@]}" -max_len="$max_len" -max_total_time="$secs" -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$dir/artifacts/$name-" \
    >"$log" 2>&1 || status=$?
  elapsed=$(( $(date +%s) - start ))
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
  speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n1)
  line=$(grep -E '^#[0-9]+.* cov: ' "$log" | tail -n1 || true)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$line")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$line")
  corp=$(sed -n 's/.* corp: \([0-9]*\/[0-9a-zA-Z]*\).*/\1/p' <<<"$line")
  size=""
  if (( use_cache )); then
    # Keep only what adds coverage: seeds, the old cache and this run's finds, minimized into a
    # fresh directory that then replaces the cache.
    local merged
    merged=$(mktemp -d "$cache/.$corpus.XXXXXX")
    # (an input that crashes is left out of the merge; its copy goes with the artifacts)
    if "$bin" -merge=1 -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="$dir/artifacts/$name-merge-" \
        "$merged" "${inputs[@]}" "$work" >"$dir/$name.merge.log" 2>&1; then
      rm -rf "$cache/$corpus" && mv "$merged" "$cache/$corpus"
      size=", cache $(ls "$cache/$corpus" | wc -l) inputs"
    else
      rm -rf "$merged"
      size=", cache merge failed (see $dir/$name.merge.log), kept as it was"
    fi
  fi
  rm -rf "$work"
  local stats="${elapsed}s, ${runs:-?} runs, ${speed:-?} exec/s, cov ${cov:-?}, ft ${ft:-?}, corpus ${corp:-?}${size}"
  if (( status == 0 )); then
    echo "$name: ok, $stats"
    summary+=("$(printf '%-16s ok      %s' "$name" "$stats")")
  else
    tail -n 40 "$log"
    echo "$name: FAILED (exit $status), $stats; input in $dir/artifacts/$name-* (log: $log)"
    summary+=("$(printf '%-16s FAILED  %s' "$name" "$stats")")
  fi
  return $status
}

status=0
for t in "${selected[@]}"; do
  read -r name weight max_len <<<"$t"
  secs=$(( seconds * weight / total_weight ))
  (( secs < 5 )) && secs=5
  run "$name" "$secs" "$max_len" || status=1
done
echo "== fuzzing summary (log per fuzzer in $dir/<name>.log)"
printf '%s\n' "${summary[@]}"
exit $status
