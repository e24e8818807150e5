"""Progress that survives logs. On a terminal, a tqdm bar; anywhere else (``dvc repro``'s output, a
Prefect flow's log, a CI log) a bar redrawn with ``\\r`` arrives as one garbled line at the end, so
instead a plain log line at most every ``every`` seconds -- count, rate, ETA -- and one when the work
ends.

    for batch in track(batches, "judge finetuned", total=len(prompts), unit="prompts", count=len): ...
    with Progress("finetune", total=steps, unit="steps") as bar: bar.update(1); bar.set_postfix("loss 0.41")
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")

# Seconds between two lines when stderr is not a terminal; JUDGEOPS_PROGRESS_SECONDS overrides it.
EVERY_S = 10.0


class Progress:
    """Counts work done toward ``total`` (None: unknown). ``tty`` (default: whether stderr is one) picks
    the bar or the lines; ``clock`` is for tests."""

    def __init__(
        self,
        desc: str,
        total: int | None = None,
        *,
        unit: str = "it",
        initial: int = 0,
        every: float | None = None,
        disable: bool = False,
        tty: bool | None = None,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.desc, self.total, self.unit, self.done = desc, total, unit, initial
        self.every = every if every is not None else float(os.environ.get("JUDGEOPS_PROGRESS_SECONDS", EVERY_S))
        self.disable, self.clock = disable, clock
        self.postfix = ""
        self._start = self._last = clock()
        self._initial = initial
        self._closed = False
        self._logged: int | None = None  # the count the last line reported
        self._bar = None
        if not disable and (sys.stderr.isatty() if tty is None else tty):
            from tqdm.auto import tqdm

            self._bar = tqdm(total=total, initial=initial, desc=desc, unit=unit, leave=False)

    def update(self, n: int = 1) -> None:
        self.done += n
        if self._bar is not None:
            self._bar.update(n)
        elif not self.disable and self.clock() - self._last >= self.every:
            self._log()

    def set_postfix(self, text: str) -> None:
        """A short note on the current state (a loss, the current item), shown with the count."""
        self.postfix = text
        if self._bar is not None:
            self._bar.set_postfix_str(text)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._bar is not None:
            self._bar.close()
        elif not self.disable and self.done != self._logged:  # unless the last line said it all
            self._log(final=True)

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def line(self, final: bool = False) -> str:
        """What a log line says: count (and share of the total), rate, elapsed time, then the ETA (or, at
        the end, done or stopped short of the total)."""
        now = self.clock()
        elapsed = now - self._start
        rate = (self.done - self._initial) / elapsed if elapsed > 0 else 0.0
        count = f"{self.done}/{self.total} {self.unit}" if self.total else f"{self.done} {self.unit}"
        if self.total:
            count += f" ({self.done / self.total:.0%})"
        parts = [f"{self.desc}: {count}", f"{rate:.3g} {self.unit}/s", f"{duration(elapsed)} elapsed"]
        if (self.total and self.done >= self.total) or (final and not self.total):
            parts.append("done")
        elif final:
            parts.append("stopped")
        elif self.total and rate > 0:
            parts.append(f"ETA {duration((self.total - self.done) / rate)}")
        if self.postfix:
            parts.append(self.postfix)
        return ", ".join(parts)

    def _log(self, final: bool = False) -> None:
        self._last, self._logged = self.clock(), self.done
        log.info(self.line(final))


def track(
    items: Iterable[T],
    desc: str | None,
    total: int | None = None,
    *,
    unit: str = "it",
    count: Callable[[T], int] | None = None,
    **options,
) -> Iterator[T]:
    """Yield ``items``, counting each (or ``count(item)`` of ``unit``: a batch's rows); no progress
    at all when ``desc`` is None. ``total`` defaults to ``len(items)`` when it has one."""
    if total is None and count is None and hasattr(items, "__len__"):
        total = len(items)
    with Progress(desc or "", total, unit=unit, disable=desc is None, **options) as bar:
        for item in items:
            yield item
            bar.update(count(item) if count else 1)


def duration(seconds: float) -> str:
    """``42 s``, ``3 min 05 s``, ``2 h 07 min``: short enough for a log line."""
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"
