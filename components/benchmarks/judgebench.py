"""JudgeBench's figures from a judge's released outputs, by its own two-game rule, overall and per source.

A released row is a JudgeBench pair plus ``judge_name`` and ``judgments``: a **Python literal** (single quotes,
``None``) of a list of one or two games, each ``{"judgment": {...}, "decision": "A>B" | "B>A" | "A=B" | None}``;
the second game saw the responses swapped and its decision is in that order. Read with ``ast.literal_eval``
(literals only, never ``eval``); a JSON list is taken as it is.

JudgeBench's rule: flip the second decision back, count +1 for each game that matches the label and -1 for each
that matches its opposite; a pair is correct when the sum is positive (with one game: when its decision is the
label). A tie or a missing decision counts 0. A row whose judgments are missing or unreadable has no game that
matches, so it counts as incorrect and stays in the denominator, as in JudgeBench's scoring of an empty list;
how many is said (``missing_judgments``, ``unreadable_judgments``). Accuracy is reported overall and per source
prefix (mmlu-pro, livebench-reasoning, livebench-math, livecodebench).

Ours, on the same games: each decision a verdict (A=B a tie, anything else a parse failure), the first game in
the original order and the second in the swapped order; accuracy per order, right in both orders, consistency.
Rows are matched to the gold (JudgeBench's pair file, its import, or the output file itself) by ``pair_id``.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

from components.data.importers.judgebench import LABELS, import_judgebench, source_prefix
from components.io import RecordError, as_object, iter_json_lines, read_records
from components.metrics import consistency_metrics, pairwise_cis, pairwise_metrics
from components.schemas import TIE, Pair, mirror

FLIP = {"A>B": "B>A", "B>A": "A>B"}
DECISIONS = {**LABELS, "A=B": TIE}


def parse_judgments(value: object) -> tuple[list[str | None] | None, str]:
    """(the decision of each game, "") or (None, why: "missing" | "unreadable")."""
    if value is None or value == "":
        return None, "missing"
    if isinstance(value, str):
        try:
            value = ast.literal_eval(value)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            return None, "unreadable"
    if not isinstance(value, list) or not 1 <= len(value) <= 2:
        return None, "unreadable"
    return [game.get("decision") if isinstance(game, dict) else None for game in value], ""


def benchmark_correct(label: str, decisions: list[str | None] | None) -> bool:
    """JudgeBench's rule for one pair."""
    if not decisions:
        return False
    if len(decisions) == 1:
        return decisions[0] == label
    counter = 0
    for decision in (decisions[0], FLIP.get(decisions[1], decisions[1])):
        if decision == label:
            counter += 1
        elif decision == FLIP[label]:
            counter -= 1
    return counter > 0


def score_judgebench(gold_path: Path | str, output_path: Path | str, n_resamples: int = 1000) -> dict:
    gold = {pair.id: pair for pair in _gold_pairs(gold_path)}
    rows = []  # (pair, decisions or None)
    problems = {"missing": 0, "unreadable": 0}
    seen: set[str] = set()
    for line, record in iter_json_lines(output_path):
        record = as_object(output_path, line, record)
        pair_id = str(record.get("pair_id"))
        if pair_id not in gold:
            raise RecordError(output_path, line, "pair_id", f"{pair_id!r} is not in {gold_path}")
        if pair_id in seen:
            raise RecordError(output_path, line, "pair_id", f"duplicate id {pair_id!r}")
        seen.add(pair_id)
        pair = gold[pair_id]
        if "label" in record and (not isinstance(record["label"], str) or LABELS.get(record["label"]) != pair.verdict):
            raise RecordError(output_path, line, "label", f"{record['label']!r} disagrees with {gold_path}")
        decisions, problem = parse_judgments(record.get("judgments"))
        if problem:
            problems[problem] += 1
        rows.append((pair, decisions))
    unjudged = [pair_id for pair_id in gold if pair_id not in seen]
    if not rows:
        raise ValueError(f"{output_path}: no judged rows")
    label_of = {1: "A>B", 2: "B>A"}
    correct = [benchmark_correct(label_of[pair.verdict], decisions) for pair, decisions in rows]
    by_prefix: dict[str, list[int]] = defaultdict(list)
    for index, (pair, _) in enumerate(rows):
        by_prefix[source_prefix(pair.category)].append(index)
    truth = [pair.verdict for pair, _ in rows]
    original = [DECISIONS.get(d[0]) if d else None for _, d in rows]
    swapped = [DECISIONS.get(d[1]) if d and len(d) > 1 else None for _, d in rows]
    two_games = [i for i, (_, d) in enumerate(rows) if d and len(d) == 2]
    ours = _ours(truth, original, swapped, two_games)
    groups, paired = {}, set(two_games)
    for prefix, members in sorted(by_prefix.items()):
        sub = _ours(
            [truth[i] for i in members],
            [original[i] for i in members],
            [swapped[i] for i in members],
            [k for k, i in enumerate(members) if i in paired],
        )
        groups[prefix] = {
            "n": len(members),
            "judgebench_accuracy": sum(correct[i] for i in members) / len(members),
            "ours_accuracy_original": sub["accuracy_original"],
            "ours_agreement_both_orders": sub["agreement_both_orders"],
        }
    result = {
        "mode": "published",
        "benchmark": "judgebench",
        "published": {
            "n": len(rows),
            "accuracy": sum(correct) / len(rows),
            "correct": sum(correct),
            "missing_judgments": problems["missing"],
            "unreadable_judgments": problems["unreadable"],
            "two_game_rows": len(two_games),
        },
        "ours": ours,
        "groups": groups,
        "notes": [
            f"{problems['missing']} rows had no judgments and {problems['unreadable']} could not be read as a "
            "Python literal: each counts as incorrect (in the denominator), as JudgeBench's scoring does.",
            *([f"{len(unjudged)} pairs of {gold_path} have no row in {output_path} (left out)."] if unjudged else []),
        ],
    }
    if n_resamples:
        ci = pairwise_cis(truth, original, "separate", [p.question_id for p, _ in rows], n_resamples=n_resamples)
        result["ci"] = {"accuracy_original": ci["accuracy"]}
    return result


def _ours(truth: list[int], original: list, swapped: list, two_games: list[int]) -> dict:
    first = pairwise_metrics(truth, original)
    ours = {
        "n": len(truth),
        "accuracy_original": first["accuracy"],
        "parse_failures_original": first["parse_failures"],
        "accuracy_swapped": None,
        "agreement_both_orders": None,
        "order_consistency": None,
    }
    if two_games:
        t = [truth[i] for i in two_games]
        o, s = [original[i] for i in two_games], [swapped[i] for i in two_games]
        second = pairwise_metrics([mirror(v) for v in t], s)
        ours["accuracy_swapped"] = second["accuracy"]
        ours["parse_failures_swapped"] = second["parse_failures"]
        ours["agreement_both_orders"] = sum(a == g and b == mirror(g) for a, b, g in zip(o, s, t, strict=True)) / len(t)
        ours["order_consistency"] = consistency_metrics(o, s)["consistency"]
    return ours


def _gold_pairs(path: Path | str) -> list[Pair]:
    for line, record in iter_json_lines(path):
        if "response_A" in as_object(path, line, record):
            return import_judgebench(path).pairs
        break
    return read_records(path, Pair).records
