"""A Hugging Face ``datasets`` dataset from local disk: a folder written by ``save_to_disk`` (read with
``load_from_disk``) or a local JSON / JSONL / Parquet file (read with ``load_dataset`` and
``data_files``). Never the hub: a path that does not exist is an error, not a dataset name to fetch.

Rows are canonical pairs by default (``row_format="pairs"``), or JudgeLM records (``"judgelm"``, the
layout JudgeLM's data has on the hub). A saved ``DatasetDict`` is read split by split, in name order;
problems name the dataset, the split and the 1-based row. ``datasets`` fills a column missing from a
row with null, so nulls read as "not given".
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

from components.data.importers import ImportResult, flag_repeats
from components.data.importers.jsonl import canonical_pair
from components.data.importers.judgelm import judgelm_pair
from components.data.importers.rows import Row, Where, collect
from components.io import InputError, OnError, iter_json_lines, nonempty

RowFormat = Literal["pairs", "judgelm"]
CONVERTERS = {"pairs": canonical_pair, "judgelm": judgelm_pair}
FILE_BUILDERS = {".json": "json", ".jsonl": "json", ".parquet": "parquet"}


def import_hf(path: Path | str, on_error: OnError = "raise", row_format: RowFormat = "pairs") -> ImportResult:
    if row_format not in CONVERTERS:
        raise ValueError(f"unknown row format {row_format!r}; known: {', '.join(CONVERTERS)}")
    rows = nonempty(dataset_rows(Path(path)), path)
    rows, rejects = collect(rows, CONVERTERS[row_format], on_error, lambda pair: pair.id, "id")
    pairs = [pair for _, pair in rows]
    return ImportResult(pairs=flag_repeats(pairs) if row_format == "judgelm" else pairs, rejects=rejects)


def dataset_rows(path: Path) -> Iterator[Row]:
    """Every row of the dataset at ``path`` with its place (``path[split]`` and the row number)."""
    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
    import datasets

    if path.is_dir():
        loaded = datasets.load_from_disk(str(path))
        splits = loaded.items() if isinstance(loaded, datasets.DatasetDict) else [("", loaded)]
        for split, dataset in sorted(splits, key=lambda item: item[0]):
            yield from _numbered(f"{path}[{split}]" if split else str(path), dataset)
        return
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such dataset folder or file (datasets are read from local disk only)")
    builder = FILE_BUILDERS.get(path.suffix.lower())
    if builder is None:
        raise ValueError(f"{path}: expected a dataset folder or a {', '.join(FILE_BUILDERS)} file")
    if builder == "json" and next(iter_json_lines(path), None) is None:
        raise InputError(f"{path}: no records to import: it is empty")  # datasets fails on it obscurely
    with tempfile.TemporaryDirectory(prefix="judgeops-hf-") as cache:
        try:
            dataset = datasets.load_dataset(builder, data_files=str(path), split="train", cache_dir=cache)
        except datasets.exceptions.DatasetGenerationError as error:
            raise ValueError(
                f"{path}: datasets cannot read it ({error.__cause__ or error}); for JSONL, "
                "`judgeops import jsonl` names each bad line"
            ) from None
        yield from _numbered(str(path), dataset)


def _numbered(name: str, dataset) -> Iterator[Row]:
    for index, row in enumerate(dataset, start=1):
        yield Where(name, index), row
