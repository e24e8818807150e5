"""Small records for tests."""

from __future__ import annotations

from components.schemas import FIRST, SECOND, TIE, Judgment, Pair


def make_pair(**changes) -> Pair:
    base = dict(
        id="p",
        question_id="q",
        family="arithmetic",
        category="mathematics",
        instruction="What is 2 + 2?",
        reference="4",
        answer1="4",
        answer2="5",
        source1="a",
        source2="b",
        score1=9,
        score2=2,
        verdict=FIRST,
        reason="Assistant 1 is right; Assistant 2 is wrong.",
    )
    return Pair(**{**base, **changes})


def judgment(pair_id: str, order: str, verdict: int | None) -> Judgment:
    """A judgment of ``verdict`` with scores to match (8 2, 2 8, 5 5; None: a failure)."""
    scores = {FIRST: (8, 2), SECOND: (2, 8), TIE: (5, 5), None: (None, None)}[verdict]
    return Judgment(
        pair_id=pair_id,
        judge="j",
        order=order,
        template="judgeops",
        raw="x",
        score1=scores[0],
        score2=scores[1],
        verdict=verdict,
        failed=verdict is None,
        failure="unparsed" if verdict is None else "",
    )


def arithmetic_pairs(n: int) -> list[Pair]:
    """Pairs whose verdicts cycle through 1, 2 and tie, with scores to match."""
    pairs = []
    for i in range(n):
        a, b = i % 7 + 1, i % 5 + 2
        right = str(a + b)
        wrong = str(a + b + 1)
        kind = i % 3
        answers = {0: (right, wrong, 9, 3, FIRST), 1: (wrong, right, 3, 9, SECOND), 2: (right, right + ".", 9, 9, TIE)}[
            kind
        ]
        reason = {FIRST: "Assistant 1 is right.", SECOND: "Assistant 2 is right.", TIE: "Both are right."}[answers[4]]
        pairs.append(
            make_pair(
                id=f"p{i}",
                question_id=f"q{i}",
                instruction=f"What is {a} + {b}?",
                reference=right,
                answer1=answers[0],
                answer2=answers[1],
                score1=answers[2],
                score2=answers[3],
                verdict=answers[4],
                reason=reason,
            )
        )
    return pairs


def audit_pairs(n: int = 36, knowledge: bool = True) -> list[Pair]:
    """Pairs for bias-audit tests: verdicts cycle through 1, 2 and tie; answer styles cycle through
    one sentence, a knowledge fact (``needs_knowledge`` unless ``knowledge=False``), two sentences and a
    bulleted list; the two answers of a pair have equal word counts (length alone decides nothing). Every
    (verdict, style) combination occurs three times in 36 pairs: with a "model:" answer first, with it
    second, and with none -- so the judge's family wins and loses equally often in every style."""
    pairs = []
    for i in range(n):
        a, b = i % 7 + 2, i % 5 + 3
        right, wrong = a + b, a + b + 1
        verdict = (FIRST, SECOND, TIE)[i % 3]
        style = (i // 3) % 4
        if style == 0:
            good, bad, alt = f"The sum is {right}.", f"The sum is {wrong}.", f"{right} is the sum."
        elif style == 1:
            good, bad, alt = (
                f"Planet {a} has {right} moons.",
                f"Planet {a} has {wrong} moons.",
                f"{right} moons orbit planet {a}.",
            )
        elif style == 2:
            good, bad = (
                f"First add {a} and {b}. So the answer is {right}.",
                f"First add {a} and {b}. So the answer is {wrong}.",
            )
            alt = f"Add {a} and {b} first. So the answer is {right}."
        else:
            good, bad = f"- Add {a} and {b}.\n- The result is {right}.", f"- Add {a} and {b}.\n- The result is {wrong}."
            alt = f"- Take {a} plus {b}.\n- This gives us {right}."
        answer1, answer2, score1, score2 = {
            FIRST: (good, bad, 9, 3),
            SECOND: (bad, good, 3, 9),
            TIE: (good, alt, 9, 9),
        }[verdict]
        own, other = "model:tiny:greedy", "variant:wrong"
        sources = {0: (own, other), 1: (other, own), 2: ("variant:correct", other)}[i // 12 % 3]
        pairs.append(
            make_pair(
                id=f"a{i}",
                question_id=f"aq{i // 2}",
                instruction=f"How much is {a} + {b}?",
                reference=str(right),
                answer1=answer1,
                answer2=answer2,
                score1=score1,
                score2=score2,
                verdict=verdict,
                reason={FIRST: "Assistant 1 is right.", SECOND: "Assistant 2 is right.", TIE: "Both are right."}[
                    verdict
                ],
                source1=sources[0],
                source2=sources[1],
                needs_knowledge=knowledge and style == 1,
            )
        )
    return pairs


# The released shapes of the seed systems' own data, field for field (values are our own, Chinese like theirs).
CRITIQUELLM_QUESTIONS = ("请将以下的肯定句改为双重否定句：他非常喜欢阅读", "求含有n个元素的集合的所有非空子集的个数。")


def critiquellm_pairwise_row(row_id: int, score1=1, score2=4, label=1, reference: bool = True, **changes) -> dict:
    """A row of CritiqueLLM's data/evaluation/pairwise/*.jsonl; ``reference=False``: the reference-free files,
    which have no reference column at all."""
    row = {"id": row_id, "category": "中文理解", "question": CRITIQUELLM_QUESTIONS[row_id % 2]}
    if reference:
        row["reference"] = "没有人不喜欢阅读。"
    row |= {
        "response_1": f"他不喜欢阅读。（{row_id}）",
        "response_2": f"他没有不喜欢阅读的时候。（{row_id}）",
        "human_score_1": score1,
        "human_score_2": score2,
        "label": label,
    }
    return {**row, **changes}


def critiquellm_pointwise_row(row_id: int, model: str, score=3, reference: bool = True, **changes) -> dict:
    """A row of CritiqueLLM's data/evaluation/pointwise/*.jsonl (one model's response, one human score)."""
    row = {"id": row_id, "category": "数学计算", "question": CRITIQUELLM_QUESTIONS[row_id % 2]}
    if reference:
        row["reference"] = "共有2^n - 1个非空子集。"
    row |= {"response": f"{model}的回答：2^n - 1（{row_id}）", "model": model, "human_score": score}
    return {**row, **changes}


def alignbench_release_row(question_id: int, **changes) -> dict:
    """A row of AlignBench's data/data_v1.1_release.jsonl: a question with its reference, no answers."""
    row = {
        "question_id": question_id,
        "category": "专业能力",
        "subcategory": "音乐",
        "question": f"C大调音阶的第{question_id}个音是什么？",
        "reference": "是D。",
        "evidences": [{"url": "https://example.org/scale", "quote": "C大调音阶是这几个音：C D E F G A B。"}],
    }
    return {**row, **changes}
