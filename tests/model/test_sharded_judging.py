"""Sharded judging: shards keep pairs whole and merge back in order, and the judge stage on two Dask
workers -- a local cluster, or worker processes started apart from it -- writes the files one process
writes, from the same cache, also when a worker dies mid-shard."""

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import replace
from pathlib import Path

import pytest

from components import paths
from components.config import JudgeParams, load_params
from components.io import read_jsonl, write_jsonl
from components.judges import PIPELINE_JUDGES, shards
from components.judges.base import both_orders
from components.judges.hf import HFJudge
from components.judges.shards import merge, portable, split
from components.judges.workers import dask_client
from components.models import weights_fingerprint
from components.schemas import Judgment
from components.tracking import NullTracker
from tests.conftest import REPO
from tests.factories import arithmetic_pairs


def judgment(item) -> Judgment:
    return Judgment(pair_id=item.pair.id, judge="j", order=item.order, template="judgeops", raw="")


def test_a_worker_keys_its_loaded_model_by_the_weights_and_loads_on_the_judges_engine(
    tiny_model, tiny_model_dir, tmp_path, monkeypatch
):
    """A long-lived worker (judge.dask_address) must not judge with the model it loaded before a retrain
    wrote new files at the same path, and a ct2 judge's shards run on ct2, not on torch under ct2's identity."""
    folder = tmp_path / "judge"
    shutil.copytree(tiny_model_dir, folder)
    loads = []

    def loader(engine):
        return lambda path, adapter, *rest: loads.append((engine, path)) or tiny_model

    monkeypatch.setattr(shards, "load_causal_lm", loader("torch"))
    monkeypatch.setattr(shards, "load_ct2", loader("ct2"))
    shards._loaded.cache_clear()
    items = both_orders(arithmetic_pairs(1))
    local = portable(HFJudge("tiny", folder, mode="logprob", min_score_mass=0.0))
    before = weights_fingerprint(folder)
    shards.judge_shard(local, items, before)
    shards.judge_shard(local, items, before)
    assert loads == [("torch", str(folder.resolve()))], "loaded once per process and set of weights"
    (folder / "judgeops_model.json").write_text('{"source": "retrained"}')  # new files at the same path
    with pytest.raises(RuntimeError, match="other weights"):
        shards.judge_shard(local, items, before)  # the stage keyed its cache by the old weights
    shards.judge_shard(local, items, weights_fingerprint(folder))
    assert len(loads) == 2, "the new weights are loaded, not the model kept by path"
    shards.judge_shard(replace(local, engine="ct2", ct2_compute_type="float32"), items, weights_fingerprint(folder))
    assert loads[-1] == ("ct2", str(folder.resolve()))
    shards._loaded.cache_clear()


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


def stage_params():
    """The committed params with the tiny model judged in full and in logprob mode with no mass floor, so
    every judgment has scores and a verdict even from a random model; a human-labelled file besides the test split."""
    params = load_params(REPO / "params.yaml")
    return params.model_copy(
        update={
            "finetune": params.finetune.model_copy(update={"method": "full"}),
            "judge": params.judge.model_copy(
                update={"mode": "logprob", "min_score_mass": 0.0, "batch_size": 4, "human_eval": ["human.jsonl"]}
            ),
        }
    )


@pytest.mark.slow
def test_the_judge_stage_on_two_dask_workers_writes_what_one_process_writes(tiny_model_dir, tmp_path, monkeypatch):
    """About 20 s on two busy cores, most of it the two worker processes importing torch."""
    from components.stages import judge as stage

    params = stage_params()
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


