"""The report's per-answer figures (components.answer_quality): each distinct test answer once, grouped
by source kind, the correct-vs-wrong AUC with its bootstrap interval, and the error on the model's answers."""

from __future__ import annotations

import math

import pytest

from components.answer_quality import (
    MODEL,
    answer_quality,
    answer_scores,
    by_source,
    correct_vs_wrong_auc,
    flat_metrics,
    source_kind,
)
from components.schemas import FIRST, SECOND, TIE, Judgment, Pair
from tests.factories import make_pair

# The teacher's score for each kind of answer, as the oracle gives them.
TEACHER = {"correct": 10.0, "wrong": 2.0, "partial": 6.0, MODEL: 4.0}
SOURCES = {
    "correct": "variant:correct",
    "wrong": "variant:wrong",
    "partial": "variant:partial",
    MODEL: "model:base:greedy",
}
# Every question's pairs: its correct answer appears in three of them, in both orders once judged.
PAIRS = (("correct", "wrong"), ("partial", "correct"), ("correct", MODEL), ("wrong", MODEL))


def hand_made(questions: int = 4) -> list[Pair]:
    pairs = []
    for q in range(questions):
        for i, (a, b) in enumerate(PAIRS):
            s1, s2 = TEACHER[a], TEACHER[b]
            pairs.append(
                make_pair(
                    id=f"q{q}-{i}",
                    question_id=f"q{q}",
                    answer1=f"{a} answer to {q}",
                    answer2=f"{b} answer to {q}",
                    source1=SOURCES[a],
                    source2=SOURCES[b],
                    score1=s1,
                    score2=s2,
                    verdict=FIRST if s1 > s2 else SECOND if s2 > s1 else TIE,
                )
            )
    return pairs


def kind_of(pair: Pair, answer: str) -> str:
    return source_kind(pair.source1 if answer == pair.answer1 else pair.source2)


def pointwise_judge(pairs: list[Pair], score) -> list[Judgment]:
    """Both orders of every pair, judged by a pointwise judge that gives ``score(kind, question_id)`` to an answer."""
    found = []
    for pair in pairs:
        for order, shown in (("original", pair), ("swapped", pair.swapped())):
            s1, s2 = (
                score(kind_of(pair, shown.answer1), pair.question_id),
                score(kind_of(pair, shown.answer2), pair.question_id),
            )
            verdict = FIRST if s1 > s2 else SECOND if s2 > s1 else TIE
            found.append(
                Judgment(
                    pair_id=pair.id,
                    judge="j",
                    order=order,
                    template="pointwise",
                    raw="",
                    score1=s1,
                    score2=s2,
                    verdict=verdict,
                )
            )
    return found


def fixed(scores: dict[str, float]):
    return lambda kind, question: scores[kind]


def test_source_kinds_are_read_from_how_sources_are_spelled():
    assert source_kind("variant:off_format") == "off_format"
    assert source_kind("model:base:sampled") == MODEL
    assert source_kind("answer1") == "answer1"


def test_each_distinct_answer_counts_once_with_the_score_it_was_given_in_either_order():
    test = hand_made(questions=4)
    judged = pointwise_judge(test, fixed({"correct": 9.0, "wrong": 3.0, "partial": 6.0, MODEL: 5.5}))
    answers = answer_scores(test, judged)
    assert len(answers) == 4 * 4  # four distinct answers per question, though 4 pairs x 2 orders show 16
    rows = {r["kind"]: r for r in by_source(answers)}
    assert [r["kind"] for r in by_source(answers)] == ["correct", "wrong", "partial", MODEL]
    assert rows["correct"] == {"kind": "correct", "n": 4, "judged": 4, "teacher": 10.0, "judge": 9.0, "mae": 1.0}
    assert rows["wrong"]["judge"] == 3.0 and rows["wrong"]["mae"] == 1.0
    assert rows["partial"]["mae"] == 0.0
    assert rows[MODEL]["teacher"] == 4.0 and rows[MODEL]["mae"] == 1.5


