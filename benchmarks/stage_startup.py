"""Start-up cost per stage, and a no-op ``dvc repro``, on the tiny profile in a fresh clone.

Each stage runs as DVC runs it (``judgeops <stage>``, a new process) on the tiny profile, whose work
takes about a second; the stage's own ``wall_seconds`` (metrics/<stage>.json, timed inside the MLflow
run) subtracted from the process's wall time is what the stage paid before and after its work:
interpreter start, imports, params, opening and closing the MLflow run. Then ``dvc commit`` records
the outputs and ``dvc repro`` is timed with nothing to do.

    .venv/bin/python benchmarks/stage_startup.py            # HEAD of this repository, in a temp clone
    .venv/bin/python benchmarks/stage_startup.py --repeats 5

The clone is of the committed HEAD (uncommitted changes are not measured). Run it on an idle machine.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import REPO  # noqa: E402
from components.sandbox import BIN, project_env  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="timings of the CLI and of the no-op repro")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="judgeops-startup-") as scratch:
        root = Path(scratch) / "project"
        env = project_env(root)
        _run(["git", "clone", "--quiet", str(REPO), str(root)], Path(scratch), env)
        _run([str(BIN / "judgeops"), "profile", "tiny"], root, env)
        cli = [_timed([str(BIN / "judgeops"), "--version"], root, env) for _ in range(args.repeats)]
        rows = []
        for stage, command in _stages(root, env):
            wall = _timed([str(BIN / "judgeops"), command], root, env)
            inside = json.loads((root / "metrics" / f"{stage}.json").read_text())["wall_seconds"]
            rows.append((stage, wall, inside))
            print(
                f"{stage:12s} process {wall:6.2f} s   stage {inside:6.2f} s   start-up {wall - inside:5.2f} s",
                flush=True,
            )
        _run([str(BIN / "dvc"), "commit", "--force", "--quiet"], root, env)
        noop = [_timed([str(BIN / "dvc"), "repro"], root, env) for _ in range(args.repeats)]
    print()
    print("| what | seconds |")
    print("|---|---|")
    print(f"| `judgeops --version` (CLI start-up), median of {args.repeats} | {statistics.median(cli):.2f} |")
    for stage, wall, inside in rows:
        print(f"| {stage}: process {wall:.2f}, stage {inside:.2f} | start-up **{wall - inside:.2f}** |")
    total = sum(wall - inside for _, wall, inside in rows)
    print(f"| start-up of all {len(rows)} stages | **{total:.2f}** |")
    print(f"| no-op `dvc repro`, median of {args.repeats} | **{statistics.median(noop):.2f}** |")


def _stages(root: Path, env: dict) -> list[tuple[str, str]]:
    """(name, CLI command) of each stage in dvc.yaml's order, which is the pipeline's order."""
    code = "from components.stages.registry import STAGES; print(*(f'{s.name}:{s.command}' for s in STAGES.values()))"
    listed = _run([sys.executable, "-c", code], root, env)
    return [tuple(entry.split(":")) for entry in listed.stdout.split()]


def _timed(command: list[str], root: Path, env: dict) -> float:
    started = time.perf_counter()
    _run(command, root, env)
    return time.perf_counter() - started


def _run(command: list[str], cwd: Path, env: dict) -> subprocess.CompletedProcess:
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return done


if __name__ == "__main__":
    main()
