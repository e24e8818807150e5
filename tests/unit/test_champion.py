"""Champion promotion: a candidate takes the title only with higher agreement and no lower consistency, on
the same test pairs and base model as the champion's (one line of champions: a smoke run never takes the
title); the version promoted and tagged is the one models/judge records, not whatever holds `candidate`."""

from __future__ import annotations

import pytest

import components.champion as champion
from components.champion import decide


def holder(
    version: str = "1",
    agreement: float | None = 0.7,
    consistency: float | None = 0.8,
    test_data: str = "t1",
    base_model: str = "smollm2",
) -> dict:
    tags = {"test_data_md5": test_data} if test_data else {}
    if base_model:
        tags["base_model"] = base_model
    if agreement is not None:
        tags["test_agreement"] = str(agreement)
    if consistency is not None:
        tags["test_consistency"] = str(consistency)
    return {"version": version, "tags": tags}


@pytest.mark.parametrize(
    ("agreement", "consistency", "current", "promoted", "why"),
    [
        (0.1, 0.1, None, True, "there was no champion yet"),
        (0.9, 0.9, holder(version="2"), False, "the candidate is already the champion"),
        (0.75, 0.8, holder(), True, "agreement 0.750 > 0.700 and consistency 0.800 >= 0.800"),
        (0.75, 0.79, holder(), False, "champion v1 keeps the title"),  # agrees more, but by position
        (0.7, 0.9, holder(), False, "promotion needs higher agreement"),  # equal agreement is no better
        (0.65, 0.9, holder(), False, "candidate agreement 0.650 vs 0.700"),
        (0.99, 0.99, holder(agreement=None, consistency=None, test_data=""), False, "vs nan"),  # by hand: kept
        (0.99, 0.99, holder(test_data="t0"), False, "another line (test split t0, base model smollm2; this"),
        (0.99, 0.99, holder(test_data=""), False, "another line (test split not recorded"),
        (0.99, 0.99, holder(base_model="tiny"), False, "base model tiny; this candidate: t1, smollm2"),
    ],
)
def test_the_rule(agreement, consistency, current, promoted, why):
    decision = decide("2", agreement, consistency, current, "t1", "smollm2")
    assert decision["promoted"] is promoted and decision["version"] == "2"
    assert why in decision["why"]


@pytest.fixture
def registry(monkeypatch):
    """The MLflow model registry as a dict: alias -> version with its tags."""
    champion_tags = {"test_agreement": "0.7", "test_consistency": "0.8", "test_data_md5": "t1", "base_model": "smollm2"}
    versions = {"1": champion_tags, "2": {"base_model": "smollm2"}, "3": {"base_model": "tiny"}}
    aliases = {"champion": "1", "candidate": "2"}

    def alias_version(alias):
        version = aliases.get(alias)
        return None if version is None else {"version": version, "run_id": "r", "tags": dict(versions[version])}

    monkeypatch.setattr(champion, "alias_version", alias_version)
    monkeypatch.setattr(champion, "set_alias", aliases.__setitem__)
    monkeypatch.setattr(champion, "set_version_tags", lambda version, tags: versions[version].update(tags))
    return versions, aliases


def evaluation(agreement: float, consistency: float) -> dict:
    return {"metrics": {"accuracy": agreement}, "consistency": {"consistency": consistency}}


V2 = {"registered_version": "2", "base_model": "smollm2"}  # models/judge's judgeops_judge.json


def test_a_better_candidate_gets_the_alias_and_keeps_its_figures_as_tags(registry):
    versions, aliases = registry
    assert champion.promote(evaluation(0.75, 0.85), V2, "t1")["promoted"]
    assert aliases["champion"] == "2"
    assert versions["2"] == {
        "test_agreement": 0.75,
        "test_consistency": 0.85,
        "test_data_md5": "t1",
        "base_model": "smollm2",
    }


def test_a_worse_candidate_is_tagged_but_the_alias_stays(registry):
    versions, aliases = registry
    decision = champion.promote(evaluation(0.75, 0.5), V2, "t1")
    assert not decision["promoted"] and aliases["champion"] == "1" and versions["2"]["test_agreement"] == 0.75


def test_a_smoke_run_after_the_default_never_takes_the_title(registry):
    """The tiny profile: another base model and another test split, with figures that look better."""
    versions, aliases = registry
    aliases["candidate"] = "3"
    decision = champion.promote(evaluation(0.99, 1.0), {"registered_version": 3, "base_model": "tiny"}, "t-tiny")
    assert not decision["promoted"] and aliases["champion"] == "1" and "another line" in decision["why"]
    assert versions["3"]["test_agreement"] == 0.99 and versions["1"]["test_agreement"] == "0.7"


def test_a_candidate_on_another_split_of_the_same_base_does_not_take_the_title_either(registry):
    versions, aliases = registry
    decision = champion.promote(evaluation(0.99, 1.0), V2, "t2")
    assert not decision["promoted"] and aliases["champion"] == "1" and "nothing compared the two" in decision["why"]


def test_the_version_models_judge_records_is_tagged_not_the_candidate_alias(registry):
    """`candidate` moved on (another run registered v3) while models/judge still holds v2."""
    versions, aliases = registry
    aliases["candidate"] = "3"
    decision = champion.promote(evaluation(0.75, 0.85), V2, "t1")
    assert decision["promoted"] and decision["version"] == "2" and aliases["champion"] == "2"
    assert versions["3"] == {"base_model": "tiny"} and versions["2"]["test_agreement"] == 0.75


def test_figures_from_another_engine_neither_tag_nor_promote(registry):
    """`dvc exp run -S judge.engine=ct2` reruns judge and report on the champion's own weights."""
    versions, aliases = registry
    recorded = {"registered_version": "1", "base_model": "smollm2"}
    decision = champion.promote(evaluation(0.6, 0.9), recorded, "t1", engine="ct2:int8")
    assert not decision["promoted"] and "engine ct2:int8" in decision["why"]
    assert versions["1"]["test_agreement"] == "0.7" and aliases["champion"] == "1"


def test_without_a_recorded_version_nothing_changes(registry):
    versions, aliases = registry
    decision = champion.promote(evaluation(0.9, 0.9), {"base_model": "smollm2"}, "t1")
    assert not decision["promoted"] and "records no registered version" in decision["why"]
    assert aliases == {"champion": "1", "candidate": "2"} and versions["2"] == {"base_model": "smollm2"}


def test_recorded_judge_reads_what_the_finetune_stage_wrote(tmp_path):
    (tmp_path / "judgeops_judge.json").write_text('{"registered_version": "4", "base_model": "smollm2"}')
    assert champion.recorded_judge(tmp_path)["registered_version"] == "4"
    assert champion.recorded_judge(tmp_path / "missing") == {}
