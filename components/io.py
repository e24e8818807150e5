"""Reading and writing records: JSONL and JSON, atomic writes, append-with-fsync, rejects.

Every error names the file, the line and the field, so a user can fix the input; with
``on_error="skip"`` the bad records go to a rejects file with the reason and the rest goes on.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Generic, Literal, TypeVar

from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)
OnError = Literal["raise", "skip"]


class RecordError(ValueError):
    """A record that does not fit its schema: names the file, the line and the field."""

    def __init__(self, path: Path | str, line: int, field_name: str, reason: str):
        self.path, self.line, self.field, self.reason = str(path), line, field_name, reason
        super().__init__(f"{path}:{line}: field '{field_name}': {reason}")


@dataclass
class Loaded(Generic[M]):
    records: list[M] = field(default_factory=list)
    rejects: list[dict] = field(default_factory=list)


@contextmanager
def atomic_path(path: Path | str, mode: str = "w"):
    """Yield a file handle whose content replaces ``path`` only if the block finishes."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, mode, encoding=None if "b" in mode else "utf-8") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_jsonl(path: Path | str, records: Iterable[BaseModel | dict]) -> int:
    count = 0
    with atomic_path(path) as handle:
        for record in records:
            handle.write(_dumps(record) + "\n")
            count += 1
    return count


def write_json(path: Path | str, payload, indent: int = 2) -> None:
    with atomic_path(path) as handle:
        json.dump(payload, handle, indent=indent, sort_keys=True, ensure_ascii=False, default=str)
        handle.write("\n")


def write_text(path: Path | str, text: str) -> None:
    with atomic_path(path) as handle:
        handle.write(text)


class Appender:
    """Appends one JSON line per record and fsyncs it, so a killed run keeps every finished
    record. A torn last line (the process died mid-write) is cut off when the file is reopened."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        _drop_torn_tail(self.path)
        self._handle = open(self.path, "a", encoding="utf-8")

    def append(self, record: BaseModel | dict) -> None:
        self._handle.write(_dumps(record) + "\n")
        self._handle.flush()
        os.fsync(self._handle.fileno())

    def close(self) -> None:
        self._handle.close()

    def __enter__(self) -> Appender:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def iter_json_lines(path: Path | str) -> Iterator[tuple[int, dict | Exception]]:
    """(line number, parsed object or the error) for each non-blank line; also accepts a
    file holding one JSON array, whose elements are numbered from 1."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    if text.lstrip().startswith("["):
        try:
            items = json.loads(text)
        except json.JSONDecodeError as exc:
            yield exc.lineno, exc
            return
        yield from enumerate(items, start=1)
        return
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, exc


def read_records(
    path: Path | str,
    model: type[M],
    on_error: OnError = "raise",
    unique: str | None = "id",
) -> Loaded[M]:
    """Parse every line of ``path`` into ``model``. Bad lines raise RecordError, or with
    ``on_error="skip"`` are kept in ``rejects`` (line, field, reason, raw record)."""
    loaded: Loaded[M] = Loaded()
    seen: set[str] = set()
    for line, obj in iter_json_lines(path):
        try:
            record = _parse(path, line, obj, model)
            key = getattr(record, unique) if unique else None
            if key is not None and key in seen:
                raise RecordError(path, line, unique, f"duplicate id {key!r}")
            if key is not None:
                seen.add(key)
            loaded.records.append(record)
        except RecordError as exc:
            if on_error == "raise":
                raise
            raw = obj if isinstance(obj, dict) else None
            loaded.rejects.append(
                {"file": str(path), "line": exc.line, "field": exc.field, "reason": exc.reason, "record": raw}
            )
    return loaded


def read_jsonl(path: Path | str, model: type[M]) -> list[M]:
    """Strict read of a file the pipeline wrote itself."""
    return read_records(path, model, unique=None).records


def _parse(path, line: int, obj, model: type[M]) -> M:
    if isinstance(obj, Exception):
        raise RecordError(path, line, "<json>", f"not valid JSON: {obj}")
    if not isinstance(obj, dict):
        raise RecordError(path, line, "<record>", f"expected a JSON object, got {type(obj).__name__}")
    try:
        return model.model_validate(obj)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "<record>"
        raise RecordError(path, line, where, first["msg"]) from None


def _dumps(record: BaseModel | dict) -> str:
    payload = record.model_dump(mode="json") if isinstance(record, BaseModel) else record
    return json.dumps(payload, ensure_ascii=False, sort_keys=True)


def _drop_torn_tail(path: Path) -> None:
    if not path.exists() or path.stat().st_size == 0:
        return
    with open(path, "rb+") as handle:
        data = handle.read()
        if data.endswith(b"\n"):
            return
        handle.truncate(data.rfind(b"\n") + 1)
