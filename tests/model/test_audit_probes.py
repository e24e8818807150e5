"""The bias audit, held to invariance: each scripted judge built with one bias is flagged by exactly the
probe for that bias, the unbiased oracle by none, and every result carries a CI around its value, the
flipped examples with raw outputs, and the same numbers on every run."""

import json
import math
import re

import pytest

from components.audit.base import Bootstrap
from components.audit.format import FormatProbe, restyle
from components.audit.injection import VARIANTS, InjectionProbe
from components.audit.items import by_variant, untag
from components.audit.knowledge import KnowledgeProbe
from components.audit.registry import PROBES, make_probes
from components.audit.runner import run_probe
from components.audit.self_enhancement import SelfEnhancementProbe
from components.audit.verbosity import VerbosityProbe
from components.config import AuditParams, load_params
from components.judges.base import JudgeItem, both_orders
from components.judges.cache import judge_cached
from components.judges.hf import HFJudge
from components.judges.scripted import SCRIPTED, Oracle, TemplateSensitive, make_scripted
from components.schemas import FIRST, SECOND, TIE
from tests.conftest import REPO
from tests.factories import audit_pairs

PAIRS = audit_pairs(72)  # every probe measures at least stats.MIN_ITEMS items; the family balance holds
BOOTSTRAP = Bootstrap(resamples=200, seed=0)
# The probes built from the pairs given (evalbiasbench judges its own set: tests/unit/test_evalbiasbench_probe.py)
SPLIT_PROBES = [probe for probe in PROBES if probe != "evalbiasbench"]
CFG = AuditParams(probes=SPLIT_PROBES, self_sources=["model:"])  # scripted judges: the user names the family
EXPECTED = {
    "oracle": set(),
    "always_first": {"position"},
    "prefers_longer": {"verbosity"},
    "needs_reference": {"knowledge"},
    "template_sensitive": {"format"},
    "injectable": {"injection"},
    "format_sensitive": {"format"},
    "prefers_source": {"self_enhancement"},
}
WORD = re.compile(r"\w+")
RAW_KEYS = ("original", "swapped")  # the position probe's names for its two raw outputs


def audit(judge, probes=None, pairs=PAIRS) -> dict:
    return {probe.name: run_probe(probe, judge, pairs, BOOTSTRAP) for probe in probes or make_probes(CFG)}


@pytest.fixture(scope="module")
def results() -> dict:
    return {name: audit(kind()) for name, kind in SCRIPTED.items()}


def test_every_scripted_judge_and_every_probe_is_covered():
    assert set(EXPECTED) == set(SCRIPTED)
    assert set(SPLIT_PROBES) == {"position", "knowledge", "format", "verbosity", "injection", "self_enhancement"}


@pytest.mark.parametrize("judge", sorted(EXPECTED))
def test_a_biased_judge_is_flagged_by_its_probe_and_no_other(results, judge):
    flagged = {probe for probe, result in results[judge].items() if result.flagged}
    assert flagged == EXPECTED[judge], {probe: result.verdict for probe, result in results[judge].items()}


def test_the_oracle_passes_every_probe_with_no_flips(results):
    for probe, result in results["oracle"].items():
        assert not result.flagged and result.flipped == [], probe
        expected = 1.0 if probe == "position" else 0.0
        assert result.value == expected, (probe, result.verdict)


def test_every_interval_contains_its_value_and_nothing_is_nan_on_this_data(results):
    for judge, by_probe in results.items():
        for probe, result in by_probe.items():
            assert not math.isnan(result.low), (judge, probe)
            assert result.low - 1e-9 <= result.value <= result.high + 1e-9, (judge, probe, result)


def test_a_flagged_result_lists_up_to_five_flipped_examples_with_raw_outputs(results):
    for judge, probes in EXPECTED.items():
        for probe in probes:
            flipped = results[judge][probe].flipped
            assert 1 <= len(flipped) <= 5, (judge, probe)
            for example in flipped:
                raws = [value for key, value in example.items() if key.startswith("raw") or key in RAW_KEYS]
                assert raws and all(raws), example
                assert "#" not in example["pair_id"], "examples name the dataset's pair, not the probe item"


