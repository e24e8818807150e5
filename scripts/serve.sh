#!/usr/bin/env bash
# start: a local Prefect server (SQLite in .state/prefect) and the served judge-pipeline flow.
# stop: stop them, and the MLflow UI, by the pids recorded in .state/pids.
set -euo pipefail
cd "$(dirname "$0")/.."
PIDS=.state/pids
mkdir -p "$PIDS" .state/logs

started() { [[ -f "$PIDS/$1" ]] && kill -0 "$(cat "$PIDS/$1")" 2>/dev/null; }

wait_for() {  # url seconds
  for _ in $(seq "$2"); do curl -fsS "$1" >/dev/null 2>&1 && return 0; sleep 1; done
  echo "timed out waiting for $1" >&2; return 1
}

start() {
  if ! started prefect-server; then
    setsid prefect server start --host 127.0.0.1 --port 4200 >.state/logs/prefect-server.log 2>&1 &
    echo $! >"$PIDS/prefect-server"
  fi
  wait_for "${PREFECT_API_URL}/health" 120
  if ! started flow-serve; then
    setsid python -m flows.serve >.state/logs/flow-serve.log 2>&1 &
    echo $! >"$PIDS/flow-serve"
  fi
  for _ in $(seq 90); do
    prefect deployment inspect judge-pipeline/full >/dev/null 2>&1 && break; sleep 1
  done
  prefect deployment inspect judge-pipeline/full >/dev/null
  echo "Prefect UI and API: ${PREFECT_API_URL%/api}"
  echo "deployment judge-pipeline/full is served. Run it with:"
  echo "  PREFECT_API_URL=${PREFECT_API_URL} .venv/bin/prefect deployment run judge-pipeline/full"
  echo "  (tiny profile: add  -p profile=tiny)"
}

stop() {  # SIGTERM to the whole process group; SIGKILL what is still there after 15 s
  for name in flow-serve prefect-server mlflow-ui; do
    if started "$name"; then
      pid=$(cat "$PIDS/$name")
      kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid"
      for _ in $(seq 15); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
      kill -KILL -- "-$pid" 2>/dev/null || true
      echo "stopped $name"
    fi
    rm -f "$PIDS/$name"
  done
}

"${1:-start}"
