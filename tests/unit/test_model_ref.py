"""One model resolver: every reference `judgeops serve --model` and `judgeops audit --judge` took resolves to
the same folders through components.judges.model_ref, and the pipeline's judges resolve by the same rule.
Folders are faked by their marker files: resolving reads only those, never weights."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from mlflow.exceptions import MlflowException

from components import paths
from components.config import load_params
from components.judges import factory, model_ref, spec
from components.judges.model_ref import ModelSource, UnknownModelRef, resolve_model
from tests.conftest import REPO


def full_model(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text("{}")
    return folder


def adapter(folder: Path, base: str | None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "adapter_config.json").write_text(json.dumps({"base_model_name_or_path": base}))
    return folder


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A project root holding data/base_model and, as the finetune stage saves it, models/judge."""
    monkeypatch.chdir(tmp_path)
    full_model(tmp_path / paths.BASE_MODEL)
    adapter(tmp_path / paths.JUDGE_MODEL, str(paths.BASE_MODEL))
    return tmp_path


def registered(monkeypatch, make) -> list:
    """Downloads of models:/ URIs made by ``make(dst)``; returns the URIs asked for."""
    asked = []

    def download(uri, dst):
        asked.append(uri)
        return make(Path(dst))

    monkeypatch.setattr(model_ref, "download_model", download)
    return asked


def test_a_full_model_folder_loads_alone(project):
    other = full_model(project / "elsewhere" / "big")
    assert resolve_model(str(other)) == ModelSource(other, None, "big")
    with pytest.raises(ValueError, match="only for adapter folders"):
        resolve_model(str(other), base=str(paths.BASE_MODEL))


def test_an_adapter_loads_over_the_base_it_records_else_the_projects(project):
    other_base = full_model(project / "other_base")
    assert resolve_model(str(adapter(project / "a1", str(other_base)))).base == other_base
    assert resolve_model(str(adapter(project / "a2", "gone"))).base == paths.BASE_MODEL
    assert resolve_model(str(adapter(project / "a3", None))).base == paths.BASE_MODEL
    assert resolve_model(str(project / "a2"), base=str(other_base)).base == other_base


def test_an_adapter_without_any_base_asks_for_one(project):
    shutil.rmtree(project / paths.BASE_MODEL)
    with pytest.raises(FileNotFoundError, match="no base model for the adapter.*pass --base"):
        resolve_model(str(adapter(project / "moved", "gone")))


def test_a_folder_that_holds_no_model_and_a_missing_one_are_named(project):
    (project / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="neither a model folder"):
        resolve_model(str(project / "empty"))
    with pytest.raises(UnknownModelRef, match="unknown model 'nope'.*finetuned, base, models:/NAME@ALIAS"):
        resolve_model("nope")


@pytest.mark.parametrize(
    "saved, expected",
    [
        (lambda dst: adapter(dst / "judge_adapter", str(paths.BASE_MODEL)), ("data/base_model", "judge_adapter")),
        (lambda dst: adapter(dst / "nested" / "deeper", str(paths.BASE_MODEL)), ("data/base_model", "nested/deeper")),
        (lambda dst: full_model(dst / "judge_model"), ("judge_model", None)),
    ],
    ids=["adapter", "adapter below the top folder", "full model (finetune.method: full)"],
)
def test_a_registered_model_is_downloaded_and_read_by_what_it_holds(project, monkeypatch, saved, expected):
    asked = registered(monkeypatch, lambda dst: saved(dst) and dst)
    source = resolve_model("models:/judge@champion", download_dir=project / "dl")
    base, adapter_at = expected
    assert asked == ["models:/judge@champion"] and source.name == "judge@champion"
    assert source.base == (paths.BASE_MODEL if base == "data/base_model" else project / "dl" / base)
    assert source.adapter == (project / "dl" / adapter_at if adapter_at else None)


def test_a_registered_model_goes_to_the_project_download_folder_by_default(project, monkeypatch):
    registered(monkeypatch, lambda dst: adapter(dst / "judge_adapter", None).parent)
    assert resolve_model("models:/judge@champion").adapter == Path(".state/registry/judge_champion/judge_adapter")


def test_an_unregistered_model_is_a_clear_error(project, monkeypatch):
    def download(uri, dst):
        raise MlflowException("Registered model alias nope not found.")

    monkeypatch.setattr(model_ref, "download_model", download)
    with pytest.raises(ValueError, match="models:/judge@nope is not in the MLflow registry: Registered model alias"):
        resolve_model("models:/judge@nope")


def test_the_pipeline_judges_are_read_from_their_folders(project):
    assert resolve_model("finetuned") == ModelSource(paths.BASE_MODEL, paths.JUDGE_MODEL, "finetuned")
    assert resolve_model("base") == ModelSource(paths.BASE_MODEL, None, "base")
    shutil.rmtree(project / paths.JUDGE_MODEL)
    full_model(project / paths.JUDGE_MODEL)  # finetune.method: full saves the whole model
    assert resolve_model("finetuned") == ModelSource(paths.JUDGE_MODEL, None, "finetuned")
    shutil.rmtree(project / paths.JUDGE_MODEL)
    with pytest.raises(FileNotFoundError, match="run `dvc repro finetune`"):
        resolve_model("finetuned")


REFS = ["finetuned", "base", "models:/judge@champion", "local_adapter", "adapter_over_other_base", "local_model"]


@pytest.mark.parametrize("ref", REFS)
def test_serve_and_audit_load_the_same_folders(project, monkeypatch, ref):
    """`judgeops serve` loads ``resolve_model(ref)``; `judgeops audit --judge ref` must build its judge on
    exactly those folders, whether the reference names a pipeline judge or not."""
    adapter(project / "local_adapter", str(paths.BASE_MODEL))
    adapter(project / "adapter_over_other_base", str(full_model(project / "other_base")))
    full_model(project / "local_model")
    registered(monkeypatch, lambda dst: adapter(dst / "judge_adapter", str(paths.BASE_MODEL)).parent)
    built = {}

    def hf_judge(name, params, model_path, adapter=None):
        built.update(model_path=Path(model_path), adapter=adapter and Path(adapter))
        return built

    monkeypatch.setattr(factory, "hf_judge", hf_judge)
    monkeypatch.setattr(spec, "hf_judge", hf_judge)
    served = resolve_model(ref)
    spec.judge_from_spec(ref, load_params(REPO / "params.yaml"))
    assert built == {"model_path": served.base, "adapter": served.adapter}


def test_an_unknown_judge_lists_every_kind_of_judge(project):
    with pytest.raises(ValueError, match="unknown judge 'nope': expected finetuned, base.*openai:.*scripted:"):
        spec.judge_from_spec("nope", load_params(REPO / "params.yaml"))
