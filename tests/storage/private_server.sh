#!/usr/bin/env bash
# Private redis-server / mariadbd instances that a fault test may kill and restart without
# disturbing the shared ones from scripts/services.sh. Prints the port on start.
#   private_server.sh redis|mariadb start DIR [PORT]   (PORT reuses the address on a restart)
#   private_server.sh redis|mariadb stop DIR            (SIGKILL: a crash, not a shutdown)
# SAKURA_PRIVATE_REDIS_PASSWORD, when set, starts Redis with requirepass.
set -euo pipefail
kind=${1:?redis|mariadb}; cmd=${2:?start|stop}; dir=${3:?directory}; port=${4:-}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_for() {  # polls a readiness probe with a deadline
  local deadline=$((SECONDS + $1)); shift
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || { echo "private_server: timed out: $*" >&2; return 1; }
    sleep 0.05
  done
}

mkdir -p "$dir"
case "$kind:$cmd" in
redis:start)
  port=${port:-$(free_port)}
  pass=${SAKURA_PRIVATE_REDIS_PASSWORD:-}
  auth=()
  [[ -n "$pass" ]] && auth=(--requirepass "$pass")
  redis-server --port "$port" --bind 127.0.0.1 --dir "$dir" --daemonize yes --pidfile "$dir/redis.pid" \
    --logfile "$dir/redis.log" --save '' --appendonly no "${auth[@]}" >&2
  if [[ -n "$pass" ]]; then
    REDISCLI_AUTH=$pass wait_for 20 redis-cli -p "$port" ping
  else
    wait_for 20 redis-cli -p "$port" ping
  fi
  echo "$port"
  ;;
mariadb:start)
  port=${port:-$(free_port)}
  if [[ ! -d "$dir/data" ]]; then
    mariadb-install-db --no-defaults --datadir="$dir/data" --auth-root-authentication-method=normal \
      --skip-test-db --user="$(id -un)" >"$dir/install.log" 2>&1
  fi
  mariadbd --no-defaults --datadir="$dir/data" --port="$port" --bind-address=127.0.0.1 \
    --socket="$dir/mariadb.sock" --pid-file="$dir/mariadb.pid" --user="$(id -un)" \
    --skip-name-resolve --innodb-buffer-pool-size=32M --log-error="$dir/error.log" >/dev/null 2>&1 &
  disown
  wait_for 60 mariadb-admin --no-defaults -uroot --socket="$dir/mariadb.sock" ping
  mariadb --no-defaults -uroot --socket="$dir/mariadb.sock" <<SQL
CREATE USER IF NOT EXISTS 'lockadmin'@'127.0.0.1' IDENTIFIED BY 'private';
GRANT ALL PRIVILEGES ON \`sakura\_test\_%\`.* TO 'lockadmin'@'127.0.0.1';
FLUSH PRIVILEGES;
SQL
  echo "$port"
  ;;
redis:stop | mariadb:stop)
  pidfile="$dir/$kind.pid"
  if [[ -f "$pidfile" ]]; then
    pid=$(cat "$pidfile")
    kill -9 "$pid" 2>/dev/null || true
    deadline=$((SECONDS + 20))
    while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.05; done
    rm -f "$pidfile"
  fi
  ;;
*) echo "usage: $0 redis|mariadb start|stop DIR [PORT]" >&2; exit 2 ;;
esac
