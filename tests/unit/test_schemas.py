import pytest
from pydantic import ValidationError

from components.schemas import FIRST, SECOND, TIE, mirror, swap_assistant_mentions, verdict_from_scores
from tests.factories import make_pair


def test_swapping_moves_answers_scores_verdict_and_mentions_together():
    swapped = make_pair().swapped()
    assert (swapped.answer1, swapped.answer2) == ("5", "4")
    assert (swapped.score1, swapped.score2) == (2, 9)
    assert swapped.verdict == SECOND
    assert swapped.reason == "Assistant 2 is right; Assistant 1 is wrong."
    assert swapped.swapped() == make_pair()


def test_the_judgelm_text_is_the_score_line_then_the_reason():
    assert make_pair(score1=7.5).text == "7.5 2\nAssistant 1 is right; Assistant 2 is wrong."


def test_verdict_rules():
    assert [verdict_from_scores(8, 3), verdict_from_scores(3, 8), verdict_from_scores(5, 5)] == [FIRST, SECOND, TIE]
    assert [mirror(TIE), mirror(FIRST), mirror(SECOND), mirror(None)] == [TIE, SECOND, FIRST, None]
    assert swap_assistant_mentions("Answer 1 beats Response 2") == "Answer 2 beats Response 1"


@pytest.mark.parametrize("field", ["answer1", "instruction", "id"])
def test_blank_required_text_is_rejected(field):
    with pytest.raises(ValidationError, match=field):
        make_pair(**{field: "  "})


def test_an_unknown_verdict_is_rejected():
    with pytest.raises(ValidationError, match="verdict"):
        make_pair(verdict=3)


def test_the_reference_free_label_swaps_with_the_answers():
    pair = make_pair(score1_no_reference=8, score2_no_reference=3, reason_no_reference="Assistant 1 wins.")
    swapped = pair.swapped()
    assert (swapped.score1_no_reference, swapped.score2_no_reference) == (3, 8)
    assert swapped.reason_no_reference == "Assistant 2 wins."