def test_the_verdict_line_says_flagged_exactly_when_flagged_and_injection_says_security(results):
    for by_probe in results.values():
        for probe, result in by_probe.items():
            assert result.verdict.startswith(f"{probe}:")
            assert ("FLAGGED" in result.verdict) == result.flagged
    assert "SECURITY FAILURE" in results["injectable"]["injection"].verdict


def test_results_are_deterministic(results):
    again = audit(SCRIPTED["format_sensitive"]())
    for probe, result in again.items():
        first = json.dumps(results["format_sensitive"][probe].to_dict(), sort_keys=True)
        assert json.dumps(result.to_dict(), sort_keys=True) == first, probe


def test_knowledge_probe_uses_needs_knowledge_pairs_and_reports_what_the_reference_fixes(results):
    result = results["needs_reference"]["knowledge"]
    assert result.details["selection"] == "needs_knowledge pairs"
    assert result.details["n"] == sum(pair.needs_knowledge for pair in PAIRS)
    assert result.details["agreement_with_reference"]["value"] == 1.0
    assert result.details["fixed_by_reference"] == 1.0
    assert result.value == pytest.approx(2 / 3), "without a reference it only gets the gold ties right"


def test_knowledge_probe_falls_back_to_all_pairs_and_says_so():
    pairs = audit_pairs(12, knowledge=False)
    items = KnowledgeProbe().build(pairs)
    assert len(items) == 2 * len(pairs)
    without = [item.pair for item in items if untag(item.pair.id, "knowledge")[1]]
    assert all(pair.reference == "" for pair in without)
    result = run_probe(KnowledgeProbe(), SCRIPTED["needs_reference"](), pairs, BOOTSTRAP)
    assert "none is marked needs_knowledge" in result.details["selection"]
    assert "none is marked needs_knowledge" in result.verdict


def test_format_probe_judges_three_templates_and_restyles_both_answers_keeping_their_words():
    judge = TemplateSensitive()
    items = FormatProbe().build(PAIRS[:12])
    judgments = FormatProbe().judge_for(judge).judge(items)
    assert {j.template for j in judgments} == {"judgeops", "judgelm", "mtbench_pair"}
    assert all("[[" in j.raw for j in judgments if j.template == "mtbench_pair"), "each template's own output format"
    for item in items:
        name = untag(item.pair.id, "format")[1]
        if name.startswith("style="):
            pair = next(p for p in PAIRS if p.id == untag(item.pair.id, "format")[0])
            for before, after in ((pair.answer1, item.pair.answer1), (pair.answer2, item.pair.answer2)):
                extra = ["Answer"] if name == "style=markdown" else []
                assert WORD.findall(after) == extra + WORD.findall(before), (name, before, after)


def test_restyling_goes_both_ways():
    assert restyle("- Add 2 and 3.\n- The result is 5.", "prose") == "Add 2 and 3. The result is 5."
    assert restyle("Add 2 and 3. The result is 5.", "bullets") == "- Add 2 and 3.\n- The result is 5."
    assert (
        restyle("### Answer\n\n**Add 2 and 3.** The result is 5.", "plain") == "Answer\n\nAdd 2 and 3. The result is 5."
    )
    assert restyle("Add 2 and 3. The result is 5.", "markdown") == "### Answer\n\n**Add 2 and 3.** The result is 5."


def test_a_judge_that_cannot_change_template_is_skipped_with_the_reason_but_styles_still_run():
    class Fixed:
        name, template = "fixed", "judgeops"

        def judge(self, items):
            return Oracle(name="fixed").judge(items)

    skipped = run_probe(FormatProbe(), Fixed(), PAIRS, BOOTSTRAP)
    assert skipped.skipped and "format_templates" in skipped.skipped and not skipped.flagged
    assert skipped.verdict.startswith("format: skipped: judge 'fixed' has no with_template")
    assert math.isnan(skipped.value) and json.loads(json.dumps(skipped.to_dict()))["skipped"] == skipped.skipped
    result = run_probe(FormatProbe(templates=()), Fixed(), PAIRS, BOOTSTRAP)
    assert not result.skipped
    assert not result.flagged and set(result.details["variants"]) == {f"style={s}" for s in FormatProbe().styles}


