"""Champion promotion: the registered judge version that serving's ``models:/judge@champion`` resolves
to changes only when a new candidate is better on the test split.

``decide`` is the rule, on figures alone; ``promote`` reads and writes the MLflow model registry around
it. The figures are recorded as tags on the candidate's version, so a later candidate is compared with
the champion's own figures, not with a rerun of its judgments.
"""

from __future__ import annotations

from components.tracking import alias_version, set_alias, set_version_tags


def decide(version: str, agreement: float, consistency: float, champion: dict | None, test_data: str = "") -> dict:
    """Whether candidate ``version`` with these figures, measured on the test split whose md5 is
    ``test_data``, takes the title from ``champion`` (its registry entry: ``version`` and ``tags``, or None
    when there is none yet), and why. It needs higher agreement and no lower consistency: a judge that
    agrees more only by answering by position is no better. Figures measured on other test data say nothing
    about each other, so a champion measured on another split (or on one it did not record) gives way to the
    candidate, the only judge measured on this one. A champion without recorded figures (registered by
    hand) compares as NaN, and every comparison with NaN fails: it keeps the title."""
    if champion is None:
        return {"promoted": True, "version": version, "why": "there was no champion yet"}
    if champion["version"] == version:
        return {"promoted": False, "version": version, "why": "the candidate is already the champion"}
    measured_on = champion["tags"].get("test_data_md5", "")
    if "test_agreement" in champion["tags"] and measured_on != test_data:
        why = (
            f"champion v{champion['version']} was measured on other test data "
            f"({measured_on or 'not recorded'}, this split is {test_data or 'not recorded'}): its figures are not "
            "comparable, and the candidate is the only judge measured on this split"
        )
        return {"promoted": True, "version": version, "why": why}
    best_agreement = float(champion["tags"].get("test_agreement", "nan"))
    best_consistency = float(champion["tags"].get("test_consistency", "nan"))
    if agreement > best_agreement and consistency >= best_consistency:
        why = (
            f"agreement {agreement:.3f} > {best_agreement:.3f} and "
            f"consistency {consistency:.3f} >= {best_consistency:.3f}"
        )
        return {"promoted": True, "version": version, "why": why}
    why = (
        f"champion v{champion['version']} keeps the title: candidate agreement {agreement:.3f} "
        f"vs {best_agreement:.3f}, consistency {consistency:.3f} vs {best_consistency:.3f} "
        "(promotion needs higher agreement and no lower consistency)"
    )
    return {"promoted": False, "version": version, "why": why}


def promote(candidate: dict, test_data: str = "") -> dict:
    """Tag the registered ``candidate`` version with its evaluation's figures (``evaluation.evaluate``'s
    output) and the md5 of the test split they were measured on, and move the ``champion`` alias to it when
    ``decide`` says so; returns the decision."""
    version = alias_version("candidate")
    if version is None:
        return {"promoted": False, "why": "no registered candidate version"}
    agreement = candidate["metrics"]["accuracy"]
    consistency = candidate["consistency"]["consistency"]
    figures = {"test_agreement": agreement, "test_consistency": consistency, "test_data_md5": test_data}
    set_version_tags(version["version"], figures)
    decision = decide(version["version"], agreement, consistency, alias_version("champion"), test_data)
    if decision["promoted"]:
        set_alias("champion", version["version"])
    return decision
