"""The one on-disk cache of the project: records by key in a JSONL file.

Both caches of judge answers use it -- ``judges.cache.judge_cached`` (the pipeline's judge stage and every
audit) and ``LLMClient``'s response cache -- so both resume the same way: a record is appended and fsynced
as soon as it exists, a torn last line (a killed run) is cut off when the file is reopened, and a line that
is not a record of this cache (foreign, off-schema, an older layout) is skipped, never trusted. What goes
into a key is the caller's business: ``digest`` hashes whatever decides the answer, and a caller that
leaves something out of its key is the bug this module cannot see.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Generic, TypeVar

from pydantic import ValidationError

from components.io import Appender, LineError, RecordError, as_object, iter_json_lines

T = TypeVar("T")
log = logging.getLogger(__name__)
WARNINGS = 3  # skipped lines named one by one; the rest are counted


def digest(payload) -> str:
    """A stable hash of any JSON-able value (dict key order does not matter)."""
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class KeyedJsonl(Generic[T]):
    """Values by key, loaded from ``path`` and appended to it (``path`` None: in memory only, for this run).
    ``decode`` turns a stored line (without its key) into a value, raising for a line that is not one;
    such lines are skipped. Thread-safe."""

    def __init__(self, path: Path | str | None, decode: Callable[[dict], T]):
        self.path = Path(path) if path is not None else None
        self._decode = decode
        self._lock = threading.Lock()
        self._appender: Appender | None = None
        self._values = self._load()

    def get(self, key: str) -> T | None:
        with self._lock:
            return self._values.get(key)

    def __contains__(self, key: str) -> bool:
        with self._lock:
            return key in self._values

    def __len__(self) -> int:
        with self._lock:
            return len(self._values)

    def put(self, key: str, record: dict) -> T:
        """Append ``{"key": key, **record}`` (fsynced) and return its value. The file is created on the
        first put, so a run served wholly from the cache writes nothing."""
        value = self._decode(record)
        with self._lock:
            if self.path is not None:
                if self._appender is None:
                    self._appender = Appender(self.path)
                self._appender.append({"key": key, **record})
            self._values[key] = value
        return value

    def close(self) -> None:
        with self._lock:
            if self._appender is not None:
                self._appender.close()
                self._appender = None

    def __enter__(self) -> KeyedJsonl[T]:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _load(self) -> dict[str, T]:
        if self.path is None or not self.path.exists():
            return {}
        found: dict[str, T] = {}
        skipped: list[RecordError] = []
        for line, row in iter_json_lines(self.path):
            if isinstance(row, LineError) and row.torn:
                continue  # a killed run's last write: Appender cuts it off when it reopens the file
            try:
                key, value = self._record(line, row)
            except RecordError as error:
                skipped.append(error)
                continue
            found[key] = value
        for error in skipped[:WARNINGS]:
            log.warning("cache line skipped, its work is redone: %s", error)
        if len(skipped) > WARNINGS:
            log.warning("%s: %d more cache lines skipped", self.path, len(skipped) - WARNINGS)
        return found

    def _record(self, line: int, row) -> tuple[str, T]:
        """(key, value) of one stored line, or a RecordError naming the line and field."""
        obj = as_object(self.path, line, row)
        key = obj.get("key")
        if not isinstance(key, str):
            raise RecordError(self.path, line, "key", "missing or not a string")
        try:
            return key, self._decode({k: v for k, v in obj.items() if k != "key"})
        except ValidationError as exc:
            first = exc.errors()[0]
            raise RecordError(self.path, line, ".".join(map(str, first["loc"])) or "<record>", first["msg"]) from None
        except (ValueError, TypeError, KeyError) as exc:
            raise RecordError(self.path, line, "<record>", str(exc)) from None
