"""Teacher plumbing without a model or a server: the generate params, the dataset teacher (imported
labels pass through), CritiqueLLM's reference-free rewrite with its clamp, and the pairing counts that
keep teacher failures apart from swap conflicts."""

from __future__ import annotations

import json

import pytest
import yaml

from components.config import ConfigError, parse_params
from components.io import write_jsonl
from components.schemas import FIRST, SECOND, TIE, Answer, Question
from components.stages import generate
from components.teachers.base import PairLabel
from components.teachers.dataset import DatasetTeacher
from components.teachers.factory import make_teacher
from components.teachers.oracle import OracleTeacher
from components.teachers.pairing import Candidate, PairingStats, label_pairs
from components.teachers.rewrite import Rewriter, read_rewrite
from tests.conftest import REPO
from tests.factories import arithmetic_pairs, make_pair

QUESTION = Question(id="q", family="arithmetic", category="mathematics", instruction="What is 2 + 2?", reference="4")


def raw_params(**generate_changes) -> dict:
    raw = yaml.safe_load((REPO / "params.yaml").read_text())
    raw["generate"].update(generate_changes)
    return raw


def test_generate_params_default_to_the_oracle_and_check_teacher_settings():
    params = parse_params(raw_params())
    assert params.generate.teacher == "oracle" and not params.generate.two_round
    assert isinstance(make_teacher(params.generate), OracleTeacher)
    with pytest.raises(ConfigError, match=r"generate.openai.api_kye_env: unknown key; allowed keys here: base_url"):
        parse_params(raw_params(openai={"api_kye_env": "KEY"}))
    with pytest.raises(ConfigError, match="must name an environment variable"):
        parse_params(raw_params(openai={"api_key_env": "sk-abc123"}))
    with pytest.raises(ConfigError, match="generate.teacher"):
        parse_params(raw_params(teacher="gpt4"))
    with pytest.raises(ConfigError, match="needs generate.dataset_path"):
        parse_params(raw_params(teacher="dataset"))
    with pytest.raises(ConfigError, match="two_round rewrites an LLM teacher's critiques"):
        parse_params(raw_params(two_round=True))


def test_the_dataset_teacher_gives_stored_labels_mirrored_twins_and_failures():
    stored = make_pair(id="a", answer1="4", answer2="5", score1=9, score2=2, verdict=FIRST)
    twin = make_pair(id="b", answer1="six", answer2="4", score1=3, score2=3, verdict=TIE, reason="Assistant 2 ...")
    teacher = DatasetTeacher([stored, twin])
    assert teacher.label(QUESTION, "4", "5") == PairLabel(9, 2, FIRST, stored.reason)
    assert teacher.label(QUESTION, "5", "4") == PairLabel(2, 9, SECOND, "Assistant 2 is right; Assistant 1 is wrong.")
    assert teacher.label(QUESTION, "4", "six") == PairLabel(3, 3, TIE, "Assistant 1 ...")
    missing = teacher.label(QUESTION, "4", "7")
    assert missing.verdict is None and missing.reason.startswith("teacher failure")
    with pytest.raises(ValueError, match="cannot grade a single answer"):
        teacher.grade(QUESTION, "4")


def test_the_generate_stage_passes_imported_labels_through(tmp_path, monkeypatch):
    pairs = arithmetic_pairs(9)
    conflicting_twin = pairs[0].swapped().model_copy(update={"id": "twin", "verdict": FIRST, "score1": 9, "score2": 3})
    unlabelled = make_pair(
        id="nolabel", question_id="q9", instruction="What is 9 + 9?", verdict=None, score1=None, score2=None
    )
    write_jsonl(tmp_path / "imported.jsonl", [*pairs, conflicting_twin, unlabelled])
    params = parse_params(raw_params(teacher="dataset", dataset_path=str(tmp_path / "imported.jsonl")))
    monkeypatch.chdir(tmp_path)
    metrics = generate.run(params, None)
    assert (metrics["pairs"], metrics["swap_conflicts_dropped"], metrics["teacher_failures_dropped"]) == (8, 2, 1)
    kept = [json.loads(line) for line in (tmp_path / "data/generated/pairs.jsonl").read_text().splitlines()]
    originals = {p.id: p.model_dump(mode="json") for p in pairs}
    for row in kept:
        assert {**row, "split": ""} == originals[row["id"]], "labels and everything else pass through"
    rejects = [json.loads(line) for line in (tmp_path / "data/generated/rejects.jsonl").read_text().splitlines()]
    assert sorted(r["record"]["id"] for r in rejects) == ["nolabel", "p0", "twin"]
    questions = (tmp_path / "data/generated/questions.jsonl").read_text().splitlines()
    assert len(questions) == 10 and metrics["questions_without_reference"] == 0


class Scripted:
    """A teacher answering from a table: (answer1, answer2) -> PairLabel."""

    name = "scripted"

    def __init__(self, labels: dict[tuple[str, str], PairLabel]):
        self.labels = labels

    def label(self, question: Question, answer1: str, answer2: str) -> PairLabel:
        return self.labels[(answer1, answer2)]


