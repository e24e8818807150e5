"""The judge prompt templates, by name: what a judge is shown for one pair (or one answer).

Each template follows the layout and output convention of one judge family (see docs/anchors.md),
in our own wording, so a judge trained or prompted in that family's format can be run and audited
here; ``output`` names the parser (components.judges.parsers) that reads its answers. Rendering is
a pure function of the item: the same pair always gives the same messages, so prompts can be cached
and format bias can be measured by changing only the template.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from components.schemas import Pair

Kind = Literal["pairwise", "pointwise"]
Messages = list[dict[str, str]]
Build = Callable[[Pair, bool], tuple[str, str]]
JUDGE_SYSTEM = "You are a judge."
# Output formats whose score line or verdict stands alone on the first line: score-first decoding
# can stop at the first newline.
FIRST_LINE_FORMATS = frozenset({"judgelm", "pandalm", "pointwise"})


@dataclass(frozen=True)
class Template:
    """A named prompt layout. ``build`` returns (system, user) text; an empty system is left out.
    Pointwise templates grade ``answer1`` and never show ``answer2``."""

    name: str
    kind: Kind
    output: str  # a parser name (components.judges.parsers.OUTPUT_FORMATS)
    supports_reference: bool
    build: Build = field(repr=False, compare=False)

    def shows_reference(self, item: Pair, requested: bool) -> bool:
        """Whether a judge that ``requested`` the reference gets it: this template takes one and
        the item has one."""
        return requested and self.supports_reference and bool(item.reference.strip())

    def render(self, item: Pair, with_reference: bool) -> Messages:
        """Chat messages for one item; raises ValueError naming the field a prompt cannot do without."""
        self._check(item, with_reference)
        system, user = self.build(item, with_reference)
        messages = [{"role": "system", "content": system}] if system else []
        return messages + [{"role": "user", "content": user}]

    def _check(self, item: Pair, with_reference: bool) -> None:
        if with_reference and not self.supports_reference:
            raise ValueError(f"template {self.name!r} takes no reference answer; render it with_reference=False")
        needed = ["instruction", "answer1"]
        needed += ["answer2"] if self.kind == "pairwise" else []
        needed += ["reference"] if with_reference else []
        for name in needed:
            if not getattr(item, name).strip():
                raise ValueError(f"{name} is empty; template {self.name!r} cannot be rendered without it")


def _question(item: Pair) -> str:
    """The instruction with its input, if any: the families that have no separate input field
    (JudgeLM, MT-Bench, Prometheus) read both as one question."""
    return f"{item.instruction}\n\n{item.input}" if item.input.strip() else item.instruction


def _judgeops(item: Pair, with_reference: bool) -> tuple[str, str]:
    """Our training layout: short, because every prompt token costs training time on a CPU. The
    one-line system message also replaces chat templates' default one (about 20 tokens in SmolLM2's)."""
    reference = f"[Reference]\n{item.reference}\n" if with_reference else ""
    return JUDGE_SYSTEM, (
        f"[Question]\n{_question(item)}\n{reference}[Answer 1]\n{item.answer1}\n[Answer 2]\n{item.answer2}\n"
        "Score both answers 1-10 on the first line as 's1 s2', then explain."
    )


def _judgeops_verdict(item: Pair, with_reference: bool) -> tuple[str, str]:
    """``judgeops`` with PandaLM's verdict-first line: the first token decides, where the score
    line's first token is "1" for both the best (10) and the worst (1) answer."""
    reference = f"[Reference]\n{item.reference}\n" if with_reference else ""
    return JUDGE_SYSTEM, (
        f"[Question]\n{_question(item)}\n{reference}[Answer 1]\n{item.answer1}\n[Answer 2]\n{item.answer2}\n"
        "Which answer is better? Write 1, 2 or Tie on the first line, then explain."
    )


def _pointwise(item: Pair, with_reference: bool) -> tuple[str, str]:
    """The single-answer twin of ``judgeops``."""
    reference = f"[Reference]\n{item.reference}\n" if with_reference else ""
    return JUDGE_SYSTEM, (
        f"[Question]\n{_question(item)}\n{reference}[Answer]\n{item.answer1}\n"
        "Score the answer 1-10 on the first line, then explain."
    )