@contextmanager
def dask_processes(folder: Path, workers: int, delay_s: float) -> Iterator[tuple[str, list[subprocess.Popen]]]:
    """A scheduler and ``workers`` workers, each its own OS process as on separate machines, started by the
    `dask` command line (single-threaded workers without a nanny: killing one's process kills the worker);
    yields the scheduler's address and the worker processes, and kills them all on the way out."""
    from distributed import Client

    dask = str(Path(sys.executable).with_name("dask"))
    scheduler_file = folder / "scheduler.json"
    env = {**os.environ, "PYTHONPATH": str(REPO), "JUDGEOPS_SHARD_LOG": str(folder / "shards.jsonl")}
    env |= {"JUDGEOPS_SHARD_DELAY": str(delay_s), "OMP_NUM_THREADS": "1"}
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "start_new_session": True, "env": env}
    started = [
        subprocess.Popen(
            [dask, "scheduler", "--port", "0", "--no-dashboard", "--scheduler-file", str(scheduler_file)], **quiet
        )
    ]
    try:
        deadline = time.monotonic() + 30
        while not scheduler_file.exists():
            assert started[0].poll() is None and time.monotonic() < deadline, "the scheduler did not start"
            time.sleep(0.05)
        worker = [dask, "worker", "--scheduler-file", str(scheduler_file), "--nthreads", "1", "--nworkers", "1"]
        worker += ["--no-nanny", "--no-dashboard", "--preload", "tests.dask_shard_log"]
        started += [subprocess.Popen(worker, **quiet) for _ in range(workers)]
        address = json.loads(scheduler_file.read_text())["address"]
        with Client(address, timeout=30) as client:
            client.wait_for_workers(workers, timeout=60)
        yield address, started[1:]
    finally:
        for process in started:
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def kill_the_first_to_start_a_shard(log: Path, workers: list[subprocess.Popen], killed: list[int]) -> None:
    """Watches the shard log from a thread: SIGKILLs the worker that starts the first shard, mid-shard."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if log.exists() and log.read_text().strip():
            pid = json.loads(log.read_text().splitlines()[0])["pid"]
            (victim,) = [process for process in workers if process.pid == pid]
            victim.send_signal(signal.SIGKILL)
            killed.append(pid)
            return
        time.sleep(0.01)


@pytest.mark.slow
def test_worker_processes_of_a_dask_scheduler_judge_as_one_process_and_a_killed_workers_shard_is_redone(
    tiny_model_dir, tmp_path, monkeypatch
):
    """A scheduler and two workers started by `dask scheduler` / `dask worker` as separate processes,
    ``judge.dask_address`` pointing at the scheduler. One worker is killed with SIGKILL while it judges its
    first shard (it waits 2 s before judging it): Dask gives the lost shard to the other worker, and the
    stage writes every judgment once, equal to one process's. About 15 s on two busy cores."""
    from components.stages import judge as stage

    params = stage_params()
    workspace(tmp_path / "one", tiny_model_dir, monkeypatch)
    stage.run(params, NullTracker())
    expected = outputs()

    cluster = tmp_path / "cluster"
    cluster.mkdir()
    with dask_processes(cluster, workers=2, delay_s=2.0) as (address, workers):
        sharded = params.model_copy(
            update={"judge": params.judge.model_copy(update={"dask_workers": 2, "dask_address": address})}
        )
        workspace(tmp_path / "sharded", tiny_model_dir, monkeypatch)
        killed: list[int] = []
        watcher = threading.Thread(
            target=kill_the_first_to_start_a_shard, args=(cluster / "shards.jsonl", workers, killed), daemon=True
        )
        watcher.start()
        found = stage.run(sharded, NullTracker())
        watcher.join(timeout=5)
        alive = [process.poll() is None for process in workers]

    assert len(killed) == 1 and alive.count(True) == 1, "one worker was killed while judging, one lived"
    assert_same(outputs(), expected)  # judgment by judgment, in order: none lost, none doubled
    assert all(found[f"{name}.judgments"] == 8 for name in PIPELINE_JUDGES)
    started = [json.loads(line) for line in (cluster / "shards.jsonl").read_text().splitlines()]
    lost = started[0]
    assert lost["pid"] == killed[0]
    redone_by = {row["pid"] for row in started[1:] if (row["judge"], row["items"]) == (lost["judge"], lost["items"])}
    assert redone_by and killed[0] not in redone_by, "the killed worker's shard was judged again, by the other one"
