"""Reading and writing records: JSONL and JSON, atomic writes, append-with-fsync, rejects.

Every error names the file, the line and the field, so a user can fix the input; with
``on_error="skip"`` the bad records go to a rejects file with the reason and the rest goes on.

Whatever we write reads back whole. JSON is written as UTF-8 text (readable, ``ensure_ascii`` off)
with two kinds of character written as JSON ``\\u`` escapes, which read back as the same characters:
those other readers take for line breaks (U+0085, U+2028, U+2029; JSON escapes the ASCII ones, such
as ``\\r``, already), and lone surrogates, which UTF-8 cannot hold at all -- escaped, not refused, so
no record is lost for one odd character. (As in any JSON, a high surrogate followed by a low one reads
back as the one character the two encode.) Plain text (``write_text``: reports) writes a lone
surrogate as the visible text ``\\udXXX``. Reading splits lines at "\\n" only, decodes each line on its
own (a line that is not UTF-8 is that line's error, not the file's) and skips a leading UTF-8 BOM; a
last line without its newline that does not parse is marked ``torn``: a write cut off mid-record, which
``Appender`` cuts off and caches skip.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import sys
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Generic, Literal, TypeVar

from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")
OnError = Literal["raise", "skip"]
BOM = b"\xef\xbb\xbf"
_ESCAPED = re.compile("[\u0085\u2028\u2029\ud800-\udfff]")
"""Written as \\u escapes: characters other readers split lines at, and lone surrogates (not UTF-8)."""
log = logging.getLogger(__name__)


class RecordError(ValueError):
    """A record that does not fit its schema: names the file, the line and the field."""

    def __init__(self, path: Path | str, line: int, field_name: str, reason: str):
        self.path, self.line, self.field, self.reason = str(path), line, field_name, reason
        super().__init__(f"{path}:{line}: field '{field_name}': {reason}")


class InputError(ValueError):
    """A whole input that holds nothing to use (empty, or not the shape the reader expects): names the file."""


class LineError(ValueError):
    """A line that is not a JSON value (not UTF-8, or not JSON). ``torn``: it is the file's last line and
    has no newline, so a write may have been cut off there."""

    def __init__(self, reason: str, torn: bool = False):
        self.torn = torn
        super().__init__(f"{reason} (an unfinished last line)" if torn else reason)


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


def file_md5(path: Path | str) -> str:
    """The same content hash DVC records for a file output."""
    digest = hashlib.md5()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_jsonl(path: Path | str, records: Iterable[BaseModel | dict]) -> int:
    count = 0
    with atomic_path(path) as handle:
        for record in records:
            handle.write(_dumps(record) + "\n")
            count += 1
    return count


def write_json(path: Path | str, payload, indent: int = 2) -> None:
    with atomic_path(path) as handle:
        handle.write(dumps(payload, indent=indent, default=str) + "\n")


def write_text(path: Path | str, text: str) -> None:
    """``text`` as UTF-8; a lone surrogate (which UTF-8 cannot hold) is written as the text ``\\udXXX``."""
    with atomic_path(path) as handle:
        handle.write(text.encode("utf-8", "backslashreplace").decode("utf-8"))


def dumps(payload, indent: int | None = None, default=None) -> str:
    """JSON that reads back whole (see the module's docstring): keys sorted, non-ASCII kept readable,
    line-break characters and lone surrogates escaped."""
    text = json.dumps(payload, indent=indent, sort_keys=True, ensure_ascii=False, default=default)
    return _ESCAPED.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


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


def iter_json_lines(path: Path | str, expect_array: bool = False) -> Iterator[tuple[int, object]]:
    """(line number, parsed value or its ``LineError``) for each non-blank line; also accepts a file
    holding one JSON array, whose elements are numbered from 1. With ``expect_array`` a file holding
    one JSON object (where a list of records belongs) raises InputError naming the file."""
    path = Path(path)
    data = path.read_bytes()
    data = data[len(BOM) :] if data.startswith(BOM) else data
    if data.lstrip().startswith(b"["):
        yield from _array_items(data)
        return
    if expect_array:
        _refuse_object(path, data)
    lines = data.split(b"\n")
    for number, raw in enumerate(lines, start=1):
        if raw.strip():
            yield number, _line_value(raw, torn=number == len(lines))


def nonempty(rows: Iterable[T], source: Path | str) -> Iterator[T]:
    """``rows`` as they come; an input that has none raises InputError naming ``source``: importing
    nothing is a mistake to report, not a result."""
    empty = True
    for row in rows:
        empty = False
        yield row
    if empty:
        raise InputError(f"{source}: no records to import: it is empty")


def as_object(path: Path | str, line: int, value: object) -> dict:
    """``value`` (from ``iter_json_lines``) as a JSON object, or a RecordError naming the line."""
    if isinstance(value, Exception):
        raise RecordError(path, line, "<json>", str(value))
    if not isinstance(value, dict):
        raise RecordError(path, line, "<record>", f"expected a JSON object, got {type(value).__name__}")
    return value


def _line_value(raw: bytes, torn: bool) -> object:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return LineError(f"not valid UTF-8: {exc.reason} at byte {exc.start + 1} of the line", torn)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        return LineError(f"not valid JSON: {exc}", torn)
    except RecursionError:
        return LineError(f"nested too deeply to read (over about {sys.getrecursionlimit()} levels)", torn)


def _array_items(data: bytes) -> Iterator[tuple[int, object]]:
    try:
        items = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        yield data.count(b"\n", 0, exc.start) + 1, LineError(f"not valid UTF-8: {exc.reason}")
        return
    except json.JSONDecodeError as exc:
        yield exc.lineno, LineError(f"not valid JSON: {exc}")
        return
    except RecursionError:
        yield 1, LineError(f"nested too deeply to read (over about {sys.getrecursionlimit()} levels)")
        return
    yield from enumerate(items, start=1)


def _refuse_object(path: Path, data: bytes) -> None:
    try:
        value = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        return  # JSON Lines, or broken: each line says what is wrong with it
    if isinstance(value, dict):
        keys = ", ".join(sorted(value)[:8]) + (", ..." if len(value) > 8 else "")
        raise InputError(f"{path}: expected a JSON array of records, found an object (keys: {keys or 'none'})")


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
    obj = as_object(path, line, obj)
    try:
        return model.model_validate(obj)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "<record>"
        raise RecordError(path, line, where, first["msg"]) from None


def _dumps(record: BaseModel | dict) -> str:
    return dumps(record.model_dump(mode="json") if isinstance(record, BaseModel) else record)


def _drop_torn_tail(path: Path) -> None:
    """Cut off a last line that lacks its newline and does not parse (a write cut off mid-record); one
    that does parse was whole but for the newline, which is added instead."""
    if not path.exists() or path.stat().st_size == 0:
        return
    with open(path, "rb+") as handle:
        data = handle.read()
        if data.endswith(b"\n"):
            return
        start = data.rfind(b"\n") + 1
        if isinstance(_line_value(data[start:], torn=True), LineError):
            handle.truncate(start)
        else:
            handle.write(b"\n")
