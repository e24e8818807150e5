"""Sharded judging: shards keep pairs whole and merge back in order, and the judge stage on two Dask
workers writes the files one process writes, from the same cache."""

import pytest

from components import paths
from components.config import JudgeParams, load_params
from components.io import read_jsonl, write_jsonl
from components.judges import PIPELINE_JUDGES
from components.judges.base import both_orders
from components.judges.shards import merge, split
from components.judges.workers import dask_client
from components.schemas import Judgment
from components.tracking import NullTracker
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


def test_an_address_connects_to_that_scheduler_and_no_workers_means_no_client():
    from distributed import LocalCluster

    with dask_client(JudgeParams()) as client:
        assert client is None
    with LocalCluster(n_workers=1, processes=False, dashboard_address=None) as cluster:
        with dask_client(JudgeParams(dask_workers=1, dask_address=cluster.scheduler_address)) as client:
            assert client.scheduler.address == cluster.scheduler_address
            assert client.submit(sum, [1, 2]).result() == 3


def workspace(root, model_dir, monkeypatch):
    """A project root holding the judge stage's inputs: the tiny model as base model and (full) judge."""
    root.mkdir()
    monkeypatch.chdir(root)
    paths.BASE_MODEL.parent.mkdir(parents=True)
    paths.BASE_MODEL.symlink_to(model_dir)
    paths.JUDGE_MODEL.parent.mkdir(parents=True)
    paths.JUDGE_MODEL.symlink_to(model_dir)
    pairs = arithmetic_pairs(6)
    write_jsonl(paths.split_file("test"), pairs[:4])
    write_jsonl("human.jsonl", pairs[4:])


def outputs() -> dict[str, list[Judgment]]:
    found = {name: read_jsonl(paths.judgments_file(name), Judgment) for name in PIPELINE_JUDGES}
    found |= {
        f"human/{name}": read_jsonl(paths.human_judgments_file("human.jsonl", name), Judgment)
        for name in PIPELINE_JUDGES
    }
    return found


FLOATS = {"score1", "score2", "confidence"}


def assert_same(found: dict[str, list[Judgment]], expected: dict[str, list[Judgment]]) -> None:
    """Equal judgments in the same order. Logprob mode's expected scores and confidence may differ by about
    1e-6: a shard batches other prompts together than one process does, and padding moves the
    float sums (one process with another judge.batch_size moves them the same way)."""
    assert found.keys() == expected.keys()
    for name, judgments in expected.items():
        assert len(found[name]) == len(judgments)
        for got, want in zip(found[name], judgments, strict=True):
            assert got.model_dump(exclude=FLOATS) == want.model_dump(exclude=FLOATS)
            assert [getattr(got, key) for key in sorted(FLOATS)] == pytest.approx(
                [getattr(want, key) for key in sorted(FLOATS)], rel=1e-5
            )


@pytest.mark.slow
def test_the_judge_stage_on_two_dask_workers_writes_what_one_process_writes(tiny_model_dir, tmp_path, monkeypatch):
    """About 20 s on two busy cores, most of it the two worker processes importing torch."""
    from components.stages import judge as stage

    params = load_params(REPO / "params.yaml")
    params = params.model_copy(
        update={
            "finetune": params.finetune.model_copy(update={"method": "full"}),
            # logprob with no mass floor: every judgment has scores and a verdict, even from a random model
            "judge": params.judge.model_copy(
                update={"mode": "logprob", "min_score_mass": 0.0, "batch_size": 4, "human_eval": ["human.jsonl"]}
            ),
        }
    )
    sharded = params.model_copy(update={"judge": params.judge.model_copy(update={"dask_workers": 2})})

    workspace(tmp_path / "one", tiny_model_dir, monkeypatch)
    alone = stage.run(params, NullTracker())
    expected = outputs()

    workspace(tmp_path / "sharded", tiny_model_dir, monkeypatch)

    def no_model_here(*args, **kwargs):
        raise AssertionError("the stage's own process loaded a model: judging did not go to the workers")

    with monkeypatch.context() as patched:
        patched.setattr("components.models.load_causal_lm", no_model_here)
        found = stage.run(sharded, NullTracker())
    written = outputs()
    assert_same(written, expected)
    assert all(j.verdict is not None and j.score1 is not None for js in expected.values() for j in js)
    for name in PIPELINE_JUDGES:
        assert found[f"{name}.judgments"] == alone[f"{name}.judgments"] == 8
        assert found[f"{name}.from_cache"] == alone[f"{name}.from_cache"] == 0
        assert found[f"{name}.truncated_prompts"] == alone[f"{name}.truncated_prompts"]

    again = stage.run(params, NullTracker())  # one process, on the sharded run's cache
    assert all(again[f"{name}.from_cache"] == 8 for name in PIPELINE_JUDGES)
    assert outputs() == written
