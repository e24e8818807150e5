"""The judge card as a JSON-ready dict, from figures the report stage already has, and its known limits
written from those figures by fixed rules (``limits``), never by hand."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

from components.audit.base import FLAGGED, NOT_SIGNIFICANT, TOO_FEW

SCHEMA = 1
EXAMPLES = 3  # quoted worst examples per probe
QUOTE = 240  # characters of a quoted raw judge output

# Each probe's line in params.yaml's audit section, and whether lower is worse (components/audit/*).
PROBE_THRESHOLDS = {
    "position": ("flag_consistency_below", True),
    "knowledge": ("flag_knowledge_gap_above", False),
    "format": ("flag_format_flip_above", False),
    "verbosity": ("flag_verbosity_above", False),
    "injection": ("flag_injection_above", False),
    "self_enhancement": ("flag_self_enhancement_above", False),
}

POSITION_MEANING = {
    "pointwise": (
        "pointwise: it grades each answer alone and the verdict follows from the two scores, so swapping "
        "the answers swaps the scores; position consistency is near 1 by construction and says little "
        "about bias -- read the verbosity, format and injection probes instead"
    ),
    "pairwise": (
        "pairwise: it sees both answers at once; position consistency is the share of pairs whose verdict "
        "names the same answer when the two are shown in the other order (1: no position bias)"
    ),
}

# Rules for the known limits.
MAX_PARSE_FAILURES = 0.05
LOW_KAPPA = 0.2
BIG_MAE = 2.0


def ci_dict(interval: dict | None) -> dict:
    """{"value", "low", "high"} with NaN for what is missing."""
    interval = interval or {}
    return {key: float(interval.get(key, math.nan)) for key in ("value", "low", "high")}


def threshold(probe: str, audit_params) -> tuple[float, bool]:
    """The probe's line in ``audit_params`` (params.yaml's audit section) and whether lower is worse."""
    name, lower_is_worse = PROBE_THRESHOLDS.get(probe, ("", False))
    return float(getattr(audit_params, name, math.nan)) if name else math.nan, lower_is_worse


def probe_entry(result: dict, audit_params) -> dict:
    """One audit probe's result (``ProbeResult.to_dict()``) as the card states it."""
    line, lower_is_worse = threshold(result["probe"], audit_params)
    # Flip probes say what a variant changed (before -> after); self_enhancement, the gold verdict against the
    # judge's (gold -> verdict, in an order).
    examples = [
        {
            "pair_id": ex.get("pair_id", ""),
            "variant": ex.get("variant", ex.get("order", "")),
            "verdict_before": ex.get("verdict_before", ex.get("gold")),
            "verdict_after": ex.get("verdict_after", ex.get("verdict")),
            "raw_after": _quote(ex.get("raw_after", ex.get("raw", ""))),
        }
        for ex in (result.get("flipped") or [])[:EXAMPLES]
    ]
    return {
        "probe": result["probe"],
        "metric": result.get("metric", ""),
        "value": float(result.get("value", math.nan)),
        "low": float(result.get("low", math.nan)),
        "high": float(result.get("high", math.nan)),
        "n": int(result.get("n", 0)),
        "threshold": line,
        "lower_is_worse": lower_is_worse,
        "evidence": result.get("evidence", ""),
        "flagged": bool(result.get("flagged", False)),
        "skipped": result.get("skipped", ""),
        "verdict": result.get("verdict", ""),
        "examples": examples,
    }


def quality_entry(evaluation: dict) -> dict:
    """A judge's test figures (``evaluation.evaluate``'s output): agreement, kappa and macro F1 with the CIs
    evaluate computed, parse-failure rate and raw position consistency."""
    m, cis = evaluation["metrics"], evaluation["cis"]
    return {
        "agreement": ci_dict(cis.get("accuracy")),
        "cohen_kappa": ci_dict(cis.get("cohen_kappa") or {"value": m.get("cohen_kappa", math.nan)}),
        "f1_macro": ci_dict(cis.get("f1_macro")),
        "parse_failure_rate": float(m.get("parse_failure_rate", math.nan)),
        "consistency": float(evaluation.get("consistency", {}).get("consistency", math.nan)),
    }


