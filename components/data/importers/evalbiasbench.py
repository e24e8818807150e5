"""EvalBiasBench (ncsoft/offsetbias, ``data/evalbiasbench/biasbench.json``) as ``Pair`` records: pairs built to
trip a judge on six known biases (length, concreteness, empty reference, content continuation, nested
instruction, familiar knowledge).

The file is one JSON object whose keys are the bias types, each a list of
``{"bias", "instruction", "response1", "response2", "label"}``; a plain JSON array (or JSONL) of such rows is read
too. The bias type is kept as the pair's ``category``. A row's place is ``FILE#<bias>`` and its 1-based position
in that list; its id ``evalbiasbench-<bias>-NN``.

The label is response1 in every published pair, so a judge that always answers "1" scores 100% in the order
given: these pairs must be judged in both orders (or a seeded shuffle) before an accuracy means anything. Every
pair carries the flag ``judge_both_orders`` and the import says so in its warnings; ``shuffle_seed`` swaps a
seeded half of the pairs (answers, sources and verdict together, flagged ``swapped``) for judges run one way.
"""

from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path

from components.data.importers import ImportResult, flag_repeats
from components.data.importers.rows import Row, Where, build, collect, json_rows, required, text
from components.io import InputError, OnError
from components.schemas import FIRST, Pair

BOTH_ORDERS = "judge_both_orders"


def import_evalbiasbench(
    path: Path | str, on_error: OnError = "raise", shuffle_seed: int | None = None
) -> ImportResult:
    rows, rejects = collect(_rows(Path(path)), evalbiasbench_pair, on_error, lambda pair: pair.id, "<position>")
    pairs = [pair for _, pair in rows]
    result = ImportResult(pairs=flag_repeats(pairs), rejects=rejects)
    first = sum(pair.verdict == FIRST for pair in pairs)
    result.warnings.append(
        f"{path}: the label is response1 in {first} of {len(pairs)} pairs: judge every pair in both orders "
        f"(or a seeded shuffle) -- a judge that always answers '1' scores {first / max(len(pairs), 1):.0%} in the "
        f"order given; each pair is flagged {BOTH_ORDERS!r}"
    )
    if shuffle_seed is not None:
        rng = random.Random(shuffle_seed)
        result.pairs = [
            pair.swapped().model_copy(update={"flags": [*pair.flags, "swapped"]}) if rng.random() < 0.5 else pair
            for pair in result.pairs
        ]
    return result


def _rows(path: Path) -> list[Row]:
    """(place, row) of each pair: per bias list of the published object, or of a flat array / JSONL."""
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return list(json_rows(path))  # JSONL, or broken: each line names its own problem
    if not isinstance(data, dict):
        return list(json_rows(path))
    rows: list[Row] = []
    for bias, items in data.items():
        where = f"{path}#{bias}"
        if not isinstance(items, list):
            rows.append((Where(where, 1), ValueError(f"expected a list of pairs under {bias!r}")))
            continue
        for position, item in enumerate(items, start=1):
            if isinstance(item, dict) and item.get("bias") is None:
                item = {**item, "bias": bias}
            elif isinstance(item, dict) and item.get("bias") != bias:
                item = {**item, "_listed_under": bias}
            rows.append((Where(where, position), item))
    if not rows:
        raise InputError(f"{path}: no records to import: no bias type holds a pair")
    return rows


def evalbiasbench_pair(at: Where, row: dict) -> Pair:
    bias = text(at, row, "bias")
    if "_listed_under" in row:
        raise at.error("bias", f"{bias!r}, but the row is listed under {row['_listed_under']!r}")
    instruction = text(at, row, "instruction")
    label = required(at, row, "label")
    if isinstance(label, bool) or label not in (1, 2):
        raise at.error("label", f"expected 1 or 2 (the better response), got {label!r}")
    slug = "-".join(bias.lower().replace("_", " ").split())
    return build(
        at,
        Pair,
        id=f"evalbiasbench-{slug}-{at.line:02d}",
        question_id=f"evalbiasbench-{hashlib.sha256(instruction.encode('utf-8')).hexdigest()[:16]}",
        family="evalbiasbench",
        category=bias,
        instruction=instruction,
        answer1=text(at, row, "response1"),
        answer2=text(at, row, "response2"),
        source1="response1",
        source2="response2",
        verdict=label,
        teacher="evalbiasbench",
        flags=[BOTH_ORDERS],
    )
