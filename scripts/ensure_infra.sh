#!/usr/bin/env bash
# Make sure RabbitMQ (and, with NEED_POSTGRES=1, PostgreSQL; with NEED_REDIS=1, Redis) answer
# before we go on.
# Order of preference: what is already reachable; a locally installed server; Docker
# Compose (only if a Docker engine answers); otherwise stop with instructions.
set -euo pipefail

AMQP_HOST=${AMQP_HOST:-127.0.0.1}
AMQP_PORT=${AMQP_PORT:-5672}
PG_HOST=${PG_HOST:-127.0.0.1}
PG_PORT=${PG_PORT:-5432}
REDIS_HOST=${REDIS_HOST:-127.0.0.1}
REDIS_PORT=${REDIS_PORT:-6379}

reachable() {  # host port
  python3 - "$1" "$2" <<'PY'
import socket, sys
s = socket.socket(); s.settimeout(1)
try:
    s.connect((sys.argv[1], int(sys.argv[2]))); sys.exit(0)
except OSError:
    sys.exit(1)
PY
}

wait_for() {  # name host port seconds
  for _ in $(seq 1 "$4"); do reachable "$2" "$3" && return 0; sleep 1; done
  echo "error: $1 did not come up on $2:$3" >&2; return 1
}

docker_engine() { command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; }

ensure_rabbitmq() {
  if ! reachable "$AMQP_HOST" "$AMQP_PORT"; then
    if command -v rabbitmq-server >/dev/null 2>&1; then
      echo "starting local rabbitmq-server..."
      rabbitmq-server -detached >/dev/null 2>&1 || true
      wait_for RabbitMQ "$AMQP_HOST" "$AMQP_PORT" 60
    elif docker_engine; then
      echo "starting RabbitMQ with docker compose..."
      docker compose up -d rabbitmq
      wait_for RabbitMQ "$AMQP_HOST" "$AMQP_PORT" 90
    else
      cat >&2 <<MSG
error: no RabbitMQ at $AMQP_HOST:$AMQP_PORT, no local rabbitmq-server and no Docker engine.
Get one of:
  - Debian/Ubuntu: sudo apt-get install rabbitmq-server && sudo rabbitmq-server -detached
  - Docker:        docker compose up -d rabbitmq
  - or point AMQP_URI (and AMQP_HOST/AMQP_PORT for this check) at a running broker.
MSG
      exit 1
    fi
  fi
  # The management API is used by the test suite (a vhost per test) and by operators.
  if command -v rabbitmq-plugins >/dev/null 2>&1 && ! reachable "$AMQP_HOST" 15672; then
    rabbitmq-plugins enable rabbitmq_management >/dev/null 2>&1 || true
    wait_for "RabbitMQ management" "$AMQP_HOST" 15672 30 || true
  fi
  echo "RabbitMQ: up at $AMQP_HOST:$AMQP_PORT"
}

ensure_postgres() {
  if ! reachable "$PG_HOST" "$PG_PORT"; then
    if command -v pg_ctlcluster >/dev/null 2>&1 && ls /etc/postgresql >/dev/null 2>&1; then
      echo "starting local PostgreSQL..."
      pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
      wait_for PostgreSQL "$PG_HOST" "$PG_PORT" 60
    elif docker_engine; then
      docker compose up -d postgres
      wait_for PostgreSQL "$PG_HOST" "$PG_PORT" 90
    else
      echo "error: no PostgreSQL at $PG_HOST:$PG_PORT and no way to start one" >&2
      exit 1
    fi
  fi
  echo "PostgreSQL: up at $PG_HOST:$PG_PORT"
}

# Redis: the BFF's rate limits shared by several instances (BFF_RATE_LIMIT_STORAGE), and
# the tests that check them. It keeps nothing on disk: counters only.
ensure_redis() {
  if ! reachable "$REDIS_HOST" "$REDIS_PORT"; then
    if command -v redis-server >/dev/null 2>&1; then
      echo "starting local redis-server..."
      mkdir -p /var/lib/redis /var/log/redis
      redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$REDIS_PORT" --save "" \
        --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log
      wait_for Redis "$REDIS_HOST" "$REDIS_PORT" 30
    elif docker_engine; then
      echo "starting Redis with docker compose..."
      docker compose up -d redis
      wait_for Redis "$REDIS_HOST" "$REDIS_PORT" 60
    else
      cat >&2 <<MSG
error: no Redis at $REDIS_HOST:$REDIS_PORT, no local redis-server and no Docker engine.
Get one of:
  - Debian/Ubuntu: sudo apt-get install redis-server (this script then starts it)
  - Docker:        docker compose up -d redis
  - or set REDIS_HOST/REDIS_PORT for this check to a running server.
MSG
      exit 1
    fi
  fi
  echo "Redis: up at $REDIS_HOST:$REDIS_PORT"
}

ensure_rabbitmq
if [ "${NEED_POSTGRES:-0}" = "1" ]; then ensure_postgres; fi
if [ "${NEED_REDIS:-0}" = "1" ]; then ensure_redis; fi
