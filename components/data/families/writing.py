"""Open-ended short writing, judged by rubric checks a judge could apply too.

Content rubric: on the topic, uses each required word. Format rubric: two to four sentences of
prose. Any content item missing makes the piece partial; none present (but on the task) is wrong.
"""

from __future__ import annotations

import random
import re

from components.data.families.base import AnswerKind, Check, Draft, Family, question_text, strip_echo
from components.data.text import prose_issue, relevant, sentences, words
from components.schemas import Question

_FORMS = [
    "postcard message",
    "product description",
    "thank-you note",
    "short story",
    "diary entry",
    "short review",
]
_TOPICS = {
    "a lighthouse": "lighthouse",
    "a rainy afternoon": "rain",
    "a mountain hike": "mountain",
    "a new bicycle": "bicycle",
    "a village bakery": "bakery",
    "a night train": "train",
    "a school garden": "garden",
    "an old library": "library",
    "a winter market": "market",
    "a lost umbrella": "umbrella",
    "a robot helper": "robot",
    "a fishing trip": "fishing",
}
_WORDS = "lantern window bridge coffee whistle journey secret promise ribbon candle feather compass harbor".split()
_OPENERS = [
    "This {form} is about {topic}.",
    "My {form} is about {topic}.",
    "Here is my {form} about {topic}.",
]
_FRAMES = [
    "There was a {w} by the door, and it made me smile.",
    "I will always remember the {w} I noticed there.",
    "Even the {w} seemed to glow in the evening light.",
    "Somebody had left a {w} on the table for us.",
]


def _has(text: str, stem: str) -> bool:
    return re.search(rf"\b{re.escape(stem)}\w*", text, re.IGNORECASE) is not None


def _piece(rng: random.Random, form: str, topic: str, used: list[str]) -> str:
    frames = rng.sample(_FRAMES, len(used))
    body = [rng.choice(_OPENERS).format(form=form, topic=topic)]
    return " ".join(body + [f.format(w=w) for f, w in zip(frames, used, strict=True)])


class RubricKind(AnswerKind):
    """Check data: ``form``, ``topic`` (phrase), ``stem`` (the topic word), ``words`` (required)."""

    def check(self, question: Question, answer: str) -> Check:
        c = question.check
        items = {"the topic": c["stem"], **{f'"{w}"': w for w in c["words"]}}
        said = strip_echo(question, answer)
        missing = [name for name, stem in items.items() if not _has(said, stem)]
        if len(missing) == len(items):
            # a fragment shorter than a sentence commits to nothing, even when on the task
            answered = len(words(said)) >= 8 and relevant(question_text(question), said)
            return Check(False, False, "misses the topic and both words", answered=answered)
        if missing:
            return Check(False, True, f"misses {' and '.join(missing)}")
        count, issue = len(sentences(answer)), prose_issue(answer)
        if not issue and not 2 <= count <= 4:
            issue = f"but has {count} sentences, not 2-4"
        return Check(True, False, f"covers the topic and both words {issue}".strip(), format_ok=not issue)

    def paraphrase(self, question: Question, rng: random.Random) -> str:
        c = question.check
        return _piece(rng, c["form"], c["topic"], c["words"])

    def wrong(self, question: Question, rng: random.Random) -> str:
        c = question.check
        topic = rng.choice([t for t, s in _TOPICS.items() if s != c["stem"]])
        others = rng.sample([w for w in _WORDS if w not in c["words"]], 2)
        return _piece(rng, c["form"], topic, others)

    def partial(self, question: Question, rng: random.Random) -> str:
        c = question.check
        return _piece(rng, c["form"], c["topic"], c["words"][:1])

    def off_format(self, question: Question, rng: random.Random) -> str:
        return "\n".join(f"- {s}" for s in sentences(self.paraphrase(question, rng)))

    def truncated(self, question: Question, rng: random.Random) -> str:
        return f"This {question.check['form']} is about"


class Writing(Family):
    name = "writing"
    category = "writing"
    kinds = {"rubric": RubricKind()}

    def draft(self, rng: random.Random) -> Draft:
        form, (topic, stem) = rng.choice(_FORMS), rng.choice(sorted(_TOPICS.items()))
        used = rng.sample(_WORDS, 2)
        words_asked = f'Use the words "{used[0]}" and "{used[1]}".'
        ask = f"Write a {form} about {topic} in two to four sentences. {words_asked}"
        check = {"kind": "rubric", "form": form, "topic": topic, "stem": stem, "words": used}
        return Draft(ask, _piece(rng, form, topic, used), check)
