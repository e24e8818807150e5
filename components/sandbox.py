"""The environment for running a copy of the project as a user would, with all its state inside the copy.

The MLflow store, Prefect's home and DVC's site cache go under the copy's root, and the copy's code comes
first on the import path (an editable install points at the original checkout). The end-to-end tests and
benchmarks/stage_startup.py run their copies under it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

BIN = Path(sys.executable).parent  # the running environment's scripts: judgeops, dvc, prefect


def project_env(root: Path) -> dict:
    return {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
        "MLFLOW_TRACKING_URI": f"sqlite:///{root / 'mlflow.db'}",
        "PREFECT_HOME": str(root / ".state" / "prefect"),
        "DVC_SITE_CACHE_DIR": str(root / ".state" / "dvc-site"),
        "DVC_NO_ANALYTICS": "1",
        "HF_HUB_OFFLINE": "1",
        "JUDGEOPS_LOG": "WARNING",
        "PYTHONPATH": str(root),
    }
