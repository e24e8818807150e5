"""Champion promotion as a gate: the registered judge version that serving's ``models:/judge@champion``
resolves to changes only when a candidate passes every check against it on the same test pairs.

``decide`` is the rule, on figures alone; ``promote`` reads and writes the MLflow model registry around
it. A candidate's figures (``gate_figures``: agreement, parse-failure rate, the audit probes it is flagged
on, and every test pair's correctness) are recorded on its judge card (components/card) and, at a glance,
as tags on its version, so a later candidate is compared with the champion's own figures, not with a
rerun of its judgments.

The checks, all of which a candidate must pass:

1. one line of champions: figures compare only when measured on the same test split (its md5) by judges on
   the same base model. A candidate from another line -- a smoke run on the tiny profile, another data
   recipe, another base model -- is tagged with its figures but never takes ``@champion`` from a judge it
   was not compared with. Handing the title to another line is a person's call: ``judgeops promote
   VERSION --force --why "..."`` (components/card/commands.py; recorded as tags and on the card).
2. agreement not worse beyond noise: the paired cluster-bootstrap 95% CI of (candidate - champion)
   agreement over the same test pairs, resampled by question, lies wholly above ``-margin``
   (``report.promotion_margin``). A champion whose card holds no per-pair record (registered before cards)
   is compared on its agreement figure: the candidate's must be at least as high.
3. no audit probe newly flagged: every probe flagged on the candidate (components/audit/stats.py's
   evidence rule) was flagged on the champion too.
4. parse-failure rate not higher than the champion's (unchecked, and said so, when the champion recorded none).

A champion without recorded figures (registered by hand) keeps the title: nothing measured it.

The candidate is the version the finetune stage registered for the judge in models/judge (recorded in
its ``judgeops_judge.json``), never whatever holds the ``candidate`` alias now; and figures measured with
another engine than the registered model's own (``judge.engine: ct2``) describe that engine, not the
version, so they neither tag nor promote it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path

from components.judges.model_ref import JUDGE_IDENTITY
from components.tracking import alias_version, set_alias, set_version_tags

REGISTERED_ENGINE = "torch"  # how the registered pyfunc judges (components/judge_model.py)
DEFAULT_MARGIN = 0.02


def recorded_judge(folder: Path) -> dict:
    """What the finetune stage recorded beside the judge in ``folder`` ({} when nothing is)."""
    try:
        return json.loads((Path(folder) / JUDGE_IDENTITY).read_text())
    except (OSError, ValueError):
        return {}


def gate_figures(
    test, evaluation: dict, audit: list[dict], test_data: str, base_model: str, judge: str = "finetuned"
) -> dict:
    """What promotion compares, for a judge's evaluation (``evaluation.evaluate``'s output) on ``test``
    and its audit results (``ProbeResult.to_dict()`` rows; those of ``judge`` count)."""
    return {
        "test_data_md5": test_data,
        "base_model": base_model,
        "agreement": float(evaluation["metrics"]["accuracy"]),
        "consistency": float(evaluation["consistency"]["consistency"]),
        "parse_failure_rate": float(evaluation["metrics"].get("parse_failure_rate", math.nan)),
        "flagged": sorted({r["probe"] for r in audit if r.get("judge") == judge and r.get("flagged")}),
        "pairs": test_record(test, evaluation),
    }


def test_record(test, evaluation: dict) -> dict[str, list]:
    """pair id -> [question id, 1 if the judge agreed with the gold verdict else 0]: what a later candidate
    is paired with (a failed judgment counts as wrong)."""
    return {
        p.id: [p.question_id, int(j.verdict is not None and j.verdict == p.verdict)]
        for p, j in zip(test, evaluation["judgments"], strict=True)
    }


def paired_difference(candidate: dict, champion: dict, resamples: int, seed: int) -> dict | None:
    """Candidate minus champion agreement over the test pairs both recorded, with a 95% CI that resamples
    questions (both judges scored on each resample's pairs); None when they share no pair."""
    from components.metrics import with_ci

    theirs = champion.get("pairs") or {}
    shared = [pid for pid in sorted(candidate.get("pairs") or {}) if pid in theirs]
    if not shared:
        return None
    rows = [(candidate["pairs"][pid][1], theirs[pid][1]) for pid in shared]
    groups = [candidate["pairs"][pid][0] for pid in shared]

    def difference(sample: list[tuple]) -> float:
        return sum(a - b for a, b in sample) / len(sample)

    if resamples <= 0:
        return {"value": difference(rows), "low": math.nan, "high": math.nan, "pairs": len(rows)}
    return {**with_ci(rows, difference, groups, n_resamples=resamples, seed=seed), "pairs": len(rows)}


def decide(
    version: str,
    figures: dict,
    champion: dict | None,
    margin: float = DEFAULT_MARGIN,
    resamples: int = 1000,
    seed: int = 0,
) -> dict:
    """Whether candidate ``version`` with ``figures`` (``gate_figures``) takes the title from ``champion``
    (its registry entry: ``version``, ``tags`` and ``figures``, its card's gate figures or None; or None
    when there is no champion yet), and why. The decision lists each check with whether it passed."""
    if champion is None:
        return {"promoted": True, "version": version, "why": "there was no champion yet", "checks": []}
    if str(champion["version"]) == str(version):
        return {"promoted": False, "version": version, "why": "the candidate is already the champion", "checks": []}
    tags = champion.get("tags", {})
    theirs_figures = champion.get("figures") or {}
    test_data, base_model = figures.get("test_data_md5", ""), figures.get("base_model", "")
    theirs = (tags.get("test_data_md5", ""), tags.get("base_model", ""))
    holder = f"champion v{champion['version']}"
    if "test_agreement" not in tags and not theirs_figures:
        why = f"{holder} keeps the title: it recorded no figures (registered by hand), so nothing measured it"
        return {"promoted": False, "version": version, "why": why, "checks": []}
    if theirs != (test_data, base_model):
        why = (
            f"{holder} keeps the title: it was measured in another line (test split "
            f"{theirs[0] or 'not recorded'}, base model {theirs[1] or 'not recorded'}; this candidate: "
            f"{test_data or 'not recorded'}, {base_model or 'not recorded'}), so nothing compared the two on the "
            "same pairs; a candidate contests only its own line's champion"
        )
        return {"promoted": False, "version": version, "why": why, "checks": []}
    checks = [
        _agreement_check(figures, theirs_figures, tags, margin, resamples, seed),
        _flag_check(figures, theirs_figures, tags),
        _failure_check(figures, theirs_figures, tags),
    ]
    failed = [c for c in checks if not c["passed"]]
    if failed:
        why = f"{holder} keeps the title: " + "; ".join(c["detail"] for c in failed)
    else:
        why = f"passes every check against {holder}: " + "; ".join(c["detail"] for c in checks)
    return {"promoted": not failed, "version": version, "why": why, "checks": checks}


def _agreement_check(figures: dict, theirs: dict, tags: dict, margin, resamples, seed) -> dict:
    diff = paired_difference(figures, theirs, resamples, seed) if theirs.get("pairs") else None
    if diff is not None:
        low = diff["low"]
        passed = not math.isnan(low) and low > -margin
        detail = (
            f"agreement difference {diff['value']:+.3f} (95% CI {low:+.3f} to {diff['high']:+.3f}, paired over "
            f"{diff['pairs']} test pairs) {'lies above' if passed else 'reaches'} -{margin:g}"
        )
        return {"check": "agreement", "passed": passed, "detail": detail, "difference": diff}
    best = float(theirs.get("agreement", tags.get("test_agreement", "nan")))
    ours = figures["agreement"]
    passed = ours >= best
    detail = (
        f"agreement {ours:.3f} vs {best:.3f} (the champion recorded no per-pair verdicts to pair with, so its "
        "agreement figure must be matched)"
    )
    return {"check": "agreement", "passed": passed, "detail": detail}


def _flag_check(figures: dict, theirs: dict, tags: dict) -> dict:
    if "flagged" in theirs:
        before = set(theirs["flagged"])
    else:
        recorded = tags.get("audit_flagged", "none")
        before = set() if recorded in ("", "none") else set(recorded.split(","))
    new = sorted(set(figures.get("flagged", [])) - before)
    if new:
        return {"check": "audit", "passed": False, "detail": f"newly flagged by the audit: {', '.join(new)}"}
    return {"check": "audit", "passed": True, "detail": "no audit probe newly flagged"}


def _failure_check(figures: dict, theirs: dict, tags: dict) -> dict:
    ours = figures.get("parse_failure_rate", math.nan)
    best = float(theirs.get("parse_failure_rate", tags.get("parse_failure_rate", "nan")))
    if math.isnan(best):
        return {"check": "parse_failures", "passed": True, "detail": "the champion recorded no parse-failure rate"}
    passed = not math.isnan(ours) and ours <= best
    detail = f"parse failures {ours:.1%} {'<=' if passed else '>'} the champion's {best:.1%}"
    return {"check": "parse_failures", "passed": passed, "detail": detail}


def promote(
    figures: dict,
    recorded: dict,
    engine: str = REGISTERED_ENGINE,
    margin: float = DEFAULT_MARGIN,
    resamples: int = 1000,
    seed: int = 0,
    figures_of: Callable[[str], dict | None] | None = None,
) -> dict:
    """Tag the version the judge's folder records (``recorded``: its ``judgeops_judge.json``) with its
    figures (``gate_figures``) and the engine, and move the ``champion`` alias to it when ``decide`` says
    so; returns the decision. ``figures_of(version)``: the champion's recorded gate figures (its card's;
    components/card/store.py ``figures_of``), None when it has none."""
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
    set_version_tags(
        version,
        {
            "test_agreement": figures["agreement"],
            "test_consistency": figures["consistency"],
            "test_data_md5": figures["test_data_md5"],
        },
    )
    current = alias_version("champion")
    if current is not None:
        current = {**current, "figures": figures_of(str(current["version"])) if figures_of else None}
    decision = {**decide(version, figures, current, margin, resamples, seed), "tagged": True}
    if decision["promoted"]:
        set_alias("champion", version)
    return decision
