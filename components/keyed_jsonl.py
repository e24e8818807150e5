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
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Generic, TypeVar

from components.io import Appender, iter_json_lines

T = TypeVar("T")


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
        for _, row in iter_json_lines(self.path):
            if not (isinstance(row, dict) and isinstance(row.get("key"), str)):
                continue
            try:
                found[row["key"]] = self._decode({k: v for k, v in row.items() if k != "key"})
            except (ValueError, TypeError, KeyError):  # pydantic's ValidationError is a ValueError
                continue
        return found
