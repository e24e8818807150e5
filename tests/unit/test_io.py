import json
import random

import pytest

from components.io import (
    Appender,
    RecordError,
    atomic_path,
    iter_json_lines,
    read_jsonl,
    read_records,
    write_json,
    write_jsonl,
    write_text,
)
from components.schemas import Answer, Pair
from tests.factories import make_pair


def test_bad_records_name_file_line_and_field(tmp_path):
    path = tmp_path / "answers.jsonl"
    path.write_text(
        '{"id": "a", "question_id": "q", "source": "s", "text": "fine"}\n'
        '{"id": "b", "question_id": "q", "source": "", "text": "blank source"}\n'
    )
    with pytest.raises(RecordError) as error:
        read_records(path, Answer)
    assert str(error.value).startswith(f"{path}:2: field 'source'")


def test_skip_mode_keeps_good_records_and_rejects_bad_ones_with_reasons(tmp_path):
    path = tmp_path / "answers.jsonl"
    path.write_text(
        '{"id": "a", "question_id": "q", "source": "s", "text": "one"}\n'
        "{not json\n"
        '{"id": "a", "question_id": "q", "source": "s", "text": "dup"}\n'
        '{"id": "c", "question_id": "q", "source": "s", "text": 5}\n'
        '["a list"]\n'
        '{"id": "d", "question_id": "q", "source": "s", "text": "two", "extra": 1}\n'
        '{"id": "e", "question_id": "q", "source": "s", "text": "three"}\n'
    )
    loaded = read_records(path, Answer, on_error="skip")
    assert [r.id for r in loaded.records] == ["a", "e"]
    assert [(r["line"], r["field"]) for r in loaded.rejects] == [
        (2, "<json>"),
        (3, "id"),
        (4, "text"),
        (5, "<record>"),
        (6, "extra"),
    ]
    assert "duplicate id 'a'" in loaded.rejects[1]["reason"]


def test_a_json_array_file_is_read_too(tmp_path):
    path = tmp_path / "answers.json"
    path.write_text(json.dumps([{"id": "a", "question_id": "q", "source": "s", "text": "x"}]))
    assert read_records(path, Answer).records[0].id == "a"


def test_an_interrupted_atomic_write_leaves_the_old_file(tmp_path):
    path = tmp_path / "out.jsonl"
    write_jsonl(path, [{"n": 1}])
    with pytest.raises(RuntimeError):
        with atomic_path(path) as handle:
            handle.write('{"n": 2}\n')
            raise RuntimeError("killed")
    assert path.read_text() == '{"n": 1}\n'
    assert list(tmp_path.iterdir()) == [path]


def test_appender_drops_a_torn_last_line_on_reopen(tmp_path):
    path = tmp_path / "log.jsonl"
    path.write_text('{"n": 1}\n{"n": 2')
    with Appender(path) as out:
        out.append({"n": 3})
    assert [json.loads(line)["n"] for line in path.read_text().splitlines()] == [1, 3]


# Characters that break naive readers: line separators other than "\n" (str.splitlines and text-mode
# universal newlines split at them), control characters, a BOM inside text, astral and CJK characters,
# JSON's own escapes, and lone surrogates (not UTF-8 at all: written as \u escapes, see components.io).
NASTY = ["\u2028", "\u2029", "\x85", "\r", "\r\n", "\n", "\x00", "\x1c", "\x0b", "\x0c", "\ufeff", "\ud800", "\udfff"]
NASTY += ["\udbff", "😀", "中文", '"', "\\", "\\u2028", "é", "a", " ", "{", "]"]


def nasty_strings(count: int = 300, seed: int = 0) -> list[str]:
    """Every nasty piece alone, then random concatenations of them (a seeded property test)."""
    rng = random.Random(seed)
    return NASTY + ["".join(rng.choices(NASTY, k=rng.randint(0, 8))) for _ in range(count)]


def as_json_reads_it(text: str) -> str:
    """JSON's \\u escapes are UTF-16: a high surrogate followed by a low one reads back as the character
    the two encode (as in every JSON reader); lone ones read back as themselves."""
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")


def write_with_appender(path, records):
    with Appender(path) as out:
        for record in records:
            out.append(record)


@pytest.mark.parametrize("writer", [write_jsonl, write_with_appender, write_json])
def test_every_writer_reads_back_whole_whatever_the_text_holds(tmp_path, writer):
    texts = nasty_strings()
    records = [{"id": f"r{i}", "text": text, "key " + text: [text]} for i, text in enumerate(texts)]
    path = tmp_path / "nasty.jsonl"
    writer(path, records)
    data = path.read_bytes()
    expected = [
        {"id": f"r{i}", "text": as_json_reads_it(t), "key " + as_json_reads_it(t): [as_json_reads_it(t)]}
        for i, t in enumerate(texts)
    ]
    assert [value for _, value in iter_json_lines(path)] == expected
    text = data.decode("utf-8")  # strict: every byte is UTF-8
    if writer is not write_json:
        assert len(text.splitlines()) == data.count(b"\n") == len(records), (
            "even a splitlines reader sees one line a record"
        )