def test_failures_are_counted_apart_from_conflicts_and_go_to_the_rejects():
    failed = PairLabel(None, None, None, "teacher failure: first line is not 2 number(s)")
    teacher = Scripted(
        {
            ("a", "b"): PairLabel(8, 3, FIRST, "A."),
            ("b", "a"): PairLabel(3, 8, SECOND, "A."),
            ("c", "d"): failed,
            ("d", "c"): PairLabel(3, 8, SECOND, "x"),
            ("e", "f"): PairLabel(8, 3, FIRST, "x"),
            ("f", "e"): failed,
            ("g", "h"): PairLabel(8, 3, FIRST, "x"),
            ("h", "g"): PairLabel(8, 3, FIRST, "x"),
        }
    )
    answers = {t: Answer(id=t, question_id="q", source=t, text=t) for t in "abcdefgh"}
    chosen = [Candidate(QUESTION, i, answers[x], answers[y]) for i, (x, y) in enumerate(["ab", "cd", "ef", "gh"])]
    stats = PairingStats()
    pairs, rejects = label_pairs(chosen, teacher, swap_filter=True, stats=stats)
    assert [p.id for p in pairs] == ["q:p0"] and pairs[0].teacher == "scripted"
    assert (stats.sampled, stats.teacher_failures, stats.swap_conflicts, stats.teacher_items) == (1, 2, 1, 8)
    assert [r["reason"].split(":")[0] for r in rejects] == ["teacher failure", "teacher failure", "swap conflict"]
    assert rejects[1]["reason"].endswith("(answers swapped)") and len(rejects[2]["labels"]) == 2

    stats = PairingStats()
    pairs, rejects = label_pairs(chosen, teacher, swap_filter=False, stats=stats)
    assert [p.id for p in pairs] == ["q:p0", "q:p2", "q:p3"] and stats.teacher_failures == 1, "no tie for a failure"


def rewrite_pair():
    return make_pair(score1=9, score2=2, reason="Assistant 1 matches the reference; Assistant 2 does not.")


def test_the_rewrite_keeps_scores_within_one_and_counts_clamps_and_failures():
    outputs = iter(
        [
            "8 2\nAssistant 1 adds correctly; Assistant 2 does not.",
            "5 6\nAssistant 2 is better.",
            "9 2\nAssistant 1 agrees with the reference.",
            "Scores: 9 and 2",
            RuntimeError("HTTP 500 (gave up after 3 attempts)"),
        ]
    )
    rewriter = Rewriter(lambda requests: [next(outputs) for _ in requests])
    pairs = rewriter.rewrite([rewrite_pair()] * 5)
    moved, clamped, *failed = pairs
    assert moved.reason_no_reference == "Assistant 1 adds correctly; Assistant 2 does not."
    assert (moved.score1_no_reference, moved.score2_no_reference) == (
        8,
        2,
    ) and "no_reference_clamped" not in moved.flags
    assert (clamped.score1_no_reference, clamped.score2_no_reference) == (
        8,
        3,
    ) and "no_reference_clamped" in clamped.flags
    assert all(p.reason_no_reference == "" and "no_reference_failed" in p.flags for p in failed)
    assert all((p.score1, p.score2, p.reason) == (9, 2, rewrite_pair().reason) for p in pairs), "round 1 kept"
    assert (rewriter.stats.rewritten, rewriter.stats.clamped, rewriter.stats.failures) == (2, 1, 3)
    with pytest.raises(ValueError, match="still mentions the reference"):
        read_rewrite(rewrite_pair(), "9 2\nThe Reference says 4.")


def test_pairs_on_a_1_to_5_scale_are_refused_or_rescaled_by_an_explicit_setting(tmp_path):
    """CritiqueLLM's human 1-5 scores imported as pairs must not train as 1-10 scores under a 1-10 prompt."""
    from components.data.importers.critiquellm import import_critiquellm
    from components.teachers.factory import make_teacher
    from tests.factories import critiquellm_pairwise_row

    raw = tmp_path / "pairwise.jsonl"
    write_jsonl(raw, [critiquellm_pairwise_row(i, score1=1, score2=4, label=1) for i in range(3)])
    pairs = import_critiquellm(raw).pairs
    assert all("scale:1-5" in pair.flags for pair in pairs)
    imported = tmp_path / "pairs.jsonl"
    write_jsonl(imported, [pair.model_dump(mode="json") for pair in pairs])
    with pytest.raises(ValueError, match="generate.dataset_scale: rescale"):
        DatasetTeacher.from_file(imported)
    with pytest.raises(ValueError, match="3 pairs carry scores on another scale"):
        make_teacher(parse_params(raw_params(teacher="dataset", dataset_path=str(imported))).generate)
    rescaling = raw_params(teacher="dataset", dataset_path=str(imported), dataset_scale="rescale")
    teacher = make_teacher(parse_params(rescaling).generate)
    pair = pairs[0]
    question = QUESTION.model_copy(update={"instruction": pair.instruction, "input": pair.input})
    label = teacher.label(question, pair.answer1, pair.answer2)
    assert (label.score1, label.score2, label.verdict) == (1.0, 7.75, SECOND)
