#!/usr/bin/env bash
# The MLflow UI over the project's store, lean (one worker, no job execution): 127.0.0.1:5000.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .state/pids .state/logs
if [[ -f .state/pids/mlflow-ui ]] && kill -0 "$(cat .state/pids/mlflow-ui)" 2>/dev/null; then
  echo "MLflow UI already running: http://127.0.0.1:5000"; exit 0
fi
MLFLOW_SERVER_ENABLE_JOB_EXECUTION=false setsid mlflow server --backend-store-uri "${MLFLOW_TRACKING_URI}" --default-artifact-root "$PWD/mlartifacts" \
  --host 127.0.0.1 --port 5000 --workers 1 >.state/logs/mlflow-ui.log 2>&1 &
echo $! >.state/pids/mlflow-ui
for _ in $(seq 60); do curl -fsS http://127.0.0.1:5000/health >/dev/null 2>&1 && break; sleep 1; done
echo "MLflow UI: http://127.0.0.1:5000 (make stop to stop it)"
