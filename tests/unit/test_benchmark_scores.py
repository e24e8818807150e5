"""`judgeops score` on a benchmark's released judgments: LLMBar's figures (statistics.json) and JudgeBench's
two-game rule, each beside ours; hand-written fixtures in each exact shape, and LLMBar's published figures
reproduced exactly from ../shared/data (skipped where it is absent)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from components.benchmarks.judgebench import benchmark_correct, parse_judgments
from components.cli import app
from components.scoring import render_table, score_files


def _json(path: Path, value) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value))
    return path


def _llmbar_result(text: str, label: int, winner_false, winner_true) -> dict:
    return {
        "input": text,
        "output_1": f"good answer to {text}",
        "output_2": f"bad answer to {text}",
        "label": label,
        "results": [
            {
                "swap = False": {"completion": ["Output (a)", "stop"], "winner": winner_false},
                "swap = True": {"completion": ["Output (b)", "stop"], "winner": winner_true},
            }
        ],
    }


def test_llmbar_figures_from_a_hand_written_result(tmp_path: Path):
    rows = [
        _llmbar_result("q1", 1, "1", "1"),  # right both
        _llmbar_result("q2", 2, "2", "1"),  # right first only
        _llmbar_result("q3", 1, "2", "1"),  # right second only
        _llmbar_result("q4", 2, "1", "1"),  # wrong both, orders agree
        _llmbar_result("q5", 1, "tie", "1"),  # unreadable first
    ]
    gold = _json(
        tmp_path / "Natural" / "dataset.json",
        [{k: r[k] for k in ("input", "output_1", "output_2", "label")} for r in rows],
    )
    result = _json(
        tmp_path / "Natural" / "evaluators" / "X" / "Vanilla" / "result.json", rows[::-1]
    )  # order does not matter
    metrics = score_files(gold, result, n_resamples=0)
    published = metrics["published"]
    assert published["correct_False"] == "2 / 5 = 40.0%"
    assert published["correct_True"] == "3 / 5 = 60.0%"
    assert published["correct_average"] == "50.0%"
    assert published["correct_both"] == "1 / 5 = 20.0%"
    assert published["equal"] == "2 / 5 = 40.0%"
    assert published["unreadable_winners"] == 1
    ours = metrics["ours"]
    assert ours["accuracy_original"] == pytest.approx(0.4) and ours["parse_failures_original"] == 1
    assert ours["agreement_both_orders"] == pytest.approx(0.2)
    assert metrics["subsets"] == ["Natural"]
    assert "correct_both" in render_table(metrics)


def test_llmbar_result_rows_must_match_the_gold(tmp_path: Path):
    gold = _json(tmp_path / "Natural" / "dataset.json", [{"input": "q1", "output_1": "a", "output_2": "b", "label": 1}])
    result = _json(tmp_path / "result.json", [_llmbar_result("q1", 1, "1", "1")])
    with pytest.raises(ValueError, match="no pair of"):
        score_files(gold, result, n_resamples=0)


def test_llmbar_published_figures_are_reproduced_exactly(shared_data: Path):
    folder = shared_data / "llmbar" / "Natural"
    evaluator = folder / "evaluators" / "GPT-4" / "Vanilla"
    expected = json.loads((evaluator / "statistics.json").read_text())
    published = score_files(folder / "dataset.json", evaluator / "result.json", n_resamples=0)["published"]
    for name in ("correct_False", "correct_True", "correct_average", "correct_both", "equal", "kappa_agreement"):
        assert published[name] == expected[name], name


JUDGMENT = "{'judgment': {'judge_model': 'gpt-4o', 'response': 'My verdict: [[A>B]]'}, 'decision': %r}"


def _games(*decisions) -> str:
    return "[" + ", ".join(JUDGMENT % (d,) for d in decisions) + "]"


def test_judgments_are_python_literals_read_without_eval():
    assert parse_judgments(_games("A>B", None)) == (["A>B", None], "")
    assert parse_judgments("[{'decision': __import__('os').getcwd()}]") == (None, "unreadable")
    assert parse_judgments(None) == (None, "missing")
    assert parse_judgments("[{'decision': 'A>B'") == (None, "unreadable")


@pytest.mark.parametrize(
    ("label", "decisions", "correct"),
    [
        ("A>B", ["A>B", "B>A"], True),  # both right (the second flipped back)
        ("A>B", ["A>B", "A=B"], True),  # +1, 0
        ("A>B", ["A>B", "A>B"], False),  # +1, -1: inconsistent
        ("B>A", [None, "A>B"], True),  # 0, +1
        ("B>A", ["A=B", "A=B"], False),
        ("B>A", ["B>A"], True),  # one game: its decision is the label
        ("B>A", [], False),
    ],
)
def test_judgebench_two_game_rule(label, decisions, correct):
    assert benchmark_correct(label, decisions) is correct


def _judgebench_row(pair_id: str, source: str, label: str, judgments) -> dict:
    row = {
        "pair_id": pair_id,
        "original_id": f"o-{pair_id}",
        "source": source,
        "question": f"Question {pair_id}?",
        "response_model": "claude-3-5-sonnet-20240620",
        "response_A": "answer A",
        "response_B": "answer B",
        "label": label,
        "judge_name": "arena_hard",
    }
    if judgments is not None:
        row["judgments"] = judgments
    return row


def test_judgebench_accuracy_overall_and_per_source_beside_ours(tmp_path: Path):
    rows = [
        _judgebench_row("p1", "mmlu-pro-law", "A>B", _games("A>B", "B>A")),  # correct
        _judgebench_row("p2", "mmlu-pro-physics", "B>A", _games("B>A", "B>A")),  # inconsistent: wrong
        _judgebench_row("p3", "livebench-math", "B>A", _games("A=B", "A>B")),  # 0 + 1: correct
        _judgebench_row("p4", "livecodebench", "A>B", "[{'decision': 'A>B'"),  # unreadable: wrong
        _judgebench_row("p5", "livebench-reasoning", "A>B", None),  # missing: wrong
    ]
    pairs = tmp_path / "dataset=judgebench,response_model=claude.jsonl"
    pairs.write_text(
        "".join(json.dumps({k: v for k, v in r.items() if k not in ("judge_name", "judgments")}) + "\n" for r in rows)
    )
    outputs = tmp_path / "outputs.jsonl"
    outputs.write_text("".join(json.dumps(r) + "\n" for r in rows))
    metrics = score_files(pairs, outputs, n_resamples=0)
    published = metrics["published"]
    assert published["accuracy"] == pytest.approx(2 / 5)
    assert (published["missing_judgments"], published["unreadable_judgments"]) == (1, 1)
    groups = metrics["groups"]
    assert groups["mmlu-pro"]["judgebench_accuracy"] == pytest.approx(0.5) and groups["mmlu-pro"]["n"] == 2
    assert groups["livebench-math"]["judgebench_accuracy"] == 1.0
    assert groups["livecodebench"]["judgebench_accuracy"] == 0.0
    ours = metrics["ours"]
    assert ours["accuracy_original"] == pytest.approx(2 / 5)  # p1, p2 right; p3 a tie; p4, p5 failures
    assert ours["parse_failures_original"] == 2
    assert ours["agreement_both_orders"] == pytest.approx(1 / 3)  # of the three two-game rows, only p1
    assert score_files(outputs, outputs, n_resamples=0)["published"] == published  # the output file is its own gold
    shown = CliRunner().invoke(app, ["score", str(pairs), str(outputs), "--resamples", "0"])
    assert shown.exit_code == 0, shown.output
    assert "unreadable_judgments" in shown.output and "livebench-math" in shown.output
