"""The report's per-judge evaluation: agreement on the original order, consistency over both."""

import pytest

from components.evaluation import evaluate
from components.schemas import FIRST, SECOND, TIE
from tests.factories import arithmetic_pairs, judgment


def test_consistency_counts_mirrored_verdicts_over_every_test_pair():
    test = arithmetic_pairs(4)  # verdicts FIRST, SECOND, TIE, FIRST
    original = [FIRST, SECOND, TIE, FIRST]
    swapped = [SECOND, SECOND, TIE, None]  # mirrored, not mirrored, mirrored, failed
    judgments = [judgment(p.id, "original", v) for p, v in zip(test, original, strict=True)]
    judgments += [judgment(p.id, "swapped", v) for p, v in zip(test, swapped, strict=True)]
    result = evaluate(test, judgments, resamples=20, seed=0)
    assert result["metrics"]["accuracy"] == 1.0
    assert result["consistency"]["consistency"] == 0.5
    assert result["consistency"]["prefer_second"] == 0.25
    assert result["consistency"]["failures"] == 1


def test_a_pair_judged_in_one_order_only_is_an_error_naming_it():
    test = arithmetic_pairs(2)
    judgments = [judgment(p.id, "original", FIRST) for p in test] + [judgment(test[0].id, "swapped", SECOND)]
    with pytest.raises(ValueError, match=f"one order or both, e.g. \\['{test[1].id}'\\]"):
        evaluate(test, judgments, resamples=20, seed=0)


def test_the_agreement_gain_is_paired_and_counts_failures_as_wrong():
    from components.evaluation import agreement_gain

    test = arithmetic_pairs(6)  # six questions; verdicts cycle FIRST, SECOND, TIE
    tuned = {"judgments": [judgment(p.id, "original", p.verdict) for p in test]}
    base = {"judgments": [judgment(p.id, "original", p.verdict if i < 2 else None) for i, p in enumerate(test)]}
    gain = agreement_gain(test, tuned, base, resamples=200, seed=0)
    assert gain["value"] == 4 / 6
    assert 0 < gain["low"] <= gain["value"] <= gain["high"] <= 1
    same = agreement_gain(test, tuned, tuned, resamples=200, seed=0)
    assert same == {"value": 0.0, "low": 0.0, "high": 0.0}  # paired: identical judges never differ


def test_swap_averaged_figures_stand_beside_the_raw_ones_only_when_asked():
    test = arithmetic_pairs(3)  # verdicts FIRST, SECOND, TIE
    # a judge that always prefers the first answer shown: right on the first pair only, never consistent
    judgments = [judgment(p.id, order, FIRST) for p in test for order in ("original", "swapped")]
    raw = evaluate(test, judgments, resamples=20, seed=0)
    assert raw["calibrated"] is None
    both = evaluate(test, judgments, resamples=20, seed=0, calibration="swap_average")
    assert both["metrics"] == raw["metrics"] and both["consistency"]["consistency"] == 0.0
    # averaged, (8 + 2) / 2 against (2 + 8) / 2: every pair is a tie, right on the tie pair only
    assert both["calibrated"]["metrics"]["accuracy"] == pytest.approx(1 / 3)
    assert both["calibrated"]["metrics"]["confusion"][0] == [1, 0, 0]


def test_gold_without_scores_leaves_the_score_correlations_out():
    test = [p.model_copy(update={"score1": None, "score2": None}) for p in arithmetic_pairs(3)]
    judgments = [judgment(p.id, order, p.verdict) for p in test for order in ("original", "swapped")]
    assert evaluate(test, judgments, resamples=20, seed=0)["correlations"] is None


def test_judgment_rows_put_each_pair_beside_every_judges_verdicts():
    from components.evaluation import judgment_rows

    test = arithmetic_pairs(3)  # gold FIRST, SECOND, TIE
    tuned = [judgment(p.id, "original", v) for p, v in zip(test, [FIRST, FIRST, None], strict=True)]
    tuned += [judgment(p.id, "swapped", v) for p, v in zip(test, [SECOND, TIE, TIE], strict=True)]
    base = [judgment(p.id, order, p.verdict) for p in test for order in ("original", "swapped")]
    rows = judgment_rows(test, {"finetuned": tuned, "base": base})
    assert [row["pair_id"] for row in rows] == [p.id for p in test]
    first, second, failed = rows
    assert (first["gold"], first["finetuned_verdict"], first["finetuned_swapped_verdict"]) == (FIRST, FIRST, FIRST)
    assert first["finetuned_agrees"] and first["finetuned_consistent"] and not first["judges_disagree"]
    assert (first["finetuned_score1"], first["finetuned_score2"]) == (8, 2)
    assert not second["finetuned_agrees"] and not second["finetuned_consistent"] and second["judges_disagree"]
    assert second["base_agrees"] and not second["base_consistent"], "the base's swapped SECOND mirrors to FIRST"
    assert failed["finetuned_verdict"] is None and failed["finetuned_failure"] == "unparsed"
    assert not failed["finetuned_agrees"] and failed["judges_disagree"]
    assert {"instruction", "answer1", "answer2", "reference", "category"} <= first.keys()