def test_pairs_with_nasty_text_read_back_through_their_schema(tmp_path):
    pairs = [make_pair(id=f"p{i}", answer1="x" + text, reason=text) for i, text in enumerate(nasty_strings(50))]
    path = tmp_path / "pairs.jsonl"
    write_jsonl(path, pairs)
    back = read_jsonl(path, Pair)
    assert [(p.answer1, p.reason) for p in back] == [
        (as_json_reads_it(p.answer1), as_json_reads_it(p.reason)) for p in pairs
    ]


def test_write_text_writes_a_lone_surrogate_as_visible_escape(tmp_path):
    path = tmp_path / "report.md"
    write_text(path, "a\ud800b \u2028 é")
    assert path.read_text(encoding="utf-8") == "a\\ud800b \u2028 é"


BOM = b"\xef\xbb\xbf"

# Files other tools (or older versions of ours) wrote: (bytes, the values read, or the line and reason of each error)
FOREIGN_FILES = {
    "a BOM before JSON lines": (BOM + b'{"n": 1}\n{"n": 2}\n', [(1, {"n": 1}), (2, {"n": 2})]),
    "a BOM before a JSON array": (BOM + b'[{"n": 1}, {"n": 2}]', [(1, {"n": 1}), (2, {"n": 2})]),
    "raw U+2028, U+2029 and U+0085 in a string": (
        '{"t": "a\u2028b\u2029c\x85d"}\n{"n": 2}\n'.encode(),
        [(1, {"t": "a\u2028b\u2029c\x85d"}), (2, {"n": 2})],
    ),
    "CRLF line ends": (b'{"n": 1}\r\n{"n": 2}\r\n', [(1, {"n": 1}), (2, {"n": 2})]),
    "a line that is not UTF-8": (
        b'{"n": 1}\n{"t": "\xff"}\n{"n": 3}\n',
        [(1, {"n": 1}), (2, "not valid UTF-8"), (3, {"n": 3})],
    ),
    "a torn tail cutting a multibyte character": (
        '{"t": "é"}\n{"t": "é'.encode()[:-1],
        [
            (1, {"t": "é"}),
            (2, "not valid UTF-8: unexpected end of data at byte 8 of the line (an unfinished last line)"),
        ],
    ),
    "a torn tail cutting a record": (b'{"n": 1}\n{"n": 2', [(1, {"n": 1}), (2, "(an unfinished last line)")]),
}


@pytest.mark.parametrize("name", FOREIGN_FILES)
def test_reading_splits_at_newlines_only_and_names_each_bad_line(tmp_path, name):
    data, expected = FOREIGN_FILES[name]
    path = tmp_path / "in.jsonl"
    path.write_bytes(data)
    found = list(iter_json_lines(path))
    assert [line for line, _ in found] == [line for line, _ in expected]
    for (_, value), (_, want) in zip(found, expected, strict=True):
        if isinstance(want, str):
            assert isinstance(value, Exception) and want in str(value), value
        else:
            assert value == want


def test_a_bad_line_is_a_record_error_naming_it_not_the_whole_file_failing(tmp_path):
    path = tmp_path / "answers.jsonl"
    path.write_bytes(b'{"id": "a", "question_id": "q", "source": "s", "text": "\xe9t\xe9"}\n')
    with pytest.raises(RecordError, match=r"answers.jsonl:1: field '<json>': not valid UTF-8"):
        read_records(path, Answer)


def test_appender_keeps_a_whole_last_record_that_only_lacks_its_newline(tmp_path):
    path = tmp_path / "log.jsonl"
    path.write_text('{"n": 1}\n{"n": 2}')
    with Appender(path) as out:
        out.append({"n": 3})
    assert [value["n"] for _, value in iter_json_lines(path)] == [1, 2, 3]


def test_appender_cuts_a_torn_tail_that_ends_inside_a_multibyte_character(tmp_path):
    path = tmp_path / "log.jsonl"
    path.write_bytes('{"t": "é"}\n{"t": "é'.encode()[:-1])
    with Appender(path) as out:
        out.append({"t": "ü"})
    assert [value for _, value in iter_json_lines(path)] == [{"t": "é"}, {"t": "ü"}]


def test_a_deeply_nested_json_line_is_a_named_bad_line_and_skip_applies(tmp_path):
    from components.data.importers.jsonl import import_jsonl

    deep = '{"id": "x", "nest": ' + "[" * 100_000 + "]" * 100_000 + "}"
    path = tmp_path / "answers.jsonl"
    path.write_text('{"id": "a", "question_id": "q", "source": "s", "text": "one"}\n' + deep + "\n")
    with pytest.raises(RecordError, match=r":2: field '<json>'.*nested too deeply"):
        read_records(path, Answer)
    loaded = read_records(path, Answer, on_error="skip")
    assert [r.id for r in loaded.records] == ["a"] and loaded.rejects[0]["line"] == 2
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text(make_pair().model_dump_json() + "\n" + deep + "\n")
    result = import_jsonl(pairs, on_error="skip")
    assert [pair.id for pair in result.pairs] == ["p"] and "nested too deeply" in result.rejects[0]["reason"]
