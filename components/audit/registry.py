"""Probes by name, configured from the audit section of params.yaml."""

from __future__ import annotations

from components.audit.position import PositionProbe
from components.config import AuditParams


def make_probes(cfg: AuditParams) -> list:
    factories = {"position": lambda: PositionProbe(flag_below=cfg.flag_consistency_below)}
    return [factories[name]() for name in cfg.probes]
