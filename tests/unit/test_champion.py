"""Champion promotion as a gate: a candidate takes the title only when, on the same test pairs and base model
as the champion's (one line of champions: a smoke run never takes the title), its agreement is not worse
beyond noise (paired bootstrap CI of the difference above -margin), no audit probe is newly flagged and its
parse-failure rate is not higher; the version promoted and tagged is the one models/judge records, not
whatever holds `candidate`; a forced promotion is recorded."""

from __future__ import annotations

import math
from functools import partial

import pytest

import components.champion as champion
from components.champion import decide, paired_difference


def pairs(correct: list[int]) -> dict:
    """pair id -> [question id, correct]: two pairs per question."""
    return {f"p{i:03d}": [f"q{i // 2}", c] for i, c in enumerate(correct)}


def figures(correct, flagged=(), failures=0.0, test_data="t1", base_model="smollm2") -> dict:
    return {
        "test_data_md5": test_data,
        "base_model": base_model,
        "agreement": sum(correct) / len(correct),
        "consistency": 0.9,
        "parse_failure_rate": failures,
        "flagged": list(flagged),
        "pairs": pairs(correct),
    }


def holder(version="1", correct=None, flagged=(), failures=0.0, test_data="t1", base_model="smollm2", card=True):
    correct = correct if correct is not None else [1, 0] * 100  # 0.5 agreement
    mine = figures(correct, flagged, failures, test_data, base_model)
    tags = {"test_data_md5": test_data, "base_model": base_model, "test_agreement": str(mine["agreement"])}
    return {"version": version, "tags": tags, "figures": mine if card else None}


HALF = [1, 0] * 100
BETTER = [1, 1, 1, 0] * 50  # 0.75 on the same pairs
SAME = HALF
SLIGHTLY_WORSE = [1, 0] * 99 + [0, 0]  # 0.495: within noise of 0.5


def test_no_champion_yet():
    assert decide("2", figures(HALF), None)["promoted"]


def test_the_candidate_already_the_champion_changes_nothing():
    decision = decide("1", figures(BETTER), holder())
    assert not decision["promoted"] and "already the champion" in decision["why"]


def test_a_better_candidate_passes_every_check():
    decision = decide("2", figures(BETTER), holder())
    assert decision["promoted"] and "passes every check" in decision["why"]
    assert [c["check"] for c in decision["checks"]] == ["agreement", "audit", "parse_failures"]
    assert decision["checks"][0]["difference"]["low"] > 0


def test_a_candidate_within_noise_of_the_champion_passes_the_agreement_check():
    """Not worse beyond noise: the paired CI of the difference reaches below 0 but not below -margin... or
    lies above it; a slightly lower point figure alone does not block."""
    decision = decide("2", figures(SLIGHTLY_WORSE), holder(), margin=0.05, resamples=500)
    assert decision["checks"][0]["passed"], decision["why"]
    assert decision["checks"][0]["difference"]["value"] < 0


def test_a_candidate_worse_beyond_noise_keeps_candidate():
    worse = [1, 0, 0, 0] * 50  # 0.25 on the same pairs
    decision = decide("2", figures(worse), holder())
    assert (
        not decision["promoted"]
        and "agreement difference -0.250" in decision["why"]
        and "reaches -0.02" in (decision["why"])
    )


def test_a_candidate_that_wins_on_agreement_but_is_newly_flagged_stays_candidate():
    decision = decide("2", figures(BETTER, flagged=["verbosity"]), holder())
    assert not decision["promoted"]
    assert "newly flagged by the audit: verbosity" in decision["why"]
    assert decision["checks"][0]["passed"]  # it did win on agreement


def test_a_probe_the_champion_was_flagged_on_too_is_not_new():
    assert decide("2", figures(BETTER, flagged=["position"]), holder(flagged=["position"]))["promoted"]


def test_a_higher_parse_failure_rate_blocks():
    decision = decide("2", figures(BETTER, failures=0.05), holder(failures=0.01))
    assert not decision["promoted"] and "parse failures 5.0% > the champion's 1.0%" in decision["why"]


def test_a_champion_without_a_card_is_compared_on_its_agreement_figure_and_tags():
    current = holder(card=False)
    current["tags"].update(audit_flagged="none", parse_failure_rate="0.0")
    assert decide("2", figures(BETTER), current)["promoted"]
    decision = decide("2", figures(SLIGHTLY_WORSE), current)
    assert not decision["promoted"] and "recorded no per-pair verdicts" in decision["why"]
    current["tags"]["audit_flagged"] = "position"
    assert decide("2", figures(BETTER, flagged=["position"]), current)["promoted"]