def _judgelm(item: Pair, with_reference: bool) -> tuple[str, str]:
    reference = f"[Reference Answer]\n{item.reference}\n\n" if with_reference else ""
    standard = " Treat the reference answer as correct and judge each answer against it." if with_reference else ""
    user = (
        f"[Question]\n{_question(item)}\n\n{reference}"
        f"[The Start of Assistant 1's Answer]\n{item.answer1}\n[The End of Assistant 1's Answer]\n\n"
        f"[The Start of Assistant 2's Answer]\n{item.answer2}\n[The End of Assistant 2's Answer]\n\n"
        "[System]\n"
        "We want your assessment of how well the two AI assistants answered the question above."
        f"{standard}\n"
        "Consider helpfulness, relevance, accuracy and level of detail, and give each assistant one "
        "overall score from 1 to 10, where higher means better.\n"
        "Write the two scores, Assistant 1's first, alone on the first line, separated by a space. "
        "From the second line on, explain your scores. Be impartial: the order in which the answers "
        "are shown must not affect your judgment."
    )
    return "You are a careful assistant who checks the quality of answers.", user


def _pandalm(item: Pair, with_reference: bool) -> tuple[str, str]:
    has_input = bool(item.input.strip())
    context = " and an Input that gives it context" if has_input else ""
    input_block = f"### Input:\n{item.input}\n\n" if has_input else ""
    user = (
        f"Two responses to one task follow. The task is set by an Instruction{context}. "
        "Compare the responses and decide which one completes the task better.\n\n"
        f"### Instruction:\n{item.instruction}\n\n{input_block}"
        f"### Response 1:\n{item.answer1}\n\n### Response 2:\n{item.answer2}\n\n"
        'Write "1", "2" or "Tie" alone on the first line. Then write "### Reason: " and your reasoning, '
        'and optionally "### Reference: " and a good response to the task.\n\n'
        "### Evaluation:\n"
    )
    return "", user


def _mtbench_pair(item: Pair, with_reference: bool) -> tuple[str, str]:
    focus = (
        "You are given a reference answer and the answers of assistant A and assistant B. Judge them on "
        "correctness and helpfulness: compare each answer with the reference answer and point out any "
        "mistakes."
        if with_reference
        else "Judge how well each answer follows the user's instructions and answers the question, "
        "considering helpfulness, relevance, accuracy, depth, creativity and level of detail. Compare "
        "the two answers and explain briefly."
    )
    system = (
        "Act as an impartial judge of the answers two AI assistants gave to the user question below. "
        f"{focus} Do not let the order of the answers, their length or the assistants' names sway you, "
        "and be as objective as you can. After your explanation, give your final verdict in exactly "
        'this form: "[[A]]" if assistant A is better, "[[B]]" if assistant B is better, "[[C]]" for a tie.'
    )
    reference = (
        f"[The Start of Reference Answer]\n{item.reference}\n[The End of Reference Answer]\n\n"
        if with_reference
        else ""
    )
    user = (
        f"[User Question]\n{_question(item)}\n\n{reference}"
        f"[The Start of Assistant A's Answer]\n{item.answer1}\n[The End of Assistant A's Answer]\n\n"
        f"[The Start of Assistant B's Answer]\n{item.answer2}\n[The End of Assistant B's Answer]"
    )
    return system, user


def _mtbench_single(item: Pair, with_reference: bool) -> tuple[str, str]:
    focus = (
        "You are given a reference answer and the assistant's answer. Judge correctness and "
        "helpfulness: compare the answer with the reference answer and point out any mistakes."
        if with_reference
        else "Judge helpfulness, relevance, accuracy, depth, creativity and level of detail, and "
        "start with a short explanation."
    )
    reference = (
        f"[The Start of Reference Answer]\n{item.reference}\n[The End of Reference Answer]\n\n"
        if with_reference
        else ""
    )
    user = (
        "[Instruction]\n"
        "Act as an impartial judge of the answer an AI assistant gave to the user question below. "
        f"{focus} Be as objective as you can. After your explanation, rate the answer from 1 to 10 "
        'in exactly this form: "[[rating]]", for example "Rating: [[5]]".\n\n'
        f"[Question]\n{_question(item)}\n\n{reference}"
        f"[The Start of Assistant's Answer]\n{item.answer1}\n[The End of Assistant's Answer]"
    )
    return "You are an impartial evaluator.", user


