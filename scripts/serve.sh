#!/usr/bin/env bash
# start: a local Prefect server (SQLite in .state/prefect) and the served judge-pipeline flow.
# stop: stop them, and the MLflow UI, by the pids recorded in .state/pids.
# secret: print the server's basic-auth string (user:password), generated once into .state/prefect-auth
# (mode 0600). The server requires it (server.api.auth_string) and every client here sends it
# (api.auth_string): the UI asks for it on first load, `prefect deployment run` needs it in
# PREFECT_API_AUTH_STRING, so a web page or another local user cannot start runs.
set -euo pipefail
cd "$(dirname "$0")/.."
PIDS=.state/pids
AUTH=.state/prefect-auth
mkdir -p "$PIDS" .state/logs

started() { [[ -f "$PIDS/$1" ]] && kill -0 "$(cat "$PIDS/$1")" 2>/dev/null; }

secret() {  # the auth string, made once, readable by this user alone
  if [[ ! -s "$AUTH" ]]; then
    (umask 077 && python3 -c 'import secrets; print("judgeops:" + secrets.token_urlsafe(24))' >"$AUTH.tmp")
    mv "$AUTH.tmp" "$AUTH"
  fi
  chmod 600 "$AUTH"
  cat "$AUTH"
}

wait_for() {  # url seconds
  for _ in $(seq "$2"); do curl -fsS -u "$PREFECT_API_AUTH_STRING" "$1" >/dev/null 2>&1 && return 0; sleep 1; done
  echo "timed out waiting for $1" >&2; return 1
}

start() {
  PREFECT_SERVER_API_AUTH_STRING=$(secret)
  export PREFECT_SERVER_API_AUTH_STRING PREFECT_API_AUTH_STRING="$PREFECT_SERVER_API_AUTH_STRING"
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
  echo "Prefect UI and API: ${PREFECT_API_URL%/api} (basic auth: the UI asks for the string in $AUTH,"
  echo "  user:password as one string; print it with  bash scripts/serve.sh secret)"
  echo "deployment judge-pipeline/full is served. Run it with:"
  echo "  PREFECT_API_AUTH_STRING=\$(cat $AUTH) PREFECT_API_URL=${PREFECT_API_URL} .venv/bin/prefect deployment run judge-pipeline/full"
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
