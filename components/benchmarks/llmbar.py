"""LLMBar's figures from an evaluator's released ``result.json``, as its ``statistics.json`` states them.

``result.json`` is the subset's dataset array with ``"results"``: one object per run, holding ``"swap = False"``
(output_1 shown first) and ``"swap = True"`` (output_2 shown first), each with ``"winner"`` naming the output in
the dataset's own numbering whichever order it was shown in. LLMBar's figures, over every (row, run):
``correct_False`` / ``correct_True`` (the winner is the label, in each order), ``correct_average`` (their mean),
``correct_both`` (right in both orders) and ``equal`` (the two orders name the same winner: positional
agreement), written as LLMBar writes them ("95 / 100 = 95.0%"), and ``kappa_agreement`` (Cohen's kappa between
the two orders' winners). Its per-order kappas (``kappa_False``, ``kappa_True``) are not reproduced: the released
files do not say what they are measured against. A winner that is neither "1" nor "2" is compared
as the file holds it -- wrong against the label, as in LLMBar -- and counted under ``unreadable_winners``.

Rows are matched to the gold (LLMBar's ``dataset.json``, a folder of subsets, or their import) by content --
the instruction and both outputs -- never by position alone, and a label that disagrees with the gold's is an
error. Our rule reads "1" / "2" as verdicts, anything else as a parse failure (never a tie), the ``swap = True``
winner mirrored into that order's coordinates.
"""

from __future__ import annotations

from pathlib import Path

from sklearn.metrics import cohen_kappa_score

from components.data.importers.llmbar import import_llmbar
from components.io import RecordError, as_object, iter_json_lines, read_records
from components.metrics import consistency_metrics, pairwise_cis, pairwise_metrics
from components.schemas import Pair, mirror

ORDERS = ("swap = False", "swap = True")


def score_llmbar(gold_path: Path | str, result_path: Path | str, n_resamples: int = 1000) -> dict:
    gold = {(p.instruction, p.answer1, p.answer2): p for p in _gold_pairs(gold_path)}
    items = []  # (pair, label as LLMBar writes it, winner swap=False, winner swap=True)
    for line, record in iter_json_lines(result_path):
        record = as_object(result_path, line, record)
        key = tuple(_text(result_path, line, record, name) for name in ("input", "output_1", "output_2"))
        pair = gold.get(key)
        if pair is None:
            raise RecordError(result_path, line, "input", f"no pair of {gold_path} holds this input and outputs")
        if record.get("label") != pair.verdict:
            raise RecordError(result_path, line, "label", f"{record.get('label')!r}, but {pair.id} is {pair.verdict}")
        runs = record.get("results")
        if not isinstance(runs, list) or not runs:
            raise RecordError(result_path, line, "results", "expected a list with one object per run")
        for index, run in enumerate(runs):
            winners = [_winner(result_path, line, run, index, order) for order in ORDERS]
            items.append((pair, str(pair.verdict), *winners))
    if not items:
        raise ValueError(f"{result_path}: no judged rows")
    n = len(items)
    right_false = sum(w_false == label for _, label, w_false, _ in items)
    right_true = sum(w_true == label for _, label, _, w_true in items)
    both = sum(w_false == label == w_true for _, label, w_false, w_true in items)
    equal = sum(w_false == w_true for _, _, w_false, w_true in items)
    unreadable = sum(w not in ("1", "2") for _, _, *winners in items for w in winners)
    published = {
        "correct_False": _ratio(right_false, n),
        "correct_True": _ratio(right_true, n),
        "correct_average": f"{100 * (right_false + right_true) / (2 * n):.1f}%",
        "correct_both": _ratio(both, n),
        "equal": _ratio(equal, n),
        "kappa_agreement": float(cohen_kappa_score([w for *_, w, _ in items], [w for *_, w in items])),
        "unreadable_winners": unreadable,
    }
    truth = [pair.verdict for pair, *_ in items]
    original = [_verdict(w_false) for _, _, w_false, _ in items]
    swapped = [mirror(_verdict(w_true)) for *_, w_true in items]
    first = pairwise_metrics(truth, original)
    second = pairwise_metrics([mirror(v) for v in truth], swapped)
    order = consistency_metrics(original, swapped)
    ours = {
        "n": n,
        "accuracy_original": first["accuracy"],
        "accuracy_swapped": second["accuracy"],
        "accuracy_average": (first["accuracy"] + second["accuracy"]) / 2,
        "agreement_both_orders": sum(
            o == t and s == mirror(t) for o, s, t in zip(original, swapped, truth, strict=True)
        )
        / n,
        "order_consistency": order["consistency"],
        "cohen_kappa_original": first["cohen_kappa"],
        "parse_failures_original": first["parse_failures"],
        "parse_failures_swapped": second["parse_failures"],
    }
    result = {
        "mode": "published",
        "benchmark": "llmbar",
        "subsets": sorted({pair.category for pair, *_ in items}),
        "published": published,
        "ours": ours,
        "notes": [
            f"{n} judged (row, run) items from {result_path}; {unreadable} winners were neither '1' nor '2' "
            "(wrong under LLMBar's rule, parse failures under ours)."
        ],
    }
    if n_resamples:
        groups = [pair.question_id for pair, *_ in items]
        ci = pairwise_cis(truth, original, "separate", groups, n_resamples=n_resamples)
        result["ci"] = {"accuracy_original": ci["accuracy"]}
    return result


def _gold_pairs(path: Path | str) -> list[Pair]:
    path = Path(path)
    if path.is_dir():
        return import_llmbar(path).pairs
    for line, record in iter_json_lines(path):
        if isinstance(as_object(path, line, record), dict) and "output_1" in record:
            return import_llmbar(path).pairs
        break
    return read_records(path, Pair).records


def _text(path: Path | str, line: int, record: dict, name: str) -> str:
    value = record.get(name)
    if not isinstance(value, str):
        raise RecordError(path, line, name, "missing or not a string")
    return value


def _winner(path: Path | str, line: int, run: object, index: int, order: str) -> str:
    """The winner as LLMBar compares it: the string the file holds (``str`` of anything else, None missing)."""
    if not isinstance(run, dict) or not isinstance(run.get(order), dict):
        raise RecordError(path, line, f"results.{index}.{order}", "missing")
    return str(run[order].get("winner"))


def _verdict(winner: str) -> int | None:
    return {"1": 1, "2": 2}.get(winner)


def _ratio(count: int, n: int) -> str:
    return f"{count} / {n} = {100 * count / n:.1f}%"
