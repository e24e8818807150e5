"""The generate stage is a function of its params: the same seed writes byte-identical files, and the
splits are cut by question, so no question has pairs in two splits."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import yaml

from components.config import Params, parse_params
from components.stages import generate
from tests.conftest import REPO


def small_params(seed: int) -> Params:
    raw = yaml.safe_load((REPO / "params.yaml").read_text())
    raw["generate"].update(
        seed=seed, families=["arithmetic", "capitals", "lowercase"], questions_per_family=5, model_answers=False
    )
    return parse_params(raw)


def run_in(root: Path, params: Params, monkeypatch) -> dict[str, str]:
    monkeypatch.chdir(root)
    generate.run(params, None)
    files = sorted((root / "data/generated").iterdir())
    return {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in files}


def test_the_same_seed_writes_byte_identical_files(tmp_path, monkeypatch):
    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir(), (tmp_path / "c").mkdir()
    first = run_in(tmp_path / "a", small_params(7), monkeypatch)
    assert set(first) == {"questions.jsonl", "answers.jsonl", "pairs.jsonl", "rejects.jsonl"} | {
        f"{split}.jsonl" for split in ("train", "val", "test")
    }
    assert run_in(tmp_path / "b", small_params(7), monkeypatch) == first
    assert run_in(tmp_path / "c", small_params(8), monkeypatch)["pairs.jsonl"] != first["pairs.jsonl"]


def test_splits_are_cut_by_question(tmp_path, monkeypatch):
    run_in(tmp_path, small_params(7), monkeypatch)
    generated = tmp_path / "data/generated"
    split_of: dict[str, str] = {}
    for split in ("train", "val", "test"):
        rows = [json.loads(line) for line in (generated / f"{split}.jsonl").read_text().splitlines()]
        assert rows, f"{split} is empty"
        for row in rows:
            assert row["split"] == split
            assert split_of.setdefault(row["question_id"], split) == split, f"{row['question_id']} in two splits"
    pairs = [json.loads(line) for line in (generated / "pairs.jsonl").read_text().splitlines()]
    assert {p["id"]: p["split"] for p in pairs} == {p["id"]: split_of[p["question_id"]] for p in pairs}


def test_balancing_caps_every_category_without_starving_a_family():
    from components.config import load_params
    from components.stages.generate import build_questions
    from tests.conftest import REPO

    params = load_params(REPO / "params.yaml")
    capped = params.model_copy(update={"generate": params.generate.model_copy(update={"max_per_category": 6})})
    questions, _ = build_questions(capped)
    by_category: dict[str, set] = {}
    for q in questions:
        by_category.setdefault(q.category, set()).add(q.family)
    counts = {c: sum(q.category == c for q in questions) for c in by_category}
    assert max(counts.values()) <= 6
    assert len(by_category["fundamental"]) == 6, "round-robin: six fundamental families get one slot each"


def test_model_answers_go_to_every_eval_question_and_a_few_train_questions_per_family():
    from components.stages.generate import build_questions, model_answered
    from components.teachers.pairing import split_by_question

    params = small_params(7)
    cfg = params.generate.model_copy(update={"questions_per_family": 20, "model_answer_train_questions": 3})
    params = params.model_copy(update={"generate": cfg})
    questions, _ = build_questions(params)
    split_of = split_by_question(questions, cfg.split.model_dump(), cfg.seed)
    measured, train = model_answered(questions, cfg)
    assert {q.id for q in measured} == {q.id for q in questions if split_of[q.id] != "train"}
    per_family = {f: sum(q.family == f for q in train) for f in cfg.families}
    assert per_family == {f: 3 for f in cfg.families} and all(split_of[q.id] == "train" for q in train)
    everyone = model_answered(questions, cfg.model_copy(update={"model_answer_train_questions": None}))
    assert everyone[0] == measured, "the measured splits' group, and so their answers, whatever the train side asks"
    assert sorted(q.id for group in everyone for q in group) == sorted(q.id for q in questions)
