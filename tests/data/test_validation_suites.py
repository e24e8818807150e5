"""The validation gates against a corpus of deliberately broken datasets.

Each broken dataset is a clean baseline with one defect; the test asserts that the intended
expectation catches it at the intended severity and that no unrelated critical expectation fires,
so a suite that fails "everything" on a small defect would not pass either.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest

from components.config import ValidateParams
from components.io import write_jsonl
from components.schemas import Answer, Judgment, Pair, Question, mirror
from components.validation import failure_message, markdown, run_gate, validate_file, validate_records

PARAMS = ValidateParams()
PANDALM = Path("/work/shared/data/pandalm/testset-v1.json")
SCORES = {0: (5.0, 5.0), 1: (8.0, 3.0), 2: (2.0, 9.0)}
VERDICT_CYCLE = [1, 2, 1, 2, 0, 1, 2, 1, 2, 0, 1, 2]  # 2 ties, 5 ones, 5 twos over 12 pairs


# --- the clean baseline -------------------------------------------------------------------------


def make_questions() -> list[dict]:
    return [
        Question(
            id=f"q{i}",
            family="arithmetic",
            category="math",
            instruction=f"What is {i} + 1?",
            reference=str(i + 1),
        ).model_dump()
        for i in range(6)
    ]


def make_answers() -> list[dict]:
    return [
        Answer(id=f"q{i}:{src}", question_id=f"q{i}", source=src, text=f"{i + 1} ({src})").model_dump()
        for i in range(6)
        for src in ("greedy", "sampled")
    ]


def make_pairs() -> list[dict]:
    pairs = []
    for n, verdict in enumerate(VERDICT_CYCLE):
        q = n // 2
        s1, s2 = SCORES[verdict]
        pair = Pair(
            id=f"p{n}", question_id=f"q{q}", family="arithmetic", category="math",
            instruction=f"What is {q} + 1?", answer1=f"answer A{n}", answer2=f"answer B{n}",
            source1="greedy", source2="sampled", score1=s1, score2=s2, verdict=verdict,
            reason="Assistant 1 is right.", teacher="oracle",
        )  # fmt: skip
        pairs.append(pair.model_dump())
    return pairs


def make_splits() -> dict[str, list[dict]]:
    pairs = make_pairs()
    return {"train": pairs[:8], "val": pairs[8:10], "test": pairs[10:]}


def make_judgments() -> list[dict]:
    rows = []
    for pair in make_pairs():
        for order, verdict in (("original", pair["verdict"]), ("swapped", mirror(pair["verdict"]))):
            s1, s2 = SCORES[verdict]
            rows.append(
                Judgment(
                    pair_id=pair["id"],
                    judge="base",
                    order=order,
                    template="judgeops",
                    raw=f"{s1:g} {s2:g}",
                    score1=s1,
                    score2=s2,
                    verdict=verdict,
                ).model_dump()  # fmt: skip
            )
    return rows


BASELINE = {
    "questions": make_questions,
    "answers": make_answers,
    "pairs": make_pairs,
    "splits": make_splits,
    "judgments": make_judgments,
}


# --- the defects: each takes the baseline of its suite and breaks one thing ----------------------


def null_answer_text(rows):
    rows[0]["text"] = None


def blank_instruction(rows):
    rows[1]["instruction"] = "   "


def missing_reference_column(rows):
    for row in rows:
        del row["reference"]


def answer_text_wrong_type(rows):
    rows[2]["text"] = 42


def one_source_per_question(rows):
    rows[1]["source"] = rows[0]["source"]  # q0 now has two answers from "greedy" only


def duplicate_pair_id(rows):
    rows[3]["id"] = rows[2]["id"]


def verdict_three(rows):
    rows[0].update(verdict=3)


def score_eleven(rows):
    rows[0].update(score1=11.0)  # still above score2, so the verdict still follows the scores


def verdict_against_scores(rows):
    rows[0].update(verdict=2)  # scores 8 vs 3 say 1


def answer_too_long(rows):
    rows[1]["answer2"] = "x" * (PARAMS.max_text_chars + 1)


def too_many_ties(rows):
    for row in rows[4:]:
        row.update(verdict=0, score1=5.0, score2=5.0)  # 2 ones, 2 twos left: each share 1/6


def class_missing(rows):
    for row in rows:
        if row["verdict"] == 2:
            row.update(verdict=1, score1=row["score2"], score2=row["score1"])


def teacher_parse_failure(rows):
    rows[0].update(verdict=None, score1=None, score2=None)


def swap_inconsistent(rows):
    for n, row in enumerate(rows):
        row["swap_verdict"] = row["verdict"] if n < 2 and row["verdict"] else mirror(row["verdict"])


def bool_cast_flag(rows):
    rows[0]["answer1"], rows[0]["flags"] = "True", ["bool_cast"]


def duplicate_flag(rows):
    rows[1]["flags"] = ["duplicate_of:p0"]


def unknown_column(rows):
    for row in rows:
        row["notes"] = "scratch"


def leakage(splits):
    splits["test"].append({**splits["train"][0], "id": "p-leak"})


def empty_test_split(splits):
    splits["test"] = []


def unknown_split_name(splits):
    splits["dev"] = splits.pop("val")


def judge_parse_failures(rows):
    for row in rows[:3]:
        row.update(verdict=None, score1=None, score2=None, failed=True, failure="no scores")


def verdict_without_failed_flag(rows):
    rows[0].update(verdict=None, score1=None, score2=None)  # failed stays False


def judgment_twice(rows):
    rows.append(dict(rows[0]))


CASES = [
    # (defect, suite, expected expectation, severity, an offending id the report must name)
    (null_answer_text, "answers", "text:not_null", "critical", "q0:greedy"),
    (blank_instruction, "questions", "instruction:not_blank", "critical", "q1"),
    (missing_reference_column, "questions", "reference:exists", "critical", None),
    (answer_text_wrong_type, "answers", "schema:types", "critical", "q1:greedy"),
    (one_source_per_question, "answers", "question_id:min_2_sources", "critical", "q0"),
    (duplicate_pair_id, "pairs", "id:unique", "critical", "p2"),
    (verdict_three, "pairs", "verdict:in_set", "critical", "p0"),
    (score_eleven, "pairs", "score1:range", "critical", "p0"),
    (verdict_against_scores, "pairs", "verdict:follows_scores", "critical", "p0"),
    (answer_too_long, "pairs", "answer2:max_length", "critical", "p1"),
    (too_many_ties, "pairs", "label:tie_share", "critical", None),
    (class_missing, "pairs", "label:class_share", "critical", "2"),
    (teacher_parse_failure, "pairs", "verdict:teacher_parse_failure_rate", "critical", "p0"),
    (swap_inconsistent, "pairs", "teacher:swap_consistency", "critical", None),
    (bool_cast_flag, "pairs", "flags:bool_cast", "warning", "p0"),
    (duplicate_flag, "pairs", "flags:duplicate_of", "warning", "p1"),
    (unknown_column, "pairs", "table:known_columns", "warning", None),
    (leakage, "splits", "question_id:no_leakage", "critical", "q0"),
    (empty_test_split, "splits", "split:not_empty", "critical", "test"),
    (unknown_split_name, "splits", "split:known_name", "critical", "dev"),
    (judge_parse_failures, "judgments", "failed:judge_parse_failure_rate", "warning", None),
    (verdict_without_failed_flag, "judgments", "verdict:missing_iff_failed", "critical", "p0"),
    (judgment_twice, "judgments", "pair_id+judge+order+template:unique", "critical", "p0"),
]


def assert_caught(result, expectation: str, severity: str, offender: str | None = None) -> None:
    row = result.row(expectation)
    assert row.failed, f"{expectation} did not fail: {row}"
    assert row.severity == severity
    others = sorted(r.expectation for r in result.failures("critical") if r.expectation != expectation)
    assert not others, f"unrelated critical expectations also failed: {others}"
    assert result.passed == (severity == "warning")
    if offender is not None:
        named = {str(value) for example in row.examples for value in example.values()}
        assert offender in named, f"the examples do not name {offender!r}: {row.examples}"


@pytest.mark.parametrize("suite", list(BASELINE))
def test_clean_baseline_passes_every_expectation(suite):
    result = validate_records(f"clean-{suite}", suite, BASELINE[suite](), PARAMS)
    assert result.passed
    assert not result.failures(), [r.expectation for r in result.failures()]
    skipped = [r.expectation for r in result.rows if r.success is None]
    assert skipped == (["teacher:swap_consistency"] if suite == "pairs" else [])


@pytest.mark.parametrize(
    "defect, suite, expectation, severity, offender", CASES, ids=[case[0].__name__ for case in CASES]
)
def test_broken_dataset_is_caught_by_the_intended_expectation(defect, suite, expectation, severity, offender):
    data = copy.deepcopy(BASELINE[suite]())
    defect(data)
    assert_caught(validate_records(defect.__name__, suite, data, PARAMS), expectation, severity, offender)


def test_unknown_question_ids_fail_when_the_questions_are_known():
    answers = make_answers() + [
        Answer(id=f"x:{s}", question_id="q99", source=s, text="?").model_dump() for s in ("greedy", "sampled")
    ]
    extra = {"question_ids": {q["id"] for q in make_questions()}}
    assert_caught(
        validate_records("answers", "answers", answers, PARAMS, extra), "question_id:known", "critical", "q99"
    )


def test_swap_consistency_is_measured_when_swap_info_is_present():
    pairs = make_pairs()
    for row in pairs:
        row["swap_verdict"] = mirror(row["verdict"])
    row = validate_records("pairs", "pairs", pairs, PARAMS).row("teacher:swap_consistency")
    assert row.success is True and row.observed == 1.0


def test_malformed_and_off_schema_lines_name_file_line_and_field(tmp_path):
    path = tmp_path / "pairs.jsonl"
    lines = [json.dumps(p) for p in make_pairs()]
    lines[2] = lines[2][:40]  # torn JSON
    lines[5] = json.dumps({**json.loads(lines[5]), "verdict": 7})
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = validate_file(path, "pairs", PARAMS)
    assert_caught(result, "records:parse", "critical")
    assert result.row("records:parse").unexpected_count == 2
    message = failure_message(result)
    assert f"{path}:3: field '<json>'" in message and f"{path}:6: field 'verdict'" in message
    assert "dataset 'pairs'" in message and "'records:parse'" in message
    assert "`records:parse`" in markdown(result) and result.to_json()["critical_failures"] == 1
    assert result.records == 10


def test_missing_file_is_a_critical_failure_not_a_crash(tmp_path):
    result = validate_file(tmp_path / "nope.jsonl", "questions", PARAMS)
    assert not result.passed
    assert result.row("records:parse").failed and "cannot read" in failure_message(result)


def test_gate_over_files(tmp_path):
    files = {
        "questions": ("questions", tmp_path / "questions.jsonl", make_questions()),
        "answers": ("answers", tmp_path / "answers.jsonl", make_answers()),
        "pairs": ("pairs", tmp_path / "pairs.jsonl", make_pairs()),
        "judgments": ("judgments", tmp_path / "judgments.jsonl", make_judgments()),
    }
    for _, path, rows in files.values():
        write_jsonl(path, rows)
    split_paths = {}
    for split, rows in make_splits().items():
        split_paths[split] = tmp_path / f"{split}.jsonl"
        write_jsonl(split_paths[split], rows)
    spec = {name: (suite, path) for name, (suite, path, _) in files.items()} | {"splits": ("splits", split_paths)}

    gate = run_gate(spec, PARAMS)
    assert gate.passed, failure_message(gate)
    metrics = json.loads(json.dumps(gate.to_json()))
    assert metrics["passed"] is True and metrics["critical_failures"] == 0
    assert set(metrics["datasets"]) == set(spec) and all(d["passed"] for d in metrics["datasets"].values())
    assert {
        "dataset",
        "suite",
        "expectation",
        "severity",
        "success",
        "observed",
        "unexpected_count",
        "examples",
    } <= set(metrics["rows"][0])
    assert "question_id:known" in {r["expectation"] for r in metrics["rows"] if r["dataset"] == "answers"}
    assert markdown(gate).startswith("# Validation gate: PASSED")

    broken = make_pairs()
    broken[4]["verdict"] = None
    write_jsonl(files["pairs"][1], broken)
    gate = run_gate(spec, PARAMS)
    assert not gate.passed and gate.to_json()["datasets"]["pairs"]["passed"] is False
    message = failure_message(gate)
    assert "dataset 'pairs'" in message and "verdict:teacher_parse_failure_rate" in message
    assert f"{files['pairs'][1]}:5" in message and "id='p4'" in message
    assert "FAILED" in markdown(gate)


def test_pandalm_pairs_pass_with_their_quirks_as_warnings():
    if not PANDALM.exists():
        pytest.skip(f"{PANDALM} is not present")
    pandalm = pytest.importorskip("components.data.importers.pandalm")
    pairs = pandalm.import_pandalm(PANDALM).pairs
    result = validate_records("pandalm", "pairs", pairs, PARAMS)
    assert result.passed, failure_message(result)
    flagged = {
        kind: sum(any(f.startswith(kind) for f in p.flags) for p in pairs) for kind in ("duplicate_of", "bool_cast")
    }
    assert flagged["duplicate_of"] > 0 and flagged["bool_cast"] > 0
    for kind, count in flagged.items():
        row = result.row(f"flags:{kind}")
        assert row.failed and row.severity == "warning" and row.unexpected_count == count
    consistency = result.row("teacher:swap_consistency")
    assert consistency.success is True and consistency.observed == 1.0 and "swapped-twin" in consistency.note


def test_importing_the_package_does_not_import_great_expectations():
    code = "import sys, components.validation; assert 'great_expectations' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[2])