PROMETHEUS_SYSTEM = (
    "You are a fair evaluator: your feedback is clear and objective and follows the given criteria only."
)
DEFAULT_RUBRIC = (
    "[Does the response complete the instruction correctly and helpfully?]\n"
    "Score 1: The response is wrong, irrelevant or harmful.\n"
    "Score 2: The response addresses the instruction but is mostly wrong or missing key parts.\n"
    "Score 3: The response is partly correct, with notable errors or omissions.\n"
    "Score 4: The response is correct and helpful, with minor flaws.\n"
    "Score 5: The response is fully correct, complete and follows every constraint."
)
DEFAULT_CRITERION = "Which response completes the instruction more correctly and helpfully?"


def _prometheus_absolute(item: Pair, with_reference: bool) -> tuple[str, str]:
    given = "a reference answer that would score 5, " if with_reference else ""
    reference = f"###Reference Answer (Score 5):\n{item.reference}\n\n" if with_reference else ""
    user = (
        "###Task Description:\n"
        f"You are given an instruction (it may contain an input), a response to evaluate, {given}"
        "and a score rubric that states the evaluation criterion.\n"
        "1. Write feedback that assesses the response strictly by the score rubric, not in general.\n"
        "2. Then give an integer score from 1 to 5, following the rubric.\n"
        '3. Use exactly this output format: "Feedback: (your feedback) [RESULT] (an integer from 1 to 5)"\n'
        "4. Write nothing before or after it.\n\n"
        f"###The instruction to evaluate:\n{_question(item)}\n\n"
        f"###Response to evaluate:\n{item.answer1}\n\n{reference}"
        f"###Score Rubrics:\n{DEFAULT_RUBRIC}\n\n###Feedback: "
    )
    return PROMETHEUS_SYSTEM, user


def _prometheus_relative(item: Pair, with_reference: bool) -> tuple[str, str]:
    given = "a reference answer, " if with_reference else ""
    reference = f"###Reference Answer:\n{item.reference}\n\n" if with_reference else ""
    user = (
        "###Task Description:\n"
        f"You are given an instruction (it may contain an input), two responses to evaluate (A and B), {given}"
        "and a score rubric that states the evaluation criterion.\n"
        "1. Write feedback comparing responses A and B strictly by the score rubric, not in general.\n"
        "2. Then decide which response is better; a tie is not allowed.\n"
        '3. Use exactly this output format: "Feedback: (your feedback) [RESULT] (A or B)"\n'
        "4. Write nothing before or after it.\n\n"
        f"###Instruction:\n{_question(item)}\n\n"
        f"###Response A:\n{item.answer1}\n\n###Response B:\n{item.answer2}\n\n{reference}"
        f"###Score Rubric:\n{DEFAULT_CRITERION}\n\n###Feedback: "
    )
    return PROMETHEUS_SYSTEM, user


TEMPLATES = MappingProxyType(
    {
        template.name: template
        for template in (
            Template("judgeops", "pairwise", "judgelm", True, _judgeops),
            Template("judgeops_verdict", "pairwise", "pandalm", True, _judgeops_verdict),
            Template("judgelm", "pairwise", "judgelm", True, _judgelm),
            Template("pandalm", "pairwise", "pandalm", False, _pandalm),
            Template("mtbench_pair", "pairwise", "mtbench_pair", True, _mtbench_pair),
            Template("mtbench_single", "pointwise", "mtbench_single", True, _mtbench_single),
            Template("prometheus_absolute", "pointwise", "prometheus_absolute", True, _prometheus_absolute),
            Template("prometheus_relative", "pairwise", "prometheus_relative", True, _prometheus_relative),
            Template("pointwise", "pointwise", "pointwise", True, _pointwise),
        )
    }
)


def list_templates() -> list[str]:
    """The registered template names, sorted."""
    return sorted(TEMPLATES)


def get_template(name: str) -> Template:
    """The template called ``name``; a typo in a config gets the list of valid names, not a KeyError."""
    try:
        return TEMPLATES[name]
    except KeyError:
        raise ValueError(f"unknown judge template {name!r}; known templates: {', '.join(list_templates())}") from None
