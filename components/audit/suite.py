"""Every configured probe against one judge on one set of pairs: what the audit stage and
`judgeops audit --judge ... --data ...` share."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

from components.audit.base import Bootstrap, ProbeResult
from components.audit.registry import make_probes
from components.audit.runner import run_probe
from components.audit.sample import audit_sample
from components.config import AuditParams
from components.judges.base import Judge
from components.judges.cache import judge_cached
from components.progress import Progress
from components.schemas import Pair


def audit_judge(judge: Judge, pairs: Sequence[Pair], cfg: AuditParams, cache: Path | None = None) -> list[ProbeResult]:
    """Probe results in the order params.yaml lists the probes, on every pair or on ``cfg.max_items``
    of them spread across families (``audit_sample``; each result says which). With ``cache``,
    judgments are appended as they finish and reused on a rerun (and by probes that share items).
    A probe's items go to the judge in one call, so a judge that reads each distinct prompt once per
    call (the pointwise hf judge: an answer shared by pairs, orders and variants) reads it once per probe."""
    pairs, sample = audit_sample(pairs, cfg.max_items)
    bootstrap = Bootstrap(cfg.bootstrap, cfg.seed)
    judge_items = (lambda j, items: judge_cached(j, items, cache, chunk=max(len(items), 1))[0]) if cache else None
    probes = make_probes(cfg)
    results = []
    with Progress(f"audit {judge.name} on {sample}", len(probes), unit="probes", every=0) as progress:
        for probe in probes:
            started = time.perf_counter()
            results.append(run_probe(probe, judge, pairs, bootstrap, judge_items))
            results[-1].sample = results[-1].sample or sample  # a probe with its own set names it
            results[-1].seconds = round(time.perf_counter() - started, 1)
            progress.set_postfix(f"{probe.name}: {_outcome(results[-1])}")
            progress.update()
    return results


def _outcome(result: ProbeResult) -> str:
    if result.skipped:
        return f"skipped ({result.skipped})"
    return f"{result.metric} {result.value:.3f} on {result.n}: {result.evidence}"


def summary_metrics(results: Sequence[ProbeResult]) -> dict[str, float]:
    metrics: dict[str, float] = {}
    for result in results:
        if result.skipped:
            metrics[f"{result.judge}.{result.probe}.skipped"] = 1
            continue
        metrics[f"{result.judge}.{result.probe}.{result.metric}"] = result.value
        metrics[f"{result.judge}.{result.probe}.flagged"] = int(result.flagged)
        metrics[f"{result.judge}.{result.probe}.seconds"] = result.seconds
    return metrics


def render_markdown(results: Sequence[ProbeResult]) -> str:
    samples = dict.fromkeys(r.sample for r in results if r.sample)
    lines = [f"Audited {sample}." for sample in samples] + ([""] if samples else [])
    lines += ["| judge | probe | metric | value | 95% CI | n | families | flag |", "|---|---|---|---|---|---|---|---|"]
    for r in results:
        if r.skipped:
            lines.append(f"| {r.judge} | {r.probe} | -- | -- | -- | -- | -- | skipped |")
            continue
        lines.append(
            f"| {r.judge} | {r.probe} | {r.metric} | {r.value:.3f} | [{r.low:.3f}, {r.high:.3f}] | {r.n} | "
            f"{families_cell(r.families)} | {'**FLAGGED**' if r.flagged else r.evidence} |"
        )
    lines.append("")
    lines += [f"- {r.judge}: {r.verdict}" for r in results]
    return "\n".join(lines) + "\n"


def families_cell(families: dict[str, int]) -> str:
    """``capitals 8, arithmetic 7`` (pairs per task family), largest first."""
    ranked = sorted(families.items(), key=lambda kv: (-kv[1], kv[0]))
    return ", ".join(f"{family or '(none)'} {count}" for family, count in ranked) or "--"
