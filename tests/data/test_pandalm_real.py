"""PandaLM's human test set, imported and scored: the facts its README and paper state must hold.

Skipped when the shared data folder is absent (conftest's ``shared_data``: ../shared/data beside the
repository, or $JUDGEOPS_SHARED_DATA).
"""

import json
from collections import Counter
from pathlib import Path

import pytest

from components.data.importers import find_swapped_twins
from components.data.importers.pandalm import import_pandalm
from components.metrics import annotator_agreement
from components.schemas import VERDICT_NAMES
from components.scoring import score_files


@pytest.fixture(scope="module")
def testset(shared_data) -> Path:
    path = shared_data / "pandalm" / "testset-v1.json"
    if not path.is_file():
        pytest.skip(f"PandaLM test set not found at {path}")
    return path


@pytest.fixture(scope="module")
def imported(testset):
    return import_pandalm(testset)


def _flags(pairs, prefix):
    return [flag.split(":", 1)[1] for pair in pairs for flag in pair.flags if flag.startswith(prefix)]


def test_rows_and_majority(imported):
    pairs = imported.pairs
    assert len(pairs) == 999
    assert Counter(pair.verdict for pair in pairs) == {0: 105, 1: 422, 2: 472}
    assert len({pair.question_id for pair in pairs}) == 170
    assert all(pair.teacher == "human-majority" and len(pair.annotators) == 3 for pair in pairs)
    assert (pairs[0].source1, pairs[0].source2) == ("bloom-7b", "llama-7b")


def test_annotator_agreement_matches_published(imported):
    m = annotator_agreement([pair.annotators for pair in imported.pairs])
    assert round(m["kappa_a1_a2"], 3) == 0.852
    assert round(m["kappa_a1_a3"], 3) == 0.879
    assert round(m["kappa_a2_a3"], 3) == 0.862
    assert round(m["fleiss_kappa"], 3) == 0.864


def test_quirks_are_flagged(imported):
    pairs = imported.pairs
    assert sum("bool_cast" in pair.flags for pair in pairs) == 6
    assert sum("JSON boolean" in line for line in imported.warnings) == 6
    originals = _flags(pairs, "duplicate_of:")
    assert len(set(originals)) == 71 and len(originals) + len(set(originals)) == 170
    assert len(find_swapped_twins(pairs)) == 65
    assert len({pair.id for pair in pairs if any(f.startswith("swapped_twin:") for f in pair.flags)}) >= 65


def test_humans_against_themselves(testset, imported, tmp_path):
    predictions = tmp_path / "human_majority.jsonl"
    with predictions.open("w") as handle:
        for pair in imported.pairs:
            handle.write(json.dumps({"idx": int(pair.id), "result": VERDICT_NAMES[pair.verdict]}) + "\n")
    m = score_files(testset, predictions, n_resamples=0)
    assert m["gold_format"] == "pandalm"
    assert (m["n"], m["accuracy"], m["f1_macro"], m["parse_failures"]) == (999, 1.0, 1.0, 0)
    assert (m["swap_pairs"], m["swap_consistency"]) == (65, 1.0)
    assert round(m["fleiss_kappa"], 3) == 0.864
