"""Run ``judgeops`` in-process the way its console script does (``main``: expected errors print one line
and exit 1), capturing the exit code and both streams."""

from __future__ import annotations

import sys

import pytest

from components.cli import main


def judgeops(args: list[str], monkeypatch, capsys) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["judgeops", *args])
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # typer installs its own
    with pytest.raises(SystemExit) as done:
        main()
    captured = capsys.readouterr()
    return done.value.code, captured.out, captured.err