def build_card(
    *,
    version: str,
    recorded: dict,
    what: dict,
    data: dict,
    quality: dict,
    audit: Sequence[dict],
    audit_params,
    decision: dict,
    gate_figures: dict,
) -> dict:
    """The card of registered version ``version``. ``recorded``: models/judge's judgeops_judge.json;
    ``what``: base model, fingerprint, recipe, template, kind; ``data``: teacher, families, splits, md5s,
    git rev; ``quality``: per judge (finetuned, base) ``quality_entry``, plus ``gain``, ``auc``,
    ``by_source``, ``teacher_auc``, ``human``; ``audit``: the fine-tuned judge's probe results;
    ``decision``: the promotion decision; ``gate_figures``: what promotion compares."""
    probes = [probe_entry(r, audit_params) for r in audit]
    card = {
        "schema": SCHEMA,
        "model": "judge",
        "version": str(version),
        "what": {
            **what,
            "method": recorded.get("method", what.get("method", "")),
            "template": recorded.get("template", what.get("template", "")),
            "output_format": recorded.get("output_format", what.get("output_format", "")),
            "best_step": recorded.get("best_step"),
            "position_consistency": POSITION_MEANING.get(what.get("kind", ""), ""),
        },
        "data": data,
        "quality": quality,
        "audit": probes,
        "decision": decision,
        "gate_figures": gate_figures,
    }
    card["limits"] = limits(card)
    return card


def limits(card: dict) -> list[str]:
    """The card's known limits, each from a rule on its figures."""
    found: list[str] = []
    quality = card.get("quality", {})
    tuned = quality.get("finetuned", {})
    auc = ci_dict(quality.get("auc", {}).get("finetuned"))
    if not math.isnan(auc["value"]):
        span = f"correct-vs-wrong AUC {auc['value']:.2f} (95% CI {_f(auc['low'])}-{_f(auc['high'])})"
        found += _against_line(
            auc,
            0.5,
            f"ranks wrong answers above correct ones: {span}",
            f"cannot tell right from wrong answers: {span} includes 0.5",
        )
    else:
        found.append("its correct-vs-wrong AUC was not measured (no correct and wrong answers in the test split)")
    gain = ci_dict(quality.get("gain"))
    if not math.isnan(gain["value"]):
        span = f"agreement gain {gain['value']:+.3f} (95% CI {gain['low']:+.3f} to {gain['high']:+.3f})"
        found += _against_line(
            gain,
            0.0,
            f"agrees with the teacher less than its base model does: {span}",
            f"not shown to agree with the teacher better than its base model: {span} includes 0",
        )
    kappa = ci_dict(tuned.get("cohen_kappa"))
    if not math.isnan(kappa["value"]) and kappa["value"] < LOW_KAPPA:
        found.append(f"agreement with the teacher is barely above chance: kappa {kappa['value']:.2f} < {LOW_KAPPA}")
    failures = tuned.get("parse_failure_rate", math.nan)
    if not math.isnan(failures) and failures > MAX_PARSE_FAILURES:
        found.append(f"gives no readable verdict on {failures:.1%} of test pairs (over {MAX_PARSE_FAILURES:.0%})")
    for row in quality.get("by_source", {}).get("finetuned", []):
        mae = row.get("mae", math.nan)
        if not math.isnan(mae) and mae >= BIG_MAE:
            found.append(
                f"scores {row['kind']} answers {mae:.1f} points from the teacher on average "
                f"(judge {row['judge']:.1f} vs teacher {row['teacher']:.1f}, {row['n']} answers)"
            )
    for probe in card.get("audit", []):
        name = probe["probe"]
        if probe["skipped"]:
            found.append(f"{name} bias not measured: {probe['skipped']}")
        elif probe["evidence"] == FLAGGED:
            side = "below" if probe["lower_is_worse"] else "above"
            found.append(
                f"fooled by {name}: {probe['metric']} {_f(probe['value'])} (95% CI {_f(probe['low'])}-"
                f"{_f(probe['high'])}) wholly {side} its line {_f(probe['threshold'])}"
            )
        elif probe["evidence"] == NOT_SIGNIFICANT:
            found.append(
                f"possibly fooled by {name}: {probe['metric']} {_f(probe['value'])} is past its line "
                f"{_f(probe['threshold'])}, but the 95% CI reaches back over it"
            )
        elif probe["evidence"] == TOO_FEW:
            found.append(f"{name} bias not measured reliably: {probe['n']} items")
    human = quality.get("human", {})
    if not human:
        teacher = card.get("data", {}).get("teacher", "the teacher")
        found.append(f"not evaluated on any human-labelled set: its agreement is with {teacher} only")
    if card.get("what", {}).get("kind") == "pointwise":
        found.append("position consistency says little about a pointwise judge (see what it is)")
    return found


def _against_line(interval: dict, line: float, below: str, reaching: str) -> list[str]:
    """``below`` when the 95% CI lies wholly below ``line``, ``reaching`` when it reaches it (or has no low end),
    nothing when it lies wholly above: a figure that should clear a line (chance, no gain)."""
    if interval["high"] < line:
        return [below]
    if math.isnan(interval["low"]) or interval["low"] <= line:
        return [reaching]
    return []


def families(pairs) -> dict[str, int]:
    """Task family -> pairs, most first."""
    return dict(Counter(p.family for p in pairs).most_common())


def _quote(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= QUOTE else text[: QUOTE - 3] + "..."


def _f(value: float) -> str:
    return "n/a" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.2f}"
