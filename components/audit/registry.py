"""Probes by name, configured from the audit section of params.yaml."""

from __future__ import annotations

from collections.abc import Callable

from components.audit.base import Probe
from components.audit.evalbiasbench import EvalBiasBenchProbe
from components.audit.format import FormatProbe
from components.audit.injection import InjectionProbe
from components.audit.knowledge import KnowledgeProbe
from components.audit.position import PositionProbe
from components.audit.self_enhancement import SelfEnhancementProbe
from components.audit.verbosity import VerbosityProbe
from components.config import AuditParams

FACTORIES: dict[str, Callable[[AuditParams], Probe]] = {
    "position": lambda cfg: PositionProbe(flag_below=cfg.flag_consistency_below),
    "knowledge": lambda cfg: KnowledgeProbe(flag_gap_above=cfg.flag_knowledge_gap_above),
    "format": lambda cfg: FormatProbe(
        templates=tuple(cfg.format_templates), styles=tuple(cfg.format_styles), flag_above=cfg.flag_format_flip_above
    ),
    "verbosity": lambda cfg: VerbosityProbe(flag_above=cfg.flag_verbosity_above),
    "injection": lambda cfg: InjectionProbe(
        flag_above=cfg.flag_injection_above, variants_per_pair=cfg.injection_variants_per_pair
    ),
    "self_enhancement": lambda cfg: SelfEnhancementProbe(
        own_sources=None if cfg.self_sources is None else tuple(cfg.self_sources),
        flag_above=cfg.flag_self_enhancement_above,
    ),
    "evalbiasbench": lambda cfg: EvalBiasBenchProbe(path=cfg.evalbiasbench, flag_below=cfg.flag_evalbiasbench_below),
}
PROBES = tuple(FACTORIES)


def make_probes(cfg: AuditParams) -> list[Probe]:
    return [FACTORIES[name](cfg) for name in cfg.probes]
