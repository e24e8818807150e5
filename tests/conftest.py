"""Shared fixtures: offline settings, a tiny random Llama with SmolLM2's tokenizer, the shared data."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("DVC_NO_ANALYTICS", "1")

REPO = Path(__file__).resolve().parents[1]

pytest_plugins = ["tests.fakes"]  # the fake OpenAI-compatible server fixture, for every test


def shared_data_dir() -> Path | None:
    """../shared/data beside the project (CI has it), or $JUDGEOPS_SHARED_DATA."""
    candidate = Path(os.environ.get("JUDGEOPS_SHARED_DATA", REPO.parent / "shared" / "data"))
    return candidate if candidate.is_dir() else None


@pytest.fixture(scope="session")
def shared_data() -> Path:
    found = shared_data_dir()
    if found is None:
        pytest.skip("shared data (../shared/data) is not present")
    return found


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory) -> Path:
    """A random 2-layer Llama (hidden 64) with the real SmolLM2 tokenizer, saved as safetensors."""
    from components.models import build_tiny

    out = tmp_path_factory.mktemp("tiny_model")
    build_tiny(out, hidden_size=64, layers=2, seed=0)
    return out


@pytest.fixture(scope="session")
def tiny_model(tiny_model_dir):
    from components.models import load_causal_lm

    return load_causal_lm(tiny_model_dir)


@pytest.fixture
def mlflow_store(tmp_path, monkeypatch) -> Path:
    """An empty MLflow tracking store and model registry (SQLite) in ``tmp_path``, the working folder."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    return tmp_path


@pytest.fixture
def registered_judge(mlflow_store):
    """A trivial pyfunc model registered as version 1 of ``judge`` with the ``candidate`` alias: enough
    registry for the judge card and promotion (no weights)."""
    import mlflow.pyfunc

    from components.tracking import register, stage_run

    class Echo(mlflow.pyfunc.PythonModel):
        def predict(self, context, model_input, params=None):
            return model_input

    def make(alias: str = "candidate", tags: dict | None = None) -> str:
        with stage_run("finetune") as tracker:
            info = tracker.mlflow.pyfunc.log_model(name="judge", python_model=Echo())
        return register(info.model_uri, tags or {"base_model": "smollm2"}, alias)

    return make