def test_a_swapped_judgment_scores_the_pairs_second_answer_first():
    test = hand_made(questions=1)[:1]  # correct (answer1) vs wrong (answer2)
    judged = [
        Judgment(
            pair_id=test[0].id, judge="j", order="original", template="t", raw="", score1=9, score2=3, verdict=FIRST
        ),
        Judgment(
            pair_id=test[0].id, judge="j", order="swapped", template="t", raw="", score1=2, score2=8, verdict=SECOND
        ),
    ]
    judge = {a.kind: a.judge for a in answer_scores(test, judged)}
    assert judge == {"correct": 8.5, "wrong": 2.5}


def test_failed_judgments_give_no_score_and_an_answer_with_none_is_counted_unscored():
    test = hand_made(questions=2)
    judged = pointwise_judge(test, fixed({"correct": 9.0, "wrong": 3.0, "partial": 6.0, MODEL: 5.0}))
    partial_pair = next(p for p in test if p.question_id == "q0" and "variant:partial" in (p.source1, p.source2))
    judged = [
        j.model_copy(update={"failed": True, "verdict": None, "score1": None, "score2": None})
        if j.pair_id == partial_pair.id
        else j
        for j in judged
    ]
    rows = {r["kind"]: r for r in by_source(answer_scores(test, judged))}
    assert rows["partial"]["n"] == 2 and rows["partial"]["judged"] == 1  # q0's partial answer appears in that pair only
    assert rows["correct"]["judged"] == 2  # q0's correct answer still has its other pairs' scores


def test_a_judge_that_scores_correct_above_wrong_has_auc_one_and_a_flat_one_a_half():
    test = hand_made(questions=5)
    right = answer_scores(
        test, pointwise_judge(test, fixed({"correct": 9.0, "wrong": 3.0, "partial": 6.0, MODEL: 5.0}))
    )
    flat = answer_scores(test, pointwise_judge(test, fixed({"correct": 6.5, "wrong": 6.5, "partial": 6.0, MODEL: 5.0})))
    backwards = answer_scores(
        test, pointwise_judge(test, fixed({"correct": 2.0, "wrong": 8.0, "partial": 6.0, MODEL: 5.0}))
    )
    found = correct_vs_wrong_auc(right, resamples=200, seed=0)
    assert found == {"value": 1.0, "low": pytest.approx(1.0), "high": pytest.approx(1.0), "n_correct": 5, "n_wrong": 5}
    assert correct_vs_wrong_auc(flat, resamples=200, seed=0)["value"] == 0.5
    assert correct_vs_wrong_auc(backwards)["value"] == 0.0


def test_the_auc_interval_resamples_questions_and_brackets_a_mixed_judge():
    test = hand_made(questions=8)
    # correct answers 6..9.5 and wrong ones 3..6.5 by question: they overlap, so the AUC is between 0.5 and 1
    judged = pointwise_judge(
        test, lambda kind, q: {"correct": 6.0 + int(q[1:]) / 2, "wrong": 3.0 + int(q[1:]) / 2}.get(kind, 5.0)
    )
    answers = answer_scores(test, judged)
    found = correct_vs_wrong_auc(answers, resamples=300, seed=3)
    wins = sum((6 + a / 2 > 3 + b / 2) + 0.5 * (6 + a / 2 == 3 + b / 2) for a in range(8) for b in range(8))
    assert found["value"] == pytest.approx(wins / 64)
    assert 0.5 < found["low"] < found["value"] < found["high"] <= 1.0
    assert correct_vs_wrong_auc(answers, resamples=300, seed=3) == found  # seeded
    assert math.isnan(correct_vs_wrong_auc(answers, resamples=0)["low"])


def test_no_wrong_answers_leave_the_auc_undefined():
    test = [p for p in hand_made(questions=3) if "variant:wrong" not in (p.source1, p.source2)]
    answers = answer_scores(test, pointwise_judge(test, fixed({"correct": 9.0, "partial": 6.0, MODEL: 5.0})))
    found = correct_vs_wrong_auc(answers, resamples=50, seed=0)
    assert math.isnan(found["value"]) and math.isnan(found["low"]) and found["n_wrong"] == 0


