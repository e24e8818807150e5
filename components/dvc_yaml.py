"""dvc.yaml, rendered from the stages' declarations (``STAGE`` in components/stages/<name>.py).

The file is generated so that what DVC reruns on and what a stage reads cannot drift apart: edit a
declaration, then ``judgeops dvc-yaml --write``; ``--check`` (and a test) fails on any difference.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable
from pathlib import Path

import yaml

from components.stages.contract import Out, Stage

DVC_YAML = Path("dvc.yaml")

HEADER = """\
# One stage per concern. Each lists only the params it reads, so a change reruns only what it
# touches; stages hand data on only through declared outs.
# Generated from each stage's STAGE declaration (components/stages/<name>.py): edit those, then run
# `judgeops dvc-yaml --write`.
"""


class _Dumper(yaml.SafeDumper):
    """Lists indented under their key, as dvc.yaml is usually written."""

    def increase_indent(self, flow: bool = False, indentless: bool = False):
        return super().increase_indent(flow, False)


def render(stages: Iterable[Stage]) -> str:
    """The whole file: the header, then one block per stage, a blank line between them."""
    blocks = [yaml.dump({stage.name: entry(stage)}, Dumper=_Dumper, sort_keys=False, width=120) for stage in stages]
    return HEADER + "stages:\n" + "\n".join(textwrap.indent(block, "  ") for block in blocks)


def entry(stage: Stage) -> dict:
    found = {
        "desc": stage.help,
        "cmd": f"judgeops {stage.command}",
        "deps": list(stage.all_deps),
        "params": list(stage.params),
    }
    for field, outs in (("outs", stage.outs), ("metrics", stage.all_metrics), ("plots", stage.plots)):
        if outs:
            found[field] = [_out(out) for out in outs]
    return found


def _out(out: Out) -> str | dict:
    options = out.options()
    return {out.path: options} if options else out.path