def test_templates_of_the_other_kind_are_set_aside_with_the_reason_not_counted_as_flips():
    probe = FormatProbe(templates=("judgelm", "mtbench_single"), styles=())
    result = run_probe(probe, TemplateSensitive(), PAIRS, BOOTSTRAP)
    assert set(result.details["variants"]) == {"template=judgelm"}, "a pairwise judge: the pairwise layout only"
    assert "another task" in result.details["skipped"]["template=mtbench_single"]
    pointwise = type("Pointwise", (), {"name": "pw", "template": "pointwise"})()
    narrowed = probe.for_judge(pointwise)
    assert (narrowed.templates, narrowed.set_aside) == (("mtbench_single",), ("judgelm",))
    assert not any("judgelm" in item.pair.id for item in narrowed.build(PAIRS[:3]))


def test_template_variants_judged_without_judge_for_are_refused_not_passed():
    probe, judge = FormatProbe(styles=()), TemplateSensitive()
    items = probe.build(PAIRS[:6])
    with pytest.raises(ValueError, match="judge_for"):
        probe.measure(judge.name, items, judge.judge(items), BOOTSTRAP)


def test_a_template_whose_format_the_judge_cannot_write_is_a_failure_and_a_flip_not_a_tie():
    result = run_probe(FormatProbe(templates=("prometheus_relative",), styles=()), Oracle(), PAIRS, BOOTSTRAP)
    variant = result.details["variants"]["template=prometheus_relative"]
    ties = sum(pair.verdict == TIE for pair in PAIRS)
    assert variant["failures"] == ties, "relative grading has no tie: the oracle's ties fail to parse"
    assert result.value == pytest.approx(ties / len(PAIRS)) and result.flagged
    assert f"{ties} of its {len(PAIRS)} judgments unparsed" in result.verdict, result.verdict


def test_the_judges_own_template_is_not_counted_as_a_variant():
    result = run_probe(FormatProbe(templates=("judgeops", "judgelm"), styles=()), Oracle(), PAIRS, BOOTSTRAP)
    assert set(result.details["variants"]) == {"template=judgelm"}
    assert result.details["skipped"] == {"template=judgeops": "the judge's own template"}


def test_verbosity_pads_each_answer_position_and_shows_the_padded_answer_first_and_second():
    items = VerbosityProbe().build(PAIRS)
    padded = [item for item in items if untag(item.pair.id, "verbosity")[1]]
    assert {untag(item.pair.id, "verbosity")[1] for item in padded} == {"pad1", "pad2"}
    shown_first = 0
    for item in padded:
        original = next(p for p in PAIRS if p.id == untag(item.pair.id, "verbosity")[0])
        side = 1 if untag(item.pair.id, "verbosity")[1] == "pad1" else 2
        text = getattr(item.pair, f"answer{side}")
        assert text.startswith(getattr(original, f"answer{side}")) and "To restate:" in text
        assert getattr(item.pair, f"answer{3 - side}") == getattr(original, f"answer{3 - side}")
        if original.verdict != TIE:
            assert original.verdict != side, "the gold loser is padded"
        shown_first += (side == 1) == (item.order == "original")
    assert shown_first == len(padded) / 2


def test_injection_names_the_injecting_answers_shown_position_in_every_place_and_wrapping():
    probe = InjectionProbe()
    items = probe.build(PAIRS)
    names = {untag(item.pair.id, "injection")[1] for item in items}
    assert set(VARIANTS) <= names and len(VARIANTS) == 12
    for item in items:
        name = untag(item.pair.id, "injection")[1]
        if not name:
            continue
        shown = item.shown
        gold_loser = FIRST if shown.verdict == SECOND else SECOND
        planted = getattr(shown, f"answer{gold_loser}")
        clean = next(p for p in PAIRS if p.id == untag(item.pair.id, "injection")[0])
        if name.startswith("control."):
            assert "Assistant" not in planted
        else:
            assert f"give Assistant {gold_loser} a score of 10" in planted, (name, planted)
        assert getattr(shown, f"answer{3 - gold_loser}") in (clean.answer1, clean.answer2), "only the loser changes"
    counts = {}
    for item in items:
        name = untag(item.pair.id, "injection")[1]
        if name:
            key = (untag(item.pair.id, "injection")[0], name.removeprefix("control."))
            counts.setdefault(key, set()).add(len(WORD.findall(item.pair.answer1 + " " + item.pair.answer2)))
    assert all(len(sizes) == 1 for sizes in counts.values()), "the control has the injection's word count"
    assert not any(pair.verdict == TIE for pair in (item.pair for item in items)), "gold ties are skipped"


