"""Importers of the public judge benchmarks (LLMBar, EvalBiasBench, JudgeBench, Auto-J Eval-P, MT-Bench human
judgments), each on a hand-written fixture in the benchmark's exact shape: fields kept, bad rows named and
rejected, and the `judgeops import` command for each."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from components.cli import app
from components.data.importers import import_any
from components.data.importers.evalbiasbench import BOTH_ORDERS, import_evalbiasbench
from components.data.importers.llmbar import import_llmbar
from components.data.importers.mtbench_human import import_mtbench_human
from components.io import InputError, RecordError, read_records
from components.schemas import FIRST, SECOND, TIE, Pair


def _json(path: Path, value) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value))
    return path


def _jsonl(path: Path, rows: list) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def _llmbar_row(label=1, text="Write a haiku about rain.") -> dict:
    return {"input": text, "output_1": "Rain taps the window", "output_2": "Sunny days are best", "label": label}


@pytest.fixture
def llmbar_dir(tmp_path: Path) -> Path:
    root = tmp_path / "LLMBar"
    _json(root / "Natural" / "dataset.json", [_llmbar_row(1), _llmbar_row(2, "List three colours.")])
    _json(root / "Adversarial" / "Neighbor" / "dataset.json", [_llmbar_row(2, "Name a prime.")])
    _json(root / "Adversarial" / "Manual" / "dataset.json", [_llmbar_row(1, "Say hi.")])
    return root


def test_llmbar_folder_imports_every_subset_it_holds_with_the_subset_as_category(llmbar_dir: Path):
    pairs = import_llmbar(llmbar_dir).pairs
    assert [p.category for p in pairs] == ["Natural", "Natural", "Adversarial/Neighbor", "Adversarial/Manual"]
    assert [p.verdict for p in pairs] == [FIRST, SECOND, SECOND, FIRST]
    assert pairs[2].id == "llmbar-adversarial-neighbor-001"
    assert pairs[0].instruction == "Write a haiku about rain." and pairs[0].answer1 == "Rain taps the window"


def test_llmbar_one_file_takes_its_subset_from_its_folders(llmbar_dir: Path):
    pairs = import_llmbar(llmbar_dir / "Adversarial" / "Neighbor" / "dataset.json").pairs
    assert [p.category for p in pairs] == ["Adversarial/Neighbor"]


def test_llmbar_bad_rows_are_named_and_rejected(tmp_path: Path):
    file = _json(
        tmp_path / "Natural" / "dataset.json", [_llmbar_row(3), _llmbar_row(True), {"input": "x"}, _llmbar_row(1)]
    )
    with pytest.raises(RecordError, match=r"dataset.json:1: field 'label'"):
        import_llmbar(file)
    result = import_llmbar(file, on_error="skip")
    assert len(result.pairs) == 1
    assert [(r["line"], r["field"]) for r in result.rejects] == [(1, "label"), (2, "label"), (3, "output_1")]


def test_llmbar_folder_without_subsets_is_refused(tmp_path: Path):
    with pytest.raises(InputError, match="no LLMBar subset"):
        import_llmbar(tmp_path)


def _bias_row(bias: str, label=1) -> dict:
    return {
        "bias": bias,
        "instruction": f"Answer briefly ({bias}).",
        "response1": "Short.",
        "response2": "Long " * 9,
        "label": label,
    }


def test_evalbiasbench_keeps_the_bias_type_and_says_to_judge_both_orders(tmp_path: Path):
    file = _json(
        tmp_path / "biasbench.json",
        {
            "length bias": [_bias_row("length bias")] * 1 + [_bias_row("length bias") | {"instruction": "Other."}],
            "concreteness": [_bias_row("concreteness")],
        },
    )
    result = import_evalbiasbench(file)
    assert [p.category for p in result.pairs] == ["length bias", "length bias", "concreteness"]
    assert all(BOTH_ORDERS in p.flags and p.verdict == FIRST for p in result.pairs)
    assert any("both orders" in warning for warning in result.warnings)
    assert result.pairs[1].id == "evalbiasbench-length-bias-02"


def test_evalbiasbench_bad_rows_are_named_by_bias_and_position(tmp_path: Path):
    file = _json(
        tmp_path / "biasbench.json",
        {"concreteness": [_bias_row("concreteness"), _bias_row("length bias"), _bias_row("concreteness", label="1")]},
    )
    result = import_evalbiasbench(file, on_error="skip")
    assert len(result.pairs) == 1
    assert [(r["file"], r["line"], r["field"]) for r in result.rejects] == [
        (f"{file}#concreteness", 2, "bias"),
        (f"{file}#concreteness", 3, "label"),
    ]


def test_evalbiasbench_seeded_shuffle_swaps_answers_and_verdict_together(tmp_path: Path):
    rows = [_bias_row("length bias") | {"instruction": f"Q{i}"} for i in range(20)]
    pairs = import_evalbiasbench(_json(tmp_path / "b.json", {"length bias": rows}), shuffle_seed=3).pairs
    swapped = [p for p in pairs if "swapped" in p.flags]
    assert 0 < len(swapped) < 20
    assert all(p.verdict == SECOND and p.answer2 == "Short." for p in swapped)
    assert pairs == import_evalbiasbench(_json(tmp_path / "b.json", {"length bias": rows}), shuffle_seed=3).pairs


def _judgebench_row(pair_id: str, source="mmlu-pro-law", label="A>B") -> dict:
    return {
        "pair_id": pair_id,
        "original_id": "q17",
        "source": source,
        "question": "What is 2 + 2?",
        "response_model": "gpt-4o-2024-05-13",
        "response_A": "4",
        "response_B": "5",
        "label": label,
    }


def test_judgebench_keeps_source_and_prefix(tmp_path: Path):
    file = _jsonl(
        tmp_path / "dataset=judgebench,response_model=gpt-4o-2024-05-13.jsonl",
        [_judgebench_row("p1"), _judgebench_row("p2", "livebench-math", "B>A")],
    )
    pairs = import_any("judgebench", file).pairs
    assert [(p.id, p.category, p.verdict) for p in pairs] == [
        ("p1", "mmlu-pro-law", FIRST),
        ("p2", "livebench-math", SECOND),
    ]
    assert pairs[0].flags == ["source_prefix:mmlu-pro"] and pairs[0].question_id == "judgebench-q17"
    assert pairs[0].source1 == pairs[0].source2 == "gpt-4o-2024-05-13"


def test_judgebench_bad_rows_are_named_and_rejected(tmp_path: Path):
    rows = [
        _judgebench_row("p1", label="A=B"),
        _judgebench_row("p2") | {"response_B": ""},
        _judgebench_row("p3"),
        _judgebench_row("p3"),
    ]
    result = import_any("judgebench", _jsonl(tmp_path / "j.jsonl", rows), on_error="skip")
    assert [p.id for p in result.pairs] == ["p3"]
    assert [(r["line"], r["field"]) for r in result.rejects] == [(1, "label"), (2, "response_B"), (4, "pair_id")]


def _autoj_row(label=0, scenario="code_generation") -> dict:
    return {
        "prompt": "Write hello world in C.",
        "response 1": 'printf("hello world");',
        "response 2": "print('hi')",
        "label": label,
        "scenario": scenario,
    }


def test_autoj_maps_its_labels_and_keeps_the_scenario(tmp_path: Path):
    file = _jsonl(tmp_path / "testdata_pairwise.jsonl", [_autoj_row(0), _autoj_row(1), _autoj_row(2, "chitchat")])
    pairs = import_any("autoj", file).pairs
    assert [p.verdict for p in pairs] == [FIRST, SECOND, TIE]
    assert [p.category for p in pairs] == ["code_generation", "code_generation", "chitchat"]
    assert pairs[0].id == "autoj-0001"


def test_autoj_bad_rows_are_named_and_rejected(tmp_path: Path):
    rows = [_autoj_row(3), _autoj_row("0"), _autoj_row(0) | {"scenario": None}, _autoj_row(1)]
    result = import_any("autoj", _jsonl(tmp_path / "a.jsonl", rows), on_error="skip")
    assert len(result.pairs) == 1
    assert [(r["line"], r["field"]) for r in result.rejects] == [(1, "label"), (2, "label"), (3, "scenario")]


def _conversation(first: str, second: str) -> list[dict]:
    return [
        {"role": "user", "content": "Compose a travel blog post."},
        {"role": "assistant", "content": first},
        {"role": "user", "content": "Rewrite it starting every sentence with A."},
        {"role": "assistant", "content": second},
    ]


def _vote(judge: str, winner: str, turn=1, question_id=81) -> dict:
    return {
        "question_id": question_id,
        "model_a": "gpt-4",
        "model_b": "llama-13b",
        "winner": winner,
        "judge": judge,
        "conversation_a": _conversation("Aloha from Hawaii.", "A trip to Hawaii."),
        "conversation_b": _conversation("Hawaii is nice.", "Hawaii is nice, again."),
        "turn": turn,
    }


def test_mtbench_human_groups_votes_as_annotators_with_gold_by_majority(tmp_path: Path):
    votes = [
        _vote("expert_0", "model_a"),
        _vote("expert_1", "model_a"),
        _vote("expert_2", "tie (inconsistent)"),
        _vote("expert_0", "model_b", turn=2),
        _vote("expert_3", "tie", turn=2),
        _vote("expert_4", "model_b", question_id=115),
    ]
    result = import_mtbench_human(_jsonl(tmp_path / "human.jsonl", votes))
    first, second, third = result.pairs
    assert first.annotators == [FIRST, FIRST, TIE] and first.verdict == FIRST
    assert (
        first.category == "writing" and "turn:1" in first.flags and "judges:expert_0,expert_1,expert_2" in first.flags
    )
    assert first.instruction == "Compose a travel blog post." and first.answer1 == "Aloha from Hawaii."
    assert second.annotators == [SECOND, TIE] and second.verdict is None and "no_majority" in second.flags
    assert second.instruction.startswith("Rewrite") and second.input == "Compose a travel blog post."
    assert second.answer2 == "[Turn 1]\nHawaii is nice.\n\n[Turn 2]\nHawaii is nice, again."
    assert third.category == "math" and third.verdict == SECOND
    assert any("no majority" in warning for warning in result.warnings)


def test_mtbench_human_bad_votes_are_named_and_rejected(tmp_path: Path):
    other = _vote("expert_1", "model_a")
    other["conversation_a"] = _conversation("Something else.", "x")
    votes = [
        _vote("expert_0", "bad"),
        _vote("expert_0", "model_a", turn=3),
        _vote("expert_0", "model_a"),
        other,
        _vote("expert_2", "model_a") | {"conversation_b": [{"role": "user", "content": "hi"}]},
    ]
    result = import_mtbench_human(_jsonl(tmp_path / "h.jsonl", votes), on_error="skip")
    assert len(result.pairs) == 1 and result.pairs[0].annotators == [FIRST]
    assert sorted((r["line"], r["field"]) for r in result.rejects) == [
        (1, "winner"),
        (2, "turn"),
        (4, "conversation_a"),
        (5, "conversation_b"),
    ]


@pytest.mark.parametrize(
    ("kind", "make"),
    [
        ("llmbar", lambda d: _json(d / "Natural" / "dataset.json", [_llmbar_row()])),
        ("evalbiasbench", lambda d: _json(d / "biasbench.json", {"length bias": [_bias_row("length bias")]})),
        ("judgebench", lambda d: _jsonl(d / "jb.jsonl", [_judgebench_row("p1")])),
        ("autoj", lambda d: _jsonl(d / "testdata_pairwise.jsonl", [_autoj_row()])),
        ("mtbench-human", lambda d: _jsonl(d / "human.jsonl", [_vote("expert_0", "model_a")])),
    ],
)
def test_judgeops_import_writes_pairs_for_each_benchmark(tmp_path: Path, kind: str, make):
    out = tmp_path / "out" / "pairs.jsonl"
    result = CliRunner().invoke(app, ["import", kind, str(make(tmp_path)), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert len(read_records(out, Pair).records) == 1
