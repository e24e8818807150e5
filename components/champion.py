"""Champion promotion: the registered judge version that serving's ``models:/judge@champion`` resolves
to changes only when a candidate is better than it on the same test pairs.

``decide`` is the rule, on figures alone; ``promote`` reads and writes the MLflow model registry around
it. The figures are recorded as tags on the candidate's version, so a later candidate is compared with
the champion's own figures, not with a rerun of its judgments.

One line of champions: figures compare only when measured on the same test split (its md5) by judges on
the same base model. A candidate from another line -- a smoke run on the tiny profile, another data
recipe, another base model -- is tagged with its figures but never takes ``@champion`` from a judge it was
not compared with; the decision says why. Handing the title to another line is a person's call: move the
alias by hand (MLflow UI, or ``MlflowClient().set_registered_model_alias``), or delete it and the next
candidate takes it.

The candidate is the version the finetune stage registered for the judge in models/judge (recorded in
its ``judgeops_judge.json``), never whatever holds the ``candidate`` alias now; and figures measured with
another engine than the registered model's own (``judge.engine: ct2``) describe that engine, not the
version, so they neither tag nor promote it.
"""

from __future__ import annotations

import json
from pathlib import Path

from components.judges.model_ref import JUDGE_IDENTITY
from components.tracking import alias_version, set_alias, set_version_tags

REGISTERED_ENGINE = "torch"  # how the registered pyfunc judges (components/judge_model.py)


def recorded_judge(folder: Path) -> dict:
    """What the finetune stage recorded beside the judge in ``folder`` ({} when nothing is)."""
    try:
        return json.loads((Path(folder) / JUDGE_IDENTITY).read_text())
    except (OSError, ValueError):
        return {}


def decide(
    version: str, agreement: float, consistency: float, champion: dict | None, test_data: str, base_model: str
) -> dict:
    """Whether candidate ``version`` with these figures, measured on the test split whose md5 is
    ``test_data`` and trained from ``base_model``, takes the title from ``champion`` (its registry entry:
    ``version`` and ``tags``, or None when there is none yet), and why. It needs higher agreement and no
    lower consistency: a judge that agrees more only by answering by position is no better. A champion with
    figures from another line (another test split or base model, or one it did not record) keeps the title:
    nothing compared the two on the same pairs. A champion without recorded figures (registered by hand)
    compares as NaN, and every comparison with NaN fails: it keeps the title."""
    if champion is None:
        return {"promoted": True, "version": version, "why": "there was no champion yet"}
    if champion["version"] == version:
        return {"promoted": False, "version": version, "why": "the candidate is already the champion"}
    tags = champion["tags"]
    theirs = (tags.get("test_data_md5", ""), tags.get("base_model", ""))
    if "test_agreement" in tags and theirs != (test_data, base_model):
        why = (
            f"champion v{champion['version']} keeps the title: it was measured in another line (test split "
            f"{theirs[0] or 'not recorded'}, base model {theirs[1] or 'not recorded'}; this candidate: "
            f"{test_data or 'not recorded'}, {base_model or 'not recorded'}), so nothing compared the two on the "
            "same pairs; a candidate contests only its own line's champion"
        )
        return {"promoted": False, "version": version, "why": why}
    best_agreement = float(tags.get("test_agreement", "nan"))
    best_consistency = float(tags.get("test_consistency", "nan"))
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


def promote(candidate: dict, recorded: dict, test_data: str = "", engine: str = REGISTERED_ENGINE) -> dict:
    """Tag the version the judge's folder records (``recorded``: its ``judgeops_judge.json``) with its
    evaluation's figures (``evaluation.evaluate``'s output), the md5 of the test split they were measured on
    and the engine, and move the ``champion`` alias to it when ``decide`` says so; returns the decision."""
    version = recorded.get("registered_version")
    if version is None:
        return {"promoted": False, "why": "models/judge records no registered version (rerun the finetune stage)"}
    version = str(version)
    if engine != REGISTERED_ENGINE:
        why = (
            f"v{version} was judged here with engine {engine}, not as the registered model judges "
            f"({REGISTERED_ENGINE}): these figures describe the engine, so they neither tag nor promote it"
        )
        return {"promoted": False, "version": version, "why": why}
    agreement = candidate["metrics"]["accuracy"]
    consistency = candidate["consistency"]["consistency"]
    figures = {"test_agreement": agreement, "test_consistency": consistency, "test_data_md5": test_data}
    set_version_tags(version, figures)
    base_model = recorded.get("base_model", "")
    decision = decide(version, agreement, consistency, alias_version("champion"), test_data, base_model)
    if decision["promoted"]:
        set_alias("champion", version)
    return decision
