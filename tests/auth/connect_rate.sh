#!/usr/bin/env bash
# CONNECT rate with auth off (anonymous), on Redis and on the embedded store: the same broker
# build and the same sakura-bench `conn` run (5,000 connections, as fast as it can) for each,
# ROUNDS times, printing connections/s and connect latency p50/p99 per run.
#   BUILD_DIR=build-auth BENCH=build/bench/sakura-bench ROUNDS=3 tests/auth/connect_rate.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${BUILD_DIR:-build}
bench=${BENCH:-$build/bench/sakura-bench}
rounds=${ROUNDS:-3}
work=$(mktemp -d /tmp/sakura-connect-rate.XXXXXX)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
rport=$(free_port)
redis-server --port "$rport" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
  --pidfile "$work/redis.pid" --logfile "$work/redis.log"
trap 'redis-cli -p "$rport" shutdown nosave >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
until redis-cli -p "$rport" ping >/dev/null 2>&1; do sleep 0.1; done
# One user as the old login wrote it; every connection logs in as it (HMGET + HGETALL each time).
redis-cli -p "$rport" HSET mqtt_user:benchuser password benchpw >/dev/null
redis-cli -p "$rport" HSET mqtt_acl:benchuser /L0000000001/# 1 /L0000000001/m 2 /unauth 2 >/dev/null
printf 'user benchuser benchpw\nacl benchuser /L0000000001/# 1\nacl benchuser /L0000000001/m 2\n' >"$work/users"

run() {  # label, bench credentials, broker settings...
  local label=$1 creds=$2; shift 2
  rm -rf "$work/d" && mkdir -p "$work/d"
  "$build/app/sakura-broker" --set listener.tcp.bind=127.0.0.1:0 --set listener.ws.bind=off \
    --set listener.tls.bind=off --set listener.wss.bind=off --set http.bind=off \
    --set node.data_dir="$work/d" --set log.level=warn --port-file "$work/d/ports" "$@" \
    >"$work/$label.log" 2>&1 &
  local pid=$!
  until [[ -s "$work/d/ports" ]]; do sleep 0.1; done
  local port
  port=$(awk '$1=="tcp"{print $2}' "$work/d/ports")
  # shellcheck disable=SC2086
  "$bench" conn --host 127.0.0.1 --port "$port" --connections 5000 --connect-rate 0 --hold 0 \
    --label "$label" --json-only $creds >"$work/$label.json" || true
  kill "$pid"; wait "$pid" || true
  python3 - "$work/$label.json" "$label" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print("%-9s %7.0f/s  p50 %6.2f ms  p99 %6.2f ms  failed %d" % (
    sys.argv[2], r["connect_per_s"], r["connect_p50_ms"], r["connect_p99_ms"], r["connect_failed"]))
PY
}

for i in $(seq "$rounds"); do
  run off "" --set auth.allow_anonymous=true
  run redis "--username benchuser --password benchpw" --set auth.backend=redis \
    --set redis.server=127.0.0.1:"$rport"
  run embedded "--username benchuser --password benchpw" --set auth.backend=embedded \
    --set auth.users_file="$work/users"
done
