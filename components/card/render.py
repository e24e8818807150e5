"""The judge card as Markdown: what MLflow's UI shows as the registered model version's description and
what ``judgeops card`` prints. ``description`` keeps it within the registry's 5,000 characters."""

from __future__ import annotations

import json
import math

MAX_DESCRIPTION = 5000  # the model registry's column for a version's description


def markdown(card: dict) -> str:
    what, data, quality = card.get("what", {}), card.get("data", {}), card.get("quality", {})
    lines = [f"# Judge card: {card.get('model', 'judge')} v{card.get('version', '?')}", ""]
    decision = card.get("decision") or {}
    if decision:
        state = "champion" if decision.get("promoted") else "not promoted"
        forced = " (by hand)" if decision.get("forced") else ""
        lines += [f"**Promotion:** {state}{forced} -- {decision.get('why', '')}", ""]
    lines += ["## Known limits", ""]
    lines += [f"- {limit}" for limit in card.get("limits", [])] or ["- none found by the card's rules"]
    lines += ["", "## What it is", ""]
    lines += [
        f"- base model: {what.get('base_model', '?')} (weights fingerprint {what.get('base_fingerprint', '?')})",
        f"- method: {what.get('method', '?')}; template {what.get('template', '?')}, output format "
        f"{what.get('output_format', '?')}; best step {what.get('best_step')}",
        f"- {what.get('position_consistency', '')}",
        f"- recipe: `{json.dumps(what.get('recipe', {}), sort_keys=True)}`",
    ]
    splits = data.get("splits", {})
    lines += ["", "## What it learned from", ""]
    lines += [
        f"- teacher: {data.get('teacher', '?')}; git rev {str(data.get('git_rev', '?'))[:12]}",
        "- splits: "
        + ", ".join(f"{name} {s.get('pairs')} pairs (md5 {str(s.get('md5', ''))[:12]})" for name, s in splits.items()),
        "- families: " + ", ".join(f"{name} {n}" for name, n in data.get("families", {}).items()),
    ]
    lines += ["", "## How good it is (test split, against the teacher's verdicts)", ""]
    lines += ["| judge | agreement | kappa | macro F1 | parse failures | raw consistency |", "|---" * 6 + "|"]
    for name in ("finetuned", "base"):
        q = quality.get(name)
        if q:
            lines.append(
                f"| {name} | {_ci(q['agreement'])} | {_ci(q['cohen_kappa'])} | {_ci(q['f1_macro'])} | "
                f"{_pct(q['parse_failure_rate'])} | {number(q['consistency'])} |"
            )
    gain = quality.get("gain")
    if gain:
        lines += ["", f"Agreement gain over the base (paired): {_ci(gain, signed=True)}."]
    auc = quality.get("auc", {})
    if auc:
        parts = [f"{name} {_ci(value)}" for name, value in auc.items()]
        teacher = quality.get("teacher_auc")
        if teacher:
            parts.append(f"teacher {number(teacher.get('value', math.nan))}")
        lines += ["", "Correct-vs-wrong AUC (0.5: chance): " + "; ".join(parts) + "."]
    rows = quality.get("by_source", {}).get("finetuned", [])
    if rows:
        lines += ["", "| answers | n | teacher | judge | MAE |", "|---|---|---|---|---|"]
        lines += [
            f"| {r['kind']} | {r['n']} | {number(r['teacher'])} | {number(r['judge'])} | {number(r['mae'])} |"
            for r in rows
        ]
    human = quality.get("human", {})
    lines += [""]
    if human:
        for name, by_judge in human.items():
            lines.append(
                f"Human-labelled {name}: "
                + "; ".join(f"{judge} agreement {_ci(q['agreement'])}" for judge, q in by_judge.items())
                + "."
            )
    else:
        lines.append("Human-labelled sets: none evaluated.")
    lines += ["", "## What fools it (audit probes)", ""]
    lines += ["| probe | metric | value (95% CI) | line | n | status |", "|---|---|---|---|---|---|"]
    for p in card.get("audit", []):
        status = p["evidence"].upper() if p["flagged"] else p["evidence"]
        status = f"skipped: {p['skipped']}" if p["skipped"] else status
        side = "<" if p["lower_is_worse"] else ">"
        lines.append(
            f"| {p['probe']} | {p['metric']} | {_ci(p)} | {side} {number(p['threshold'])} | {p['n']} | {status} |"
        )
    for p in card.get("audit", []):
        for ex in p.get("examples", []):
            lines.append(
                f"\n> {p['probe']} on {ex['pair_id']} ({ex['variant']}): verdict {ex['verdict_before']} -> "
                f'{ex["verdict_after"]}: "{ex["raw_after"]}"'
            )
    return "\n".join(lines) + "\n"


def description(text: str) -> str:
    """``text`` cut at a line to fit the registry's description, saying where the rest is."""
    if len(text) <= MAX_DESCRIPTION:
        return text
    note = "\n\n... (cut to fit the registry; the whole card: artifact card/judge_card.md of this model)\n"
    cut = text[: MAX_DESCRIPTION - len(note)]
    return cut[: cut.rfind("\n")] + note


def number(value) -> str:
    """A figure as the card and the gates print it: three decimals, "n/a" for a missing one (None or NaN)."""
    return "n/a" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.3f}"


def _pct(value) -> str:
    return "n/a" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.1%}"


def _ci(interval: dict, signed: bool = False) -> str:
    fmt = "{:+.3f}" if signed else "{:.3f}"

    def one(value):
        return "n/a" if value is None or math.isnan(value) else fmt.format(value)

    value, low, high = (interval.get(key, math.nan) for key in ("value", "low", "high"))
    return f"{one(value)} [{one(low)}, {one(high)}]"
