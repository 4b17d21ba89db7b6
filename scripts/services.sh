#!/usr/bin/env bash
# Starts throwaway redis-server and MariaDB instances on free loopback ports for the tests, and
# prints `export` lines describing them. Usage:
#   eval "$(scripts/services.sh start DIR)"   ...   scripts/services.sh stop DIR
# Data lives under DIR and is deleted on stop. Nothing here touches system-wide instances.
set -euo pipefail
cmd=${1:?start|stop}
dir=${2:?directory}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

wait_for() {  # wait_for SECONDS COMMAND...: polls a readiness probe, never a fixed sleep
  local deadline=$((SECONDS + $1)); shift
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || { echo "services: timed out waiting for: $*" >&2; return 1; }
    sleep 0.1
  done
}

case "$cmd" in
start)
  mkdir -p "$dir/redis" "$dir/mariadb" "$dir/run"
  rport=$(free_port)
  redis-server --port "$rport" --bind 127.0.0.1 --dir "$dir/redis" --daemonize yes \
    --pidfile "$dir/run/redis.pid" --logfile "$dir/redis/redis.log" --save '' --appendonly no >&2
  wait_for 20 redis-cli -p "$rport" ping
  mport=$(free_port)
  mariadb-install-db --no-defaults --datadir="$dir/mariadb/data" --auth-root-authentication-method=normal \
    --skip-test-db --user="$(id -un)" >"$dir/mariadb/install.log" 2>&1
  mariadbd --no-defaults --datadir="$dir/mariadb/data" --port="$mport" --bind-address=127.0.0.1 \
    --socket="$dir/run/mariadb.sock" --pid-file="$dir/run/mariadb.pid" --user="$(id -un)" \
    --skip-name-resolve --innodb-buffer-pool-size=64M --log-error="$dir/mariadb/error.log" &
  disown
  wait_for 60 mariadb-admin --no-defaults -uroot --socket="$dir/run/mariadb.sock" ping
  mariadb --no-defaults -uroot --socket="$dir/run/mariadb.sock" <<SQL
CREATE DATABASE IF NOT EXISTS lockdata CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS 'lockadmin'@'127.0.0.1' IDENTIFIED BY 'sakura-test';
GRANT ALL PRIVILEGES ON lockdata.* TO 'lockadmin'@'127.0.0.1';
GRANT ALL PRIVILEGES ON \`sakura\_test\_%\`.* TO 'lockadmin'@'127.0.0.1';
FLUSH PRIVILEGES;
SQL
  cat <<ENV
export SAKURA_TEST_REDIS=127.0.0.1:$rport
export SAKURA_TEST_MARIADB_HOST=127.0.0.1
export SAKURA_TEST_MARIADB_PORT=$mport
export SAKURA_TEST_MARIADB_USER=lockadmin
export SAKURA_TEST_MARIADB_PASSWORD=sakura-test
export SAKURA_TEST_MARIADB_DATABASE=lockdata
export SAKURA_TEST_MARIADB_SOCKET=$dir/run/mariadb.sock
export SAKURA_TEST_SERVICES_DIR=$dir
ENV
  ;;
stop)
  for f in redis mariadb; do
    if [[ -f "$dir/run/$f.pid" ]]; then
      pid=$(cat "$dir/run/$f.pid")
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
    fi
  done
  rm -rf "$dir"
  ;;
*) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