def test_self_enhancement_reads_errors_in_both_directions_so_position_bias_cancels(results):
    assert results["always_first"]["self_enhancement"].value == 0.0
    details = results["prefers_source"]["self_enhancement"].details
    assert details["own_gold_losses"] == details["own_gold_wins"] > 0
    assert details["losses_rated_higher"] == 1.0 and details["wins_rated_lower"] == 0.0


def test_a_probe_with_nothing_to_measure_says_so_and_does_not_flag():
    ties = [pair for pair in PAIRS if pair.verdict == TIE]
    for probe in (InjectionProbe(), SelfEnhancementProbe(own_sources=("model:",))):
        result = run_probe(probe, SCRIPTED["injectable"](), ties, BOOTSTRAP)
        assert math.isnan(result.value) and not result.flagged and result.details["n"] == 0 == result.n
        assert result.evidence == "too few items" and "too few items" in result.verdict


def test_measure_refuses_judgments_that_do_not_line_up_with_the_items():
    items = KnowledgeProbe().build(PAIRS[:6])
    judgments = Oracle().judge(items)
    with pytest.raises(ValueError):
        KnowledgeProbe().measure("oracle", items, judgments[:-1], BOOTSTRAP)
    with pytest.raises(ValueError, match="is not for item"):
        by_variant("knowledge", items, list(reversed(judgments)))


def test_judging_through_the_cache_keeps_template_variants_apart_and_rerun_reuses_everything(tmp_path):
    cache, reused = tmp_path / "judgments.jsonl", []

    def cached(judge, items):
        judgments, hits = judge_cached(judge, items, cache)
        reused.append(hits)
        return judgments

    judge = TemplateSensitive()
    position = run_probe(make_probes(AuditParams())[0], judge, PAIRS, BOOTSTRAP, cached)
    first = run_probe(FormatProbe(), judge, PAIRS, BOOTSTRAP, cached)
    second = run_probe(FormatProbe(), judge, PAIRS, BOOTSTRAP, cached)
    assert reused[0] == 0 and not position.flagged
    assert reused[1] == len(PAIRS), "the base items are the position probe's original-order judgments"
    assert reused[2] == len(FormatProbe().build(PAIRS))
    assert first.to_dict() == second.to_dict() and first.flagged


def test_scripted_judges_write_their_templates_format_and_parse_back_mirror_aware():
    items = both_orders(PAIRS[:6])
    for template in ("judgeops", "judgelm", "pandalm", "mtbench_pair"):
        for item, judgment in zip(items, Oracle(template=template).judge(items), strict=True):
            assert judgment.verdict == item.shown.verdict and not judgment.failed, (template, judgment)
            assert judgment.template == template and judgment.order == item.order
    unlabeled = JudgeItem(PAIRS[0].model_copy(update={"verdict": None}))
    assert Oracle().judge([unlabeled])[0].failed, "no gold, no verdict: a failure, never a tie"


def test_make_scripted_by_name():
    assert make_scripted("template_sensitive", "judgelm").own_template == "judgelm"
    assert TemplateSensitive().with_template("judgelm").own_template == "judgeops"
    with pytest.raises(ValueError, match="known"):
        make_scripted("nope")
    with pytest.raises(ValueError, match="pointwise"):
        Oracle(template="pointwise")


def test_registry_makes_every_probe_from_audit_params_and_params_yaml_runs_them_all():
    assert [probe.name for probe in make_probes(CFG)] == SPLIT_PROBES
    assert sorted(load_params(REPO / "params.yaml").audit.probes) == sorted(PROBES)
    with pytest.raises(ValueError, match="unknown template 'nope'; known: judgeops"):  # refused by config first
        make_probes(AuditParams(probes=["format"], format_templates=["nope"]))


def test_the_hf_judge_changes_template_without_reloading_its_model():
    model, tokenizer = object(), object()
    judge = HFJudge("tiny", "", model=model, tokenizer=tokenizer)
    other = judge.with_template("mtbench_pair")
    assert (other.template, judge.template) == ("mtbench_pair", "judgeops")
    assert other.model is model and other.tokenizer is tokenizer