def test_the_report_keys_a_user_can_diff():
    test = hand_made(questions=3)
    quality = answer_quality(
        test, pointwise_judge(test, fixed({"correct": 9.0, "wrong": 3.0, "partial": 7.0, MODEL: 6.0})), 100, 0
    )
    metrics = flat_metrics("finetuned", quality)
    assert metrics["finetuned.correct_vs_wrong_auc"] == 1.0
    assert metrics["finetuned.correct_vs_wrong_auc_low"] == metrics["finetuned.correct_vs_wrong_auc_high"] == 1.0
    assert metrics["finetuned.model_answers_mae"] == 2.0
    assert metrics["finetuned.by_source.partial.mae"] == 1.0
    assert metrics["finetuned.by_source.model.judge"] == 6.0
    assert quality["answers"] == 12


def test_the_report_states_the_auc_and_a_row_per_source_for_each_judge():
    from components.reporting.markdown import answers_section

    test = hand_made(questions=3)
    answers = {
        "finetuned": answer_quality(test, pointwise_judge(test, fixed({**TEACHER, "correct": 9.0})), 50, 0),
        "base": answer_quality(test, pointwise_judge(test, fixed({**TEACHER, "correct": 6.5, "wrong": 6.5})), 50, 0),
    }
    text = answers_section(answers)
    assert "**finetuned:** correct-vs-wrong AUC 1.000 [1.000, 1.000] (3 correct, 3 wrong answers)" in text
    assert "**base:** correct-vs-wrong AUC 0.500" in text
    assert "| correct | 3 | 10.00 | 9.00 | 1.00 | 6.50 | 3.50 |" in text
    assert "| wrong | 3 | 2.00 | 2.00 | 0.00 | 6.50 | 4.50 |" in text
    assert "| the base model's own answers | 3 | 4.00 | 4.00 | 0.00 | 4.00 | 0.00 |" in text


def test_the_val_callback_reports_the_auc_of_the_scores_the_judge_gave(monkeypatch):
    from components.config import JudgeParams
    from components.training import agreement

    class Scripted:
        """Stands in for HFJudge: a pointwise judge that gives correct answers 9, wrong ones 3, the rest 5."""

        def __init__(self, **settings):
            pass

        def judge(self, items):
            shown = [item.pair for item in items]
            scores = {"correct": 9.0, "wrong": 3.0}
            return [j for j in pointwise_judge(shown, lambda kind, q: scores.get(kind, 5.0)) if j.order == "original"]

    monkeypatch.setattr(agreement, "HFJudge", Scripted)
    val = hand_made(questions=2)
    found = agreement.val_agreement(val, tokenizer=None, template="pointwise", judge=JudgeParams())(object())
    assert found["val_auc"] == 1.0
    assert found["val_agreement"] == 1.0  # every verdict follows the teacher's order of the scores
    no_wrong = [p for p in val if "variant:wrong" not in (p.source1, p.source2)]
    assert math.isnan(agreement.val_agreement(no_wrong, None, "pointwise", JudgeParams())(object())["val_auc"])


def test_the_learning_curve_draws_val_auc_and_marks_the_step_val_agreement_chose(monkeypatch, tmp_path):
    from components.reporting import plots

    rows = [
        {"step": 1, "tokens": 100, "val_agreement": 0.6, "val_kappa": 0.3, "val_auc": 0.9},
        {"step": 2, "tokens": 200, "val_agreement": 0.8, "val_kappa": 0.6, "val_auc": 0.7},
        {"step": 3, "tokens": 300, "val_agreement": 0.8, "val_kappa": 0.65, "val_auc": float("nan")},
    ]
    assert plots.best_row(rows)["step"] == 2  # the first of the best agreements, as the trainer keeps it
    drawn = []
    monkeypatch.setattr(plots, "_save", lambda fig, path: drawn.append(fig))
    plots.plot_learning_curve(rows, "curve", tmp_path / "curve.png")
    ax = drawn[-1].axes[0]
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels == ["agreement", "Cohen's kappa", "AUC correct vs wrong", "best step (by val agreement)"]
    assert list(ax.get_lines()[-1].get_xdata()) == [200, 200]
    without_auc = [{k: v for k, v in r.items() if k != "val_auc"} for r in rows]
    plots.plot_learning_curve(without_auc, "curve", tmp_path / "curve.png")
    assert "AUC correct vs wrong" not in [line.get_label() for line in drawn[-1].axes[0].get_lines()]