@pytest.mark.parametrize(
    ("current", "why"),
    [
        (holder(test_data="t0"), "another line (test split t0, base model smollm2; this"),
        (holder(base_model="tiny"), "base model tiny; this candidate: t1, smollm2"),
        (holder(test_data=""), "another line (test split not recorded"),
        ({"version": "1", "tags": {}, "figures": None}, "registered by hand"),
    ],
)
def test_one_line_of_champions_and_hand_registered_champions_keep_the_title(current, why):
    decision = decide("2", figures([1] * 200), current)
    assert not decision["promoted"] and why in decision["why"]


def test_the_paired_difference_is_over_the_shared_pairs_by_question():
    diff = paired_difference(figures(BETTER), figures(HALF), resamples=200, seed=1)
    assert diff["pairs"] == 200 and diff["value"] == pytest.approx(0.25)
    assert diff["low"] <= 0.25 <= diff["high"]
    assert paired_difference(figures(BETTER), {"pairs": {}}, 200, 1) is None
    assert math.isnan(paired_difference(figures(BETTER), figures(HALF), 0, 1)["low"])


@pytest.fixture
def registry(monkeypatch):
    """The MLflow model registry as dicts: alias -> version, version -> tags, version -> card figures."""
    champion_tags = {"test_agreement": "0.5", "test_consistency": "0.8", "test_data_md5": "t1", "base_model": "smollm2"}
    versions = {"1": champion_tags, "2": {"base_model": "smollm2"}, "3": {"base_model": "tiny"}}
    cards = {"1": figures(HALF)}
    aliases = {"champion": "1", "candidate": "2"}

    def alias_version(alias):
        version = aliases.get(alias)
        return None if version is None else {"version": version, "run_id": "r", "tags": dict(versions[version])}

    monkeypatch.setattr(champion, "alias_version", alias_version)
    monkeypatch.setattr(champion, "set_alias", aliases.__setitem__)
    monkeypatch.setattr(champion, "set_version_tags", lambda version, tags: versions[version].update(tags))
    monkeypatch.setattr(champion, "promote", partial(champion.promote, figures_of=cards.get))
    return versions, aliases


V2 = {"registered_version": "2", "base_model": "smollm2"}  # models/judge's judgeops_judge.json


def test_a_better_candidate_gets_the_alias_and_keeps_its_figures_as_tags(registry):
    versions, aliases = registry
    decision = champion.promote(figures(BETTER), V2)
    assert decision["promoted"] and decision["tagged"] and aliases["champion"] == "2"
    assert versions["2"]["test_agreement"] == 0.75 and versions["2"]["test_data_md5"] == "t1"


def test_a_newly_flagged_candidate_is_tagged_but_the_alias_stays(registry):
    versions, aliases = registry
    decision = champion.promote(figures(BETTER, flagged=["injection"]), V2)
    assert not decision["promoted"] and aliases["champion"] == "1" and versions["2"]["test_agreement"] == 0.75


def test_a_smoke_run_after_the_default_never_takes_the_title(registry):
    versions, aliases = registry
    aliases["candidate"] = "3"
    smoke = figures([1] * 200, test_data="t-tiny", base_model="tiny")
    decision = champion.promote(smoke, {"registered_version": 3, "base_model": "tiny"})
    assert not decision["promoted"] and aliases["champion"] == "1" and "another line" in decision["why"]
    assert versions["3"]["test_agreement"] == 1.0 and versions["1"]["test_agreement"] == "0.5"


def test_the_version_models_judge_records_is_tagged_not_the_candidate_alias(registry):
    versions, aliases = registry
    aliases["candidate"] = "3"
    decision = champion.promote(figures(BETTER), V2)
    assert decision["promoted"] and decision["version"] == "2" and aliases["champion"] == "2"
    assert versions["3"] == {"base_model": "tiny"}


def test_figures_from_another_engine_neither_tag_nor_promote(registry):
    versions, aliases = registry
    decision = champion.promote(figures(BETTER), {"registered_version": "1", "base_model": "smollm2"}, "ct2:int8")
    assert not decision["promoted"] and "engine ct2:int8" in decision["why"] and "tagged" not in decision
    assert versions["1"]["test_agreement"] == "0.5" and aliases["champion"] == "1"


def test_without_a_recorded_version_nothing_changes(registry):
    versions, aliases = registry
    decision = champion.promote(figures(BETTER), {"base_model": "smollm2"})
    assert not decision["promoted"] and "records no registered version" in decision["why"]
    assert aliases == {"champion": "1", "candidate": "2"} and versions["2"] == {"base_model": "smollm2"}


def test_recorded_judge_reads_what_the_finetune_stage_wrote(tmp_path):
    (tmp_path / "judgeops_judge.json").write_text('{"registered_version": "4", "base_model": "smollm2"}')
    assert champion.recorded_judge(tmp_path)["registered_version"] == "4"
    assert champion.recorded_judge(tmp_path / "missing") == {}
