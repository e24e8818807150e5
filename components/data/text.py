"""Plain-text helpers shared by the verifiers, the variant makers and the oracle.

Answers come from templates and from a 135M model, so every helper reads free text: accents,
case and punctuation must not decide whether a city or a number was named.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

_WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")
_BULLET = re.compile(r"^\s*(?:[-*•+]|\d{1,2}[.)])\s+\S")
_REFUSAL = re.compile(
    r"\b(?:i'?m sorry|i am sorry|i (?:cannot|can't|can not|won't|am unable|am not able)|as an ai"
    r"|i do(?:n't| not) know)\b"
)
STOPWORDS = frozenset(
    """a an the and or but if of to in on at by for from with as is are was were be been being it its
    this that these those there here what which who whom whose how many much do does did can could will
    would should may might must not no yes so than then also just very only please give write use using
    your you i me my we our he she they them their his her one each all any some i'm it's can't don't
    won't isn't""".split()
)


def words(text: str) -> list[str]:
    return _WORD.findall(text)


def normalize(text: str, case: bool = False) -> str:
    """Accents stripped (Brasília == Brasilia) and, unless ``case``, lower-cased."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return plain if case else plain.lower()


def stems(text: str) -> set[str]:
    """Crude stems (first four letters) of content words: "sorted" meets "sort", "capitals" "capital"."""
    return {w[:4] for w in (w.lower() for w in words(text)) if len(w) >= 3 and w not in STOPWORDS}


def find(text: str, phrases: Iterable[str], case: bool = False) -> int | None:
    """Where the first of ``phrases`` occurs in ``text`` as whole words, or None."""
    haystack = normalize(text, case)
    hits = [
        m.start()
        for phrase in phrases
        if (m := re.search(rf"(?<!\w){re.escape(normalize(phrase, case))}(?!\w)", haystack))
    ]
    return min(hits) if hits else None


def relevant(question_text: str, answer: str) -> bool:
    """Whether the answer shares any content word with the question: off-topic text shares none."""
    return bool(stems(answer) & stems(question_text))


def prose_issue(text: str) -> str:
    """How an answer that should be plain prose is formatted instead ("" when it is prose)."""
    body = text.strip()
    lines = body.splitlines()
    if "```" in body:
        return "in a code block"
    if body[:1] in "{[":
        return "as JSON"
    if any(_BULLET.match(line) for line in lines):
        return "as a list"
    if sum("|" in line for line in lines) >= 2:
        return "as a table"
    return ""


def is_refusal(text: str) -> bool:
    return bool(_REFUSAL.search(text[:120].lower().replace("’", "'")))


def join_items(items: list[str]) -> str:
    """English list: "a", "a and b", "a, b and c"."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def sentences(text: str) -> list[str]:
    """Sentences with at least two words, split at . ! ? and line breaks."""
    parts = re.split(r"(?<=[.!?])\s+|\n+", text.strip())
    return [p for p in parts if len(words(p)) >= 2]
