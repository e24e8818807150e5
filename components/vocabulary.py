"""The names params.yaml may use for each registry, and the judges' score scale: what config checks against.

Config sits below every registry (families, answer variants, templates, audit probes), so it cannot
import them: importing the families or the probes would make every stage depend on their code and, for
the probes, load pandas to read params.yaml. It imports this module instead, which imports nothing.
Where a registry is a plain tuple, it is this one (``PIPELINE_JUDGES``, ``JUDGE_MODES``,
``TARGET_FORMATS``, ``ANSWER_STYLES``); where it maps names to code, it lives with that code and
tests/unit/test_vocabulary.py fails when its names and these differ.
"""

from __future__ import annotations

from collections.abc import Iterable

SCORE_RANGE = (1.0, 10.0)
"""JudgeLM's 1-10 scale, inclusive: every score a judge writes, a teacher gives or an importer keeps lies in it.
The parsers refuse a score outside it ("0 0", "15 3"), so a verdict is never read from one."""

FAMILIES = (
    "arithmetic",
    "word_problem",
    "capitals",
    "elements",
    "planets",
    "logic",
    "text_ops",
    "lowercase",
    "word_count",
    "json_format",
    "bullets",
    "keyword",
    "extraction",
    "units",
    "dates",
    "writing",
)
"""The task families (components.data.families.FAMILIES)."""

VARIANTS = ("correct", "wrong", "partial", "verbose", "truncated", "off_format", "refusal", "irrelevant")
"""The reference-derived answer variants (components.data.variants.MAKERS)."""

PIPELINE_JUDGES = ("finetuned", "base")
"""The judges the pipeline builds itself: the fine-tuned judge and the untuned base model."""

JUDGE_MODES = ("score_first", "logprob", "generate")
"""How a local judge produces its score line (components.judges.hf)."""

JUDGE_ENGINES = ("torch", "ct2")
"""What runs a local judge's model: transformers on torch, or its CTranslate2 conversion (components.judges.ct2)."""

CT2_COMPUTE_TYPES = ("int8", "int8_float32", "int16", "float32")
"""The CPU compute types the ct2 engine converts a judge to."""

TARGET_FORMATS = ("judgelm", "pandalm", "pointwise")
"""The output formats a judge can be trained to write (components.judges.parsers.format_target)."""

TEMPLATE_OUTPUTS = {
    "judgeops": "judgelm",
    "judgeops_verdict": "pandalm",
    "judgelm": "judgelm",
    "pandalm": "pandalm",
    "mtbench_pair": "mtbench_pair",
    "mtbench_single": "mtbench_single",
    "prometheus_absolute": "prometheus_absolute",
    "prometheus_relative": "prometheus_relative",
    "pointwise": "pointwise",
}
"""Each prompt template (components.judges.templates.TEMPLATES) and the output format it asks for."""

PROBES = ("position", "knowledge", "format", "verbosity", "injection", "self_enhancement", "evalbiasbench")
"""The bias probes (components.audit.registry.FACTORIES)."""

ANSWER_STYLES = ("markdown", "plain", "bullets", "prose")
"""How the format probe restyles both answers of a pair (components.audit.format)."""


def known(kind: str, value: str, names: Iterable[str]) -> str:
    """``value`` when it is one of ``names``; else a ValueError that lists them."""
    names = tuple(names)
    if value not in names:
        raise ValueError(f"unknown {kind} {value!r}; known: {', '.join(names)}")
    return value
