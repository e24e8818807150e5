"""The Dask workers sharded judging runs on, as ``judge.dask_workers`` and ``judge.dask_address`` say.

JudgeLM's speed came from data parallelism (one model per device); this is the same idea for a
cluster. Workers on other machines must have the project importable and see the model folders at the
same absolute paths.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from components.config import JudgeParams


@contextmanager
def dask_client(cfg: JudgeParams) -> Iterator[object | None]:
    """A distributed.Client on the scheduler at ``cfg.dask_address``, or on a local cluster of
    ``cfg.dask_workers`` single-threaded worker processes whose torch threads share the cores; None when
    ``dask_workers`` is 0 (config refuses an address without workers), and judging stays in this process."""
    if cfg.dask_workers == 0:
        yield None
        return
    from distributed import Client, LocalCluster  # only when judging is sharded

    if cfg.dask_address:
        with Client(cfg.dask_address) as client:
            yield client
        return
    threads = str(max(1, (os.cpu_count() or 1) // cfg.dask_workers))
    cluster = LocalCluster(
        n_workers=cfg.dask_workers,
        processes=True,
        threads_per_worker=1,
        dashboard_address=None,
        env={"OMP_NUM_THREADS": threads},
    )
    with cluster, Client(cluster) as client:
        yield client
