import json

import pytest

from components.io import Appender, RecordError, atomic_path, read_records, write_jsonl
from components.schemas import Answer


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
