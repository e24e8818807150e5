"""Answers made of named fields: a JSON record, or facts extracted from a passage.

Each field is right, wrong (the distractor value instead), hedged (both) or missing. All right
passes; some right (or hedged) is partial; only wrong values is wrong. For JSON the asked format
is a whole answer that parses as an object (a ```json fence is fine); right values written as
"key: value" lines still count as right content. Check data: ``fields`` ({key: value}),
``aliases`` / ``near`` ({key: [spellings]}: the right value's and the distractor's), ``format``
("json" or "prose"), and for prose ``subject`` and ``frags`` ({key: "was founded by {}"}).
"""

from __future__ import annotations

import json
import random
import re

from components.data.families.base import AnswerKind, Check
from components.data.text import find, join_items, normalize, prose_issue
from components.schemas import Question


def parse_object(answer: str) -> tuple[dict | None, bool]:
    """(the JSON object in the answer or None, whether the whole answer is that object)."""
    body = re.sub(r"^```(?:json)?\s*|\s*```$", "", answer.strip())
    for text, whole in ((body, True), (body[body.find("{") : body.rfind("}") + 1], False)):
        try:
            value = json.loads(text)
        except ValueError:
            continue
        if isinstance(value, dict):
            return value, whole
    return None, False


def _same(got: object, want: object) -> bool:
    return normalize(str(got)).strip(" .") == normalize(str(want))


def _status(c: dict, key: str, answer: str, obj: dict | None) -> str:
    if obj is not None:
        got = next((v for k, v in obj.items() if normalize(str(k)) == key), None)
        return "missing" if got is None else "right" if _same(got, c["fields"][key]) else "wrong"
    if c["format"] == "json":
        m = re.search(rf"\b{key}\b[\"']?\s*[:=]\s*[\"']?([^\"'\n,}}]+)", answer, re.IGNORECASE)
        return "missing" if not m else "right" if _same(m.group(1), c["fields"][key]) else "wrong"
    right = find(answer, c["aliases"][key]) is not None
    near = find(answer, c["near"][key]) is not None
    return {(True, False): "right", (True, True): "hedged", (False, True): "wrong"}.get((right, near), "missing")


class FieldsKind(AnswerKind):
    def check(self, question: Question, answer: str) -> Check:
        c = question.check
        obj, whole = parse_object(answer) if c["format"] == "json" else (None, False)
        status = {key: _status(c, key, answer, obj) for key in c["fields"]}
        n = len(status)
        right = [k for k, s in status.items() if s == "right"]
        wrong = [k for k, s in status.items() if s == "wrong"]
        if len(right) == n:
            issue = ("" if whole else "but not as a JSON object") if c["format"] == "json" else prose_issue(answer)
            every = "both values" if n == 2 else f"all {n} values"
            return Check(True, False, f"gets {every} right {issue}".strip(), format_ok=not issue)
        if right or "hedged" in status.values():
            return Check(False, True, f"gets {len(right)} of {n} values right")
        if wrong:
            return Check(False, False, f"gets the {join_items(wrong)} wrong")
        return Check(False, False, "gives none of the asked values", answered=False)

    def paraphrase(self, question: Question, rng: random.Random) -> str:
        return self._render(question, question.check["fields"], rng)

    def wrong(self, question: Question, rng: random.Random) -> str:
        return self._render(question, {k: v[0] for k, v in question.check["near"].items()}, rng)

    def partial(self, question: Question, rng: random.Random) -> str:
        c = question.check
        slip = rng.choice(sorted(c["fields"]))
        return self._render(question, {**c["fields"], slip: c["near"][slip][0]}, rng)

    def off_format(self, question: Question, rng: random.Random) -> str:
        c = question.check
        mark = "" if c["format"] == "json" else "- "
        return "\n".join(f"{mark}{k}: {v}" for k, v in c["fields"].items())

    def truncated(self, question: Question, rng: random.Random) -> str:
        c = question.check
        return "Here is the JSON object:" if c["format"] == "json" else f"According to the passage, {c['subject']}"

    def _render(self, question: Question, values: dict, rng: random.Random) -> str:
        c = question.check
        if c["format"] == "json":
            text = json.dumps(values, indent=rng.choice([None, 2]), ensure_ascii=False)
            return f"```json\n{text}\n```" if rng.random() < 0.3 else text
        parts = [c["frags"][k].format(v) for k, v in values.items()]
        return f"{c['subject'][0].upper()}{c['subject'][1:]} {' and '.join(parts)}."
