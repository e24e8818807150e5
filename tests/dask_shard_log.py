"""A Dask worker preload for tests (``dask worker --preload tests.dask_shard_log``): the worker appends
every shard it starts to the file ``$JUDGEOPS_SHARD_LOG`` (its pid, the judge, the shard's items) and
waits ``$JUDGEOPS_SHARD_DELAY`` seconds before judging its first shard, so a test can kill it mid-shard.

The judge stage sends ``components.judges.shards.judge_shard`` by reference: a worker that replaced
that name runs the replacement, and the stage's process is unchanged.
"""

from __future__ import annotations

import functools
import json
import os
import time

from components.judges import shards

_judge_shard = shards.judge_shard
_waited: list[bool] = []


@functools.wraps(_judge_shard)
def judge_shard(judge, items, *rest):
    with open(os.environ["JUDGEOPS_SHARD_LOG"], "a") as log:
        row = {"pid": os.getpid(), "judge": judge.name, "items": [[item.pair.id, item.order] for item in items]}
        log.write(json.dumps(row) + "\n")
    if not _waited:
        _waited.append(True)
        time.sleep(float(os.environ.get("JUDGEOPS_SHARD_DELAY", "0")))
    return _judge_shard(judge, items, *rest)


shards.judge_shard = judge_shard
