"""The hf teacher on a tiny random Llama: JudgeLM's prompt in generate mode, one label per request,
unparseable output a counted failure (never a tie), and the model answering the rewrite's requests."""

import pytest

from components.config import HFTeacherParams
from components.schemas import VERDICTS, Answer, Question
from components.teachers.hf import hf_teacher
from components.teachers.pairing import Candidate, PairingStats, label_pairs
from components.teachers.rewrite import Rewriter
from tests.factories import make_pair

pytestmark = pytest.mark.slow

QUESTION = Question(id="q", family="arithmetic", category="mathematics", instruction="What is 2 + 2?", reference="4")


@pytest.fixture(scope="module")
def teacher(tiny_model, tiny_model_dir):
    model, tokenizer = tiny_model
    return hf_teacher(HFTeacherParams(max_new_tokens=6, batch_size=4), tiny_model_dir, model, tokenizer)


def test_labels_are_parsed_or_counted_failures_never_ties(teacher):
    answers = [Answer(id=f"a{i}", question_id="q", source=f"s{i}", text=text) for i, text in enumerate("456")]
    chosen = [Candidate(QUESTION, i, answers[i], answers[i + 1]) for i in range(2)]
    stats = PairingStats()
    pairs, rejects = label_pairs(chosen, teacher, swap_filter=True, stats=stats)
    assert stats.teacher_items == 4 and stats.sampled + stats.teacher_failures + stats.swap_conflicts == 2
    assert len(pairs) + len(rejects) == 2
    assert all(p.verdict in VERDICTS and p.score1 is not None for p in pairs)
    for reject in rejects:
        assert reject["record"]["verdict"] is None
    grades = teacher.grade_many([(QUESTION, "4")])
    assert all(g.score is None or 1 <= g.score <= 10 for g in grades)
    assert all(g.reason.startswith("teacher failure") for g in grades if g.score is None)
    assert teacher.name.startswith("hf:") and teacher.stats()["teacher_concurrency"] == 4


def test_the_same_model_answers_the_rewrite(teacher):
    rewriter = Rewriter(teacher.complete)
    (pair,) = rewriter.rewrite([make_pair()])
    stats = rewriter.stats
    assert stats.rewritten + stats.failures == 1
    assert pair.reason_no_reference or "no_reference_failed" in pair.flags
