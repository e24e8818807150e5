"""JudgeBench (ScalerLab/JudgeBench, ``data/dataset=judgebench,response_model=*.jsonl``) as ``Pair`` records:
pairs whose label is objective correctness (350 GPT-4o and 270 Claude pairs).

A row is ``{"pair_id", "original_id", "source", "question", "response_model", "response_A", "response_B",
"label": "A>B" | "B>A"}``; ``source`` names the benchmark the question came from ("mmlu-pro-law",
"livebench-math", "livecodebench", ...) and is kept as the pair's ``category``, its prefix (the grouping
JudgeBench reports: mmlu-pro, livebench-reasoning, livebench-math, livecodebench) as the flag
``source_prefix:<prefix>``. The id is ``pair_id``; pairs of one ``original_id`` share a question. A released
judge-output file (the same rows with ``judge_name`` and ``judgments``) imports the same way; ``judgeops score``
reads its judgments (components/benchmarks/judgebench.py). JudgeBench has no ties: any other label is an error.
"""

from __future__ import annotations

from pathlib import Path

from components.data.importers import ImportResult, flag_repeats
from components.data.importers.rows import Where, build, collect, identifier, json_rows, required, text
from components.io import OnError
from components.schemas import FIRST, SECOND, Pair

LABELS = {"A>B": FIRST, "B>A": SECOND}
PREFIXES = ("mmlu-pro", "livebench-reasoning", "livebench-math", "livecodebench")


def import_judgebench(path: Path | str, on_error: OnError = "raise") -> ImportResult:
    rows, rejects = collect(json_rows(path), judgebench_pair, on_error, lambda pair: pair.id, "pair_id")
    return ImportResult(pairs=flag_repeats([pair for _, pair in rows]), rejects=rejects)


def source_prefix(source: str) -> str:
    """The group JudgeBench reports a source under (``mmlu-pro-law`` -> ``mmlu-pro``); else the source itself."""
    return next((prefix for prefix in PREFIXES if source.startswith(prefix)), source)


def label_verdict(at: Where, row: dict) -> int:
    label = required(at, row, "label")
    if not isinstance(label, str) or label not in LABELS:
        raise at.error("label", f"expected 'A>B' or 'B>A', got {label!r}")
    return LABELS[label]


def judgebench_pair(at: Where, row: dict) -> Pair:
    source = text(at, row, "source")
    model = text(at, row, "response_model")
    return build(
        at,
        Pair,
        id=identifier(at, row, "pair_id"),
        question_id=f"judgebench-{identifier(at, row, 'original_id')}",
        family="judgebench",
        category=source,
        instruction=text(at, row, "question"),
        answer1=text(at, row, "response_A"),
        answer2=text(at, row, "response_B"),
        source1=model,
        source2=model,
        verdict=label_verdict(at, row),
        teacher="judgebench-correctness",
        flags=[f"source_prefix:{source_prefix(source)}"],
    )
