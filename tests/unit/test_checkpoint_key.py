"""The finetune checkpoint folder is keyed by everything the stage depends on (its declared params and the
content of its deps), so a changed input never resumes from weights trained on the old one; and a run keeps
other keys' folders, the most recently used few, so a short run does not wipe an interrupted long one."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from components import paths
from components.config import load_params
from components.inputs_digest import inputs_digest
from components.stages import finetune
from tests.conftest import REPO


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    """A project folder holding every data dep of the finetune stage, as small files."""
    monkeypatch.chdir(tmp_path)
    for dep in finetune.STAGE.all_deps:
        if dep.startswith("components"):
            continue
        path = Path(dep)
        if path.suffix:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(f"{dep}\n")
        else:
            path.mkdir(parents=True, exist_ok=True)
            (path / "content.json").write_text(f'{{"dep": "{dep}"}}\n')
    return tmp_path


@pytest.fixture
def params():
    return load_params(REPO / "params.yaml")


def changed(params, section: str, **values):
    return params.model_copy(update={section: getattr(params, section).model_copy(update=values)})


def test_every_input_the_stage_declares_changes_the_key(project, params):
    key = finetune.fingerprint(params)
    assert finetune.fingerprint(params) == key, "the same inputs find the same folder (a crashed run resumes)"
    assert finetune.fingerprint(changed(params, "judge", max_prompt_tokens=params.judge.max_prompt_tokens + 1)) != key
    assert finetune.fingerprint(changed(params, "judge", mode="generate")) != key
    assert finetune.fingerprint(changed(params, "finetune", max_steps=params.finetune.max_steps + 1)) != key
    assert finetune.fingerprint(changed(params, "audit", bootstrap=7)) == key, "undeclared params do not key it"
    keys = {key}
    for dep in (paths.split_file("val"), paths.split_file("train"), paths.BASE_MODEL / "content.json"):
        dep.write_text(dep.read_text() + "changed\n")
        keys.add(finetune.fingerprint(params))
    assert len(keys) == 4, "val.jsonl, train.jsonl and the base model each key the folder"


def test_a_change_to_the_stages_code_changes_the_key(tmp_path, params):
    code = tmp_path / "code"
    for dep in finetune.STAGE.all_deps:
        if dep.startswith("components"):
            path = code / dep
            target = path if path.suffix else path / "module.py"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text("x = 1\n")
    declared = finetune.STAGE.params_of(params)
    key = inputs_digest(declared, finetune.STAGE.all_deps, code_root=code, data_root=tmp_path)
    (code / "components/training/loss.py").write_text("# a comment\n")
    assert inputs_digest(declared, finetune.STAGE.all_deps, code_root=code, data_root=tmp_path) != key
    (code / "components/training/__pycache__").mkdir()
    (code / "components/training/__pycache__/loss.cpython-311.pyc").write_bytes(b"\0")
    again = inputs_digest(declared, finetune.STAGE.all_deps, code_root=code, data_root=tmp_path)
    assert again == inputs_digest(declared, finetune.STAGE.all_deps, code_root=code, data_root=tmp_path) != key
    assert (
        "components/training" in finetune.STAGE.all_deps and "components/stages/finetune.py" in finetune.STAGE.all_deps
    )


def test_a_run_keeps_the_most_recently_used_other_checkpoints_and_drops_older_ones(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    folders = [paths.CHECKPOINTS / name for name in ("oldest", "older", "recent", "latest")]
    for age, folder in enumerate(folders):
        (folder / "checkpoints").mkdir(parents=True)
        os.utime(folder, (1_000_000 + age, 1_000_000 + age))
    finetune._drop_stale(paths.CHECKPOINTS / "tiny")
    assert sorted(p.name for p in paths.CHECKPOINTS.iterdir()) == ["latest", "recent", "tiny"]
    finetune._drop_stale(paths.CHECKPOINTS / "latest")  # back to the long run: it resumes, tiny is kept
    assert (paths.CHECKPOINTS / "latest" / "checkpoints").is_dir() and (paths.CHECKPOINTS / "tiny").is_dir()
