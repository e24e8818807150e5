"""Sharded judging: shards keep pairs whole and merge back in order; over a 2-process Dask cluster the
judgments equal the single-process run."""

import pytest
import yaml

from components.config import load_params, parse_params
from components.io import read_jsonl, write_jsonl
from components.judges.base import both_orders
from components.judges.shards import build_judge, merge, split
from components.schemas import Judgment
from tests.conftest import REPO
from tests.factories import arithmetic_pairs


def judgment(item) -> Judgment:
    return Judgment(pair_id=item.pair.id, judge="j", order=item.order, template="judgeops", raw="")


def test_shards_are_contiguous_balanced_and_keep_both_orders_of_a_pair_together():
    items = both_orders(arithmetic_pairs(7))
    parts = split(items, 3)
    assert [len(part) for part in parts] == [4, 6, 4]
    assert [item for part in parts for item in part] == items
    assert all(len({item.pair.id for item in part}) * 2 == len(part) for part in parts)
    assert len(split(items[:4], 5)) == 2 and split([], 2) == []
    with pytest.raises(ValueError):
        split(items, 0)


def test_merge_restores_input_order_and_refuses_a_shard_that_lost_or_moved_an_item():
    items = both_orders(arithmetic_pairs(4))
    parts = split(items, 2)
    results = [[judgment(item) for item in part] for part in parts]
    assert merge(parts, results) == [judgment(item) for item in items]
    with pytest.raises(ValueError, match="shard 1"):
        merge(parts, [results[0], results[1][::-1]])
    with pytest.raises(ValueError, match="shard 0"):
        merge(parts, [results[0][:-1], results[1]])


@pytest.mark.slow
def test_two_dask_workers_give_the_single_process_judgments(tiny_model_dir, tmp_path, monkeypatch):
    """About 60-90 s on two busy cores: a temporary Prefect server (~25 s), then two worker processes
    that each import torch and load the model."""
    from prefect.testing.utilities import prefect_test_harness

    from flows.sharded_judging import run_sharded

    raw = load_params(REPO / "params.yaml").model_dump(mode="json", by_alias=True)
    raw["judge"].update(dask_workers=2, max_new_tokens=6, batch_size=4)
    params_file = tmp_path / "params.yaml"
    params_file.write_text(yaml.safe_dump(raw))
    pairs = arithmetic_pairs(5)
    write_jsonl(tmp_path / "pairs.jsonl", pairs)

    single = build_judge(parse_params(raw), "tiny", tiny_model_dir).judge(both_orders(pairs))
    monkeypatch.setenv("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    with prefect_test_harness(server_startup_timeout=90):
        summary = run_sharded(
            str(tmp_path / "pairs.jsonl"), str(tmp_path / "out.jsonl"), "tiny", str(tiny_model_dir), str(params_file)
        )
    assert summary == {"judgments": 10, "shards": 2, "failures": sum(j.failed for j in single)}
    assert read_jsonl(tmp_path / "out.jsonl", Judgment) == single
