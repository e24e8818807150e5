"""Resuming from a cache that a crash, an editor or an older version left odd: the judgment cache and the
API response cache both read it line by line, redo the work of a line that does not fit (with a warning
naming it), reuse every other line, and never crash."""

from __future__ import annotations

import json
import logging

import pytest

from components.judges.base import both_orders
from components.judges.cache import judge_cached
from components.judges.scripted import Oracle
from components.llm_client import LLMClient
from tests.factories import arithmetic_pairs

TEXT = "8 3\nAssistant 1 est très bon\u2028— même ici"  # multibyte characters and a raw-unsafe separator


def lines_of(data: bytes) -> list[bytes]:
    return data.split(b"\n")[:-1]


def with_bom(data: bytes) -> bytes:
    return b"\xef\xbb\xbf" + data


def with_raw_separators(data: bytes) -> bytes:
    """As an older version wrote it: U+2028 raw in the text, not escaped."""
    rows = [json.loads(line) for line in lines_of(data)]
    raw = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows).encode()
    assert "\u2028".encode() in raw
    return raw


def off_schema_second_line(data: bytes) -> bytes:
    """Every field but the key holds the wrong type (a cache from another version of the schema)."""
    lines = lines_of(data)
    row = json.loads(lines[1])
    lines[1] = json.dumps({name: value if name == "key" else [1] for name, value in row.items()}).encode()
    return b"\n".join(lines) + b"\n"


def undecodable_second_line(data: bytes) -> bytes:
    lines = lines_of(data)
    lines[1] = lines[1].replace(b"\xc3", b"\xff")
    assert b"\xff" in lines[1]
    return b"\n".join(lines) + b"\n"


def torn_inside_a_character(data: bytes) -> bytes:
    """A kill mid-write: the file ends after the first byte of a two-byte character of its last line."""
    return data[: data.rindex(b"\xc3") + 1]


# corruption, how many lines' work is redone, whether a warning names line 2
CASES = {
    "a BOM at the start": (with_bom, 0, False),
    "raw U+2028 from an older writer": (with_raw_separators, 0, False),
    "an off-schema line": (off_schema_second_line, 1, True),
    "a line that is not UTF-8": (undecodable_second_line, 1, True),
    "a torn tail cutting a multibyte character": (torn_inside_a_character, 1, False),
}


class Counting:
    """The oracle judge, counting what it is asked."""

    def __init__(self):
        self.oracle, self.asked = Oracle(), []

    @property
    def name(self):
        return self.oracle.name

    def cache_identity(self):
        return self.oracle.cache_identity()

    def judge(self, items):
        self.asked.extend(items)
        return self.oracle.judge(items)


def pairs_with_nasty_ids():
    return [pair.model_copy(update={"id": f"{pair.id}-é\u2028"}) for pair in arithmetic_pairs(3)]


@pytest.mark.parametrize("case", CASES)
def test_the_judgment_cache_resumes_from_an_odd_file(tmp_path, caplog, case):
    corrupt, redone, warned = CASES[case]
    cache, items = tmp_path / "judgments.jsonl", both_orders(pairs_with_nasty_ids())
    judgments, _ = judge_cached(Counting(), items, cache)
    cache.write_bytes(corrupt(cache.read_bytes()))

    again = Counting()
    with caplog.at_level(logging.WARNING):
        resumed, reused = judge_cached(again, items, cache)
    assert resumed == judgments and (len(again.asked), reused) == (redone, len(items) - redone)
    assert (f"{cache}:2: field" in caplog.text) is warned, caplog.text
    resumed, reused = judge_cached(again, items, cache)
    assert reused == len(items), "the redone work was cached"


@pytest.mark.parametrize("case", CASES)
def test_the_response_cache_resumes_from_an_odd_file(tmp_path, caplog, fake_server, case):
    corrupt, redone, warned = CASES[case]
    fake = fake_server(reply=lambda body: TEXT)
    cache, questions = tmp_path / "responses.jsonl", [[{"role": "user", "content": f"q{i}"}] for i in range(4)]
    with LLMClient(fake.url, "gpt-test", cache=cache) as client:
        answers = [client.chat(messages).text for messages in questions]
    cache.write_bytes(corrupt(cache.read_bytes()))

    with caplog.at_level(logging.WARNING), LLMClient(fake.url, "gpt-test", cache=cache) as client:
        again = [client.chat(messages) for messages in questions]
    assert [a.text for a in again] == answers == [TEXT] * 4
    assert (len(fake.requests), sum(a.cached for a in again)) == (4 + redone, 4 - redone)
    assert (f"{cache}:2: field" in caplog.text) is warned, caplog.text
