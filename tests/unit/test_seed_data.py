"""The seed systems' own released data, used as a user would: CritiqueLLM's human-scored evaluation sets
imported and scored through the CLI, and AlignBench's question release imported as questions that the
generate stage answers and an LLM teacher labels (``generate.questions_from``)."""

from __future__ import annotations

import json

import pytest
import yaml

from components.config import ConfigError, parse_params
from components.data.importers.alignbench import import_alignbench
from components.data.variants import REFUSALS
from components.io import InputError, write_jsonl
from components.schemas import verdict_from_scores
from components.stages import generate
from components.teachers.base import PairLabel
from components.teachers.dataset import DatasetTeacher
from components.teachers.judge import Grade
from tests.conftest import REPO
from tests.console import judgeops
from tests.factories import alignbench_release_row, critiquellm_pairwise_row, critiquellm_pointwise_row


def released(path, rows: list[dict]):
    """Rows as the seed systems publish them: UTF-8 JSON lines, Chinese unescaped."""
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    return path


def test_import_a_pointwise_set_then_score_a_1_to_10_judge_on_it(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    rows = [
        critiquellm_pointwise_row(i, model, human, reference=False, question=question)
        for i, (question, model, human) in enumerate(
            [("甲", "m1", 1), ("甲", "m2", "3.0"), ("甲", "m3", 5), ("乙", "m1", 4), ("乙", "m2", 2), ("乙", "m3", 1)]
        )
    ]
    released(tmp_path / "pointwise_reference_free.jsonl", rows)
    code, out, err = judgeops(
        ["import", "critiquellm", "pointwise_reference_free.jsonl", "--out", "gold.jsonl"], monkeypatch, capsys
    )
    assert code == 0 and "wrote 6 scored answers to gold.jsonl" in out, err
    written = (tmp_path / "gold.jsonl").read_text(encoding="utf-8")
    assert '"instruction": "甲"' in written and '"scale": "1-5"' in written and '"reference": ""' in written

    judge = [2, 6, 10, 9, 4, 1]  # 1-10, in the humans' order on each question
    write_jsonl(tmp_path / "pred.jsonl", [{"id": str(i), "score": score} for i, score in enumerate(judge)])
    code, out, err = judgeops(["score", "gold.jsonl", "pred.jsonl", "--json", "m.json"], monkeypatch, capsys)
    assert code == 0, err
    assert "scale-free" in out and "2 of 2 questions (0 constant, skipped)" in out
    metrics = json.loads((tmp_path / "m.json").read_text())
    assert (metrics["mode"], metrics["n"], metrics["gold_scale"]) == ("pointwise", 6, "1-5")
    assert metrics["text"]["spearman"] == pytest.approx(1.0) and metrics["system"]["n_sources"] == 3


def test_a_label_contradicting_the_scores_names_its_row(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    rows = [critiquellm_pairwise_row(0, 5, 2, 0), critiquellm_pairwise_row(1, 1, 4, 0), critiquellm_pairwise_row(2)]
    released(tmp_path / "pairwise.jsonl", rows)
    code, out, err = judgeops(["import", "critiquellm", "pairwise.jsonl", "--out", "p.jsonl"], monkeypatch, capsys)
    assert code == 1 and err.strip().startswith("judgeops: error: pairwise.jsonl:2: field 'label': label 0 says")
    assert not (tmp_path / "p.jsonl").exists()
    options = ["--out", "p.jsonl", "--on-error", "skip"]
    code, out, err = judgeops(["import", "critiquellm", "pairwise.jsonl", *options], monkeypatch, capsys)
    assert code == 0 and "wrote 2 pairs to p.jsonl" in out and "1 rows rejected -> p.rejects.jsonl" in err
    rejected = [json.loads(line) for line in (tmp_path / "p.rejects.jsonl").read_text().splitlines()]
    assert [(r["line"], r["field"], r["record"]["id"]) for r in rejected] == [(2, "label", 1)]
    pairs = [json.loads(line) for line in (tmp_path / "p.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [(p["id"], p["verdict"], p["flags"]) for p in pairs] == [("0", 1, ["scale:1-5"]), ("2", 2, ["scale:1-5"])]


def test_import_alignbench_release_writes_its_questions_and_says_it_has_no_answers(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    released(tmp_path / "data_v1.1_release.jsonl", [alignbench_release_row(1), alignbench_release_row(2)])
    code, out, err = judgeops(
        ["import", "alignbench", "data_v1.1_release.jsonl", "--out", "questions.jsonl"], monkeypatch, capsys
    )
    assert code == 0 and "wrote 2 questions to questions.jsonl" in out, err
    assert "no answers, so it makes no pairs" in err and "generate.questions_from" in err
    assert "field 'model_id': missing" not in err


def raw_params(**generate_changes) -> dict:
    raw = yaml.safe_load((REPO / "params.yaml").read_text())
    raw["generate"].update(generate_changes)
    return raw


@pytest.mark.parametrize("teacher", ["oracle", "dataset"])
def test_questions_from_needs_an_llm_teacher(teacher):
    with pytest.raises(ConfigError, match=r"generate.questions_from needs an LLM teacher .* use one of openai, hf"):
        parse_params(raw_params(teacher=teacher, dataset_path="pairs.jsonl", questions_from="questions.jsonl"))
    for llm in ("openai", "hf"):
        assert parse_params(raw_params(teacher=llm, questions_from="q.jsonl")).generate.questions_from == "q.jsonl"


class ScriptedTeacher:
    """An LLM teacher's stand-in: a refusal scores 3, anything else 1."""

    name = "scripted"

    def grade(self, question, answer: str) -> Grade:
        return Grade(3.0 if answer in REFUSALS else 1.0, "scripted")

    def label(self, question, answer1: str, answer2: str) -> PairLabel:
        score1, score2 = self.grade(question, answer1).score, self.grade(question, answer2).score
        return PairLabel(score1, score2, verdict_from_scores(score1, score2), "scripted")


def test_generate_answers_and_labels_imported_questions(tmp_path, monkeypatch):
    rows = [
        alignbench_release_row(1),
        alignbench_release_row(2, category="数学计算"),
        alignbench_release_row(3, reference=""),  # no reference: the teacher has nothing to grade against
        alignbench_release_row(4, category="数学计算"),
        alignbench_release_row(5),
    ]
    questions_file = tmp_path / "questions.jsonl"
    write_jsonl(questions_file, import_alignbench(released(tmp_path / "release.jsonl", rows)).questions)
    params = parse_params(raw_params(teacher="openai", questions_from=str(questions_file), model_answers=False))
    monkeypatch.setattr(generate, "make_teacher", lambda cfg: ScriptedTeacher())
    monkeypatch.chdir(tmp_path)
    metrics = generate.run(params, None)
    generated = tmp_path / "data/generated"
    questions = [json.loads(line) for line in (generated / "questions.jsonl").read_text().splitlines()]
    assert [q["id"] for q in questions] == ["alignbench-1", "alignbench-2", "alignbench-4", "alignbench-5"]
    pairs = [json.loads(line) for line in (generated / "pairs.jsonl").read_text().splitlines()]
    assert len(pairs) == 4 and {p["category"] for p in pairs} == {"专业能力", "数学计算"}
    assert all(p["teacher"] == "scripted" and {p["source1"], p["source2"]} == {"variant:refusal", "variant:irrelevant"}
               for p in pairs)  # fmt: skip
    assert (metrics["imported_questions"], metrics["questions_without_reference_dropped"]) == (5, 1)
    rejects = [json.loads(line) for line in (generated / "rejects.jsonl").read_text().splitlines()]
    assert [r["record"]["id"] for r in rejects if "without a reference" in r["reason"]] == ["alignbench-3"]


def test_a_question_set_is_no_source_of_pairs_and_the_raw_release_no_question_source(tmp_path, monkeypatch):
    release = released(tmp_path / "release.jsonl", [alignbench_release_row(1)])
    questions = tmp_path / "questions.jsonl"
    write_jsonl(questions, import_alignbench(release).questions)
    with pytest.raises(InputError, match=r"no answers, so it makes no pairs: set `generate.questions_from: "):
        DatasetTeacher.from_file(questions)
    with pytest.raises(InputError, match=r"no answers, so it makes no pairs: `judgeops import alignbench "):
        DatasetTeacher.from_file(release)
    params = parse_params(raw_params(teacher="openai", questions_from=str(release), model_answers=False))
    monkeypatch.setattr(generate, "make_teacher", lambda cfg: ScriptedTeacher())
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputError, match=r"does not hold question records .* `judgeops import alignbench FILE"):
        generate.run(params, None)
