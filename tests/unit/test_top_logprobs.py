"""Logprob mode over an API: score lines read from an endpoint's top_logprobs by the local reader's rules,
exact where the endpoint's line shows what is needed, and an explicit failure where it does not."""

from __future__ import annotations

import math

import pytest

from components.judges.top_logprobs import read_top_logprobs
from components.schemas import FIRST, SECOND, TIE


def entry(written: str, top: dict[str, float]) -> dict:
    """One written token with the likeliest tokens there (probabilities, as the endpoint's logprobs)."""
    return {
        "token": written,
        "logprob": math.log(top[written]),
        "top_logprobs": [{"token": t, "logprob": math.log(p)} for t, p in top.items()],
    }


def expected(p: dict[int, float]) -> float:
    return sum(k * q for k, q in p.items()) / sum(p.values())


def test_a_line_through_the_shared_first_token_is_read_exactly():
    """ "10 10" written as 1 0 ␣ 1 0: both splits of "1" are shown (the local reader's "ten" case)."""
    line = [
        entry("1", {"1": 0.8, "7": 0.1}),
        entry("0", {"0": 0.9, " ": 0.1}),
        entry(" ", {" ": 1.0}),
        entry("1", {"1": 0.7, "9": 0.2}),
        entry("0", {"0": 1.0}),
    ]
    reading = read_top_logprobs("judgelm", line, 0.05)
    assert reading.raw == "10 10" and reading.parsed.verdict == TIE
    assert reading.parsed.score1 == pytest.approx(expected({1: 0.08, 7: 0.1, 10: 0.72}))
    assert reading.parsed.score2 == pytest.approx(expected({9: 0.2, 10: 0.7}))
    assert reading.confidence == pytest.approx(0.72 * 0.7)


def test_an_unshown_continuation_of_1_counts_as_1_and_the_verdict_is_still_exact():
    line = [entry("8", {"8": 0.5, "7": 0.2, "1": 0.2}), entry(" ", {" ": 0.9}), entry("3", {"3": 0.6, "1": 0.3})]
    reading = read_top_logprobs("judgelm", line, 0.05)
    assert (reading.raw, reading.parsed.verdict) == ("8 3", FIRST)
    assert reading.parsed.score1 == pytest.approx(expected({8: 0.5, 7: 0.2, 1: 0.2}))
    assert reading.parsed.score2 == pytest.approx(expected({3: 0.6, 1: 0.3}))


def test_tokenizers_with_a_10_token_and_a_separator_joined_to_the_digit_are_read():
    line = [entry("10", {"10": 0.6, "1": 0.1, "9": 0.2}), entry(" 7", {" 7": 0.5, " 8": 0.3, "\n": 0.1})]
    reading = read_top_logprobs("judgelm", line, 0.05)
    assert (reading.raw, reading.parsed.verdict) == ("10 7", FIRST)
    assert reading.parsed.score1 == pytest.approx(expected({10: 0.6, 1: 0.1, 9: 0.2}))
    assert reading.parsed.score2 == pytest.approx(expected({7: 0.5, 8: 0.3}))


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ([entry("The", {"The": 0.9, "5": 0.03})], "no score token is likely: p = 0.03"),
        ([entry("6", {"6": 0.9}), entry(" ", {" ": 1.0}), entry("A", {"A": 0.99, "2": 0.01})], "no second score"),
        ([entry("6", {"6": 0.9}), entry("\n", {"\n": 0.8})], "does not go on as a score line"),
        ([entry("The", {"The": 0.5, "4": 0.4})], "wrote no score ('The') where 4 is likelier"),
        # "1" holds .45 but splits into .225 / .225 below 7's .4: the line wrote 1, the likeliest score is 7
        ([entry("1", {"1": 0.45, "7": 0.4}), entry("0", {"0": 0.5, " ": 0.5})], "wrote the score 10"),
        ([], "wrote nothing"),
    ],
)
def test_a_line_that_cannot_be_read_is_a_failure_saying_why_never_a_tie(line, says):
    reading = read_top_logprobs("judgelm", line, 0.05)
    assert reading.parsed.failed and reading.parsed.verdict is None and says in reading.parsed.failure


def test_pointwise_and_pandalm_read_one_position():
    score = read_top_logprobs("pointwise", [entry("8", {"8": 0.5, "7": 0.3})], 0.05)
    assert (score.raw, score.stated) == ("8", 8) and score.parsed.score1 == pytest.approx(expected({8: 0.5, 7: 0.3}))
    tie = read_top_logprobs("pandalm", [entry("T", {"T": 0.5, "1": 0.3}), entry("ie", {"ie": 0.9})], 0.05)
    assert (tie.raw, tie.parsed.verdict) == ("Tie", TIE) and tie.confidence == pytest.approx(0.45)
    # a "T" the line did not write may go on as "The": it is not counted as a tie
    second = read_top_logprobs("pandalm", [entry("2", {"2": 0.4, "T": 0.5})], 0.05)
    assert (second.raw, second.parsed.verdict) == ("2", SECOND)
    with pytest.raises(ValueError, match="logprob mode reads"):
        read_top_logprobs("mtbench_pair", [], 0.05)
