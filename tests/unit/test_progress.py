"""Progress off a terminal is a log line at most every few seconds with count, rate and ETA, and one at
the end; on a terminal it is tqdm's bar and no lines. A fake clock stands in for time."""

from __future__ import annotations

import logging

import pytest

from components.progress import Progress, duration, track


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def lines(caplog):
    caplog.set_level(logging.INFO, logger="components.progress")
    return lambda: [r.getMessage() for r in caplog.records if r.name == "components.progress"]


def test_a_line_at_most_every_period_with_rate_and_eta(lines):
    clock = Clock()
    with Progress("judge finetuned", total=100, unit="prompts", every=10, tty=False, clock=clock) as bar:
        for _ in range(50):  # 2 prompts a second for 25 s
            clock.now += 0.5
            bar.update()
    assert lines() == [
        "judge finetuned: 20/100 prompts (20%), 2 prompts/s, 10 s elapsed, ETA 40 s",
        "judge finetuned: 40/100 prompts (40%), 2 prompts/s, 20 s elapsed, ETA 30 s",
        "judge finetuned: 50/100 prompts (50%), 2 prompts/s, 25 s elapsed, stopped",
    ]


def test_the_rate_counts_only_this_run_and_the_postfix_follows(lines):
    clock = Clock()
    bar = Progress("finetune", total=900, unit="steps", initial=600, every=30, tty=False, clock=clock)
    clock.now += 60
    bar.set_postfix("loss 0.412")
    bar.update(30)
    bar.update(270)
    bar.close()
    bar.close()
    assert lines() == [
        "finetune: 630/900 steps (70%), 0.5 steps/s, 1 min 00 s elapsed, ETA 9 min 00 s, loss 0.412",
        "finetune: 900/900 steps (100%), 5 steps/s, 1 min 00 s elapsed, done, loss 0.412",
    ]


def test_track_counts_rows_of_batches_and_says_nothing_without_a_name(lines):
    clock = Clock()
    batches = [[1, 2, 3], [4, 5, 6], [7]]

    def slow(items):
        for item in items:
            clock.now += 6
            yield item

    assert list(track(slow(batches), "answers", total=7, unit="rows", count=len, every=5, tty=False, clock=clock))
    assert lines()[0] == "answers: 3/7 rows (43%), 0.5 rows/s, 6 s elapsed, ETA 8 s"
    assert lines()[-1].endswith("done")
    before = len(lines())
    assert list(track(slow(batches), None, tty=False, clock=clock)) == batches
    assert len(lines()) == before


def test_an_unknown_total_has_no_eta(lines):
    clock = Clock()
    with Progress("requests", every=1, tty=False, clock=clock) as bar:
        clock.now += 4
        bar.update(8)
    assert lines()[0] == "requests: 8 it, 2 it/s, 4 s elapsed"


def test_on_a_terminal_the_bar_draws_and_no_line_is_logged(lines, capsys):
    clock = Clock()
    with Progress("judge", total=4, every=0, tty=True, clock=clock) as bar:
        bar.update(4)
    assert lines() == []
    assert "judge" in capsys.readouterr().err


def test_durations_read_at_a_glance():
    assert [duration(s) for s in (0.4, 59, 65, 3599, 7620)] == [
        "0 s",
        "59 s",
        "1 min 05 s",
        "59 min 59 s",
        "2 h 07 min",
    ]


def test_a_line_per_item_is_not_repeated_at_the_end(lines):
    clock = Clock()
    with Progress("audit x", total=2, unit="probes", every=0, tty=False, clock=clock) as bar:
        for probe in ("position", "format"):
            clock.now += 2
            bar.set_postfix(f"{probe}: ok")
            bar.update()
    assert lines() == [
        "audit x: 1/2 probes (50%), 0.5 probes/s, 2 s elapsed, ETA 2 s, position: ok",
        "audit x: 2/2 probes (100%), 0.5 probes/s, 4 s elapsed, done, format: ok",
    ]
