"""Calendar reasoning: the date n days after or before a date, its weekday, days between two dates.

Dates are read in ISO form (2024-03-11) and in words (March 11, 2024 / 11 March 2024); the asked
format is ISO, so a right date in words is off-format. Dates the question itself gives never count.
"""

from __future__ import annotations

import datetime as dt
import random
import re

from components.data.facts import WEEKDAYS
from components.data.families.base import AnswerKind, Check, Draft, Family, question_text
from components.data.families.choice_answers import ChoiceKind, choice_check
from components.data.families.number_answers import NumberKind
from components.data.families.numeric import IN_DIGITS
from components.schemas import Question

_MONTHS = "january february march april may june july august september october november december".split()
_MONTH = r"(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
_PATTERNS = [
    (re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b"), ("y", "m", "d"), True),
    (
        re.compile(rf"\b{_MONTH}\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})\b", re.IGNORECASE),
        ("m", "d", "y"),
        False,
    ),
    (
        re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH},?\s+(\d{{4}})\b", re.IGNORECASE),
        ("d", "m", "y"),
        False,
    ),
]
START, END = dt.date(2000, 1, 1), dt.date(2030, 12, 31)


def dates_in(text: str) -> list[tuple[int, dt.date, bool]]:
    """(position, date, written in ISO form) for every valid date in the text."""
    found = []
    for pattern, order, iso in _PATTERNS:
        for m in pattern.finditer(text):
            parts = dict(zip(order, m.groups(), strict=True))
            month = int(parts["m"]) if iso else [n[:3] for n in _MONTHS].index(parts["m"].lower()[:3]) + 1
            try:
                found.append((m.start(), dt.date(int(parts["y"]), month, int(parts["d"])), iso))
            except ValueError:
                continue
    return sorted(found)


def in_words(day: dt.date) -> str:
    return f"{_MONTHS[day.month - 1].capitalize()} {day.day}, {day.year}"


class DateKind(AnswerKind):
    """Check data: ``answer`` (ISO date), ``say`` (sentences with a ``{}`` slot)."""

    def check(self, question: Question, answer: str) -> Check:
        target = dt.date.fromisoformat(question.check["answer"])
        given = {day for _, day, _ in dates_in(question_text(question))}
        found = [(pos, day, iso) for pos, day, iso in dates_in(answer) if day not in given]
        if not found:
            return Check(False, False, "gives no date", answered=False)
        _, final, iso = found[-1]
        if final == target:
            return Check(True, False, f"gives {target}" + ("" if iso else " but not as YYYY-MM-DD"), format_ok=iso)
        if any(day == target for _, day, _ in found):
            return Check(False, True, f"shows {target} but ends on {final}")
        return Check(False, False, f"gives {final}, not {target}")

    def paraphrase(self, question: Question, rng: random.Random) -> str:
        return rng.choice(question.check["say"]).format(question.check["answer"])

    def wrong(self, question: Question, rng: random.Random) -> str:
        return rng.choice(question.check["say"]).format(self._near(question, rng))

    def partial(self, question: Question, rng: random.Random) -> str:
        return rng.choice(question.check["say"]).format(f"{question.check['answer']} or {self._near(question, rng)}")

    def off_format(self, question: Question, rng: random.Random) -> str:
        return rng.choice(question.check["say"]).format(in_words(dt.date.fromisoformat(question.check["answer"])))

    def truncated(self, question: Question, rng: random.Random) -> str:
        return question.check["say"][0].split("{}")[0].rstrip()

    def _near(self, question: Question, rng: random.Random) -> str:
        target = dt.date.fromisoformat(question.check["answer"])
        given = {day for _, day, _ in dates_in(question_text(question))}
        options = [target + dt.timedelta(days=d) for d in (-7, -1, 1, 7)]
        return rng.choice([d for d in options if d not in given]).isoformat()


class Dates(Family):
    name = "dates"
    category = "logical_reasoning"
    kinds = {"date": DateKind(), "choice": ChoiceKind(), "number": NumberKind()}

    def draft(self, rng: random.Random) -> Draft:
        day = START + dt.timedelta(days=rng.randrange((END - START).days))
        asked = rng.choice(["after", "before", "weekday", "between"])
        if asked in ("after", "before"):
            n = rng.randint(2, 90)
            target = day + dt.timedelta(days=n if asked == "after" else -n)
            say = ["The date is {}.", "It is {}.", f"{n} days {asked} {day} is {{}}."]
            ask = f"What date is {n} days {asked} {day}? Give the date as YYYY-MM-DD."
            return Draft(ask, target.isoformat(), {"kind": "date", "answer": target.isoformat(), "say": say})
        if asked == "weekday":
            index = day.weekday()
            near = [WEEKDAYS[(index - 1) % 7], WEEKDAYS[(index + 1) % 7]]
            say = [f"{day} falls on a {{}}.", "It is a {}."]
            check = choice_check([WEEKDAYS[index]], "weekdays", near, "weekday", say)
            return Draft(f"On which day of the week does {day} fall?", WEEKDAYS[index], check)
        later = day + dt.timedelta(days=rng.randint(2, 200))
        gap = (later - day).days
        say = ["The answer is {} days.", "There are {} days between them.", "It is {} days."]
        check = {"kind": "number", "answer": gap, "format": "digits", "say": say}
        return Draft(f"How many days are there from {day} to {later}?" + IN_DIGITS, str(gap), check)
