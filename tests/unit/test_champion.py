"""Champion promotion: a candidate takes the title only with higher agreement and no lower consistency."""

from __future__ import annotations

import pytest

import components.champion as champion
from components.champion import decide


def holder(
    version: str = "1", agreement: float | None = 0.7, consistency: float | None = 0.8, test_data: str = "t1"
) -> dict:
    tags = {"test_data_md5": test_data} if test_data else {}
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
        (0.5, 0.5, holder(test_data="t0"), True, "measured on other test data (t0, this split is t1)"),
        (0.5, 0.5, holder(test_data=""), True, "other test data (not recorded, this split is t1)"),
    ],
)
def test_the_rule(agreement, consistency, current, promoted, why):
    decision = decide("2", agreement, consistency, current, "t1")
    assert decision["promoted"] is promoted and decision["version"] == "2"
    assert why in decision["why"]


@pytest.fixture
def registry(monkeypatch):
    """The MLflow model registry as a dict: alias -> version with its tags."""
    versions = {"1": {"test_agreement": "0.7", "test_consistency": "0.8", "test_data_md5": "t1"}, "2": {}}
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


def test_a_better_candidate_gets_the_alias_and_keeps_its_figures_as_tags(registry):
    versions, aliases = registry
    assert champion.promote(evaluation(0.75, 0.85), "t1")["promoted"]
    assert aliases["champion"] == "2"
    assert versions["2"] == {"test_agreement": 0.75, "test_consistency": 0.85, "test_data_md5": "t1"}


def test_a_worse_candidate_is_tagged_but_the_alias_stays(registry):
    versions, aliases = registry
    decision = champion.promote(evaluation(0.75, 0.5), "t1")
    assert not decision["promoted"] and aliases["champion"] == "1" and versions["2"]["test_agreement"] == 0.75


def test_a_candidate_measured_on_new_test_data_takes_the_title_from_one_measured_on_old(registry):
    versions, aliases = registry
    decision = champion.promote(evaluation(0.6, 0.5), "t2")  # worse figures, but on another split
    assert decision["promoted"] and aliases["champion"] == "2" and "not comparable" in decision["why"]


def test_without_a_registered_candidate_nothing_changes(registry):
    versions, aliases = registry
    del aliases["candidate"]
    assert champion.promote(evaluation(0.9, 0.9)) == {"promoted": False, "why": "no registered candidate version"}
    assert aliases == {"champion": "1"} and versions["2"] == {}
