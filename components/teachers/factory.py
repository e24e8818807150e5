"""Teachers by the name params.yaml gives them (``generate.teacher``)."""

from __future__ import annotations

from components import paths
from components.config import GenerateParams
from components.teachers.base import Teacher

OPENAI_CACHE = paths.TEACHER_CACHE / "openai.jsonl"


def make_teacher(cfg: GenerateParams) -> Teacher:
    """The teacher ``cfg.teacher`` names, set up from its block of ``cfg``. Imports are deferred so
    the default oracle run needs neither httpx nor a model."""
    if cfg.teacher == "oracle":
        from components.teachers.oracle import OracleTeacher

        return OracleTeacher()
    if cfg.teacher == "openai":
        from components.teachers.openai import openai_teacher

        return openai_teacher(cfg.openai, OPENAI_CACHE)
    if cfg.teacher == "hf":
        from components.teachers.hf import hf_teacher

        return hf_teacher(cfg.hf, cfg.hf.path or paths.BASE_MODEL)
    if cfg.teacher == "dataset":
        from components.teachers.dataset import DatasetTeacher

        return DatasetTeacher.from_file(cfg.dataset_path, cfg.dataset_scale)
    raise ValueError(f"unknown teacher {cfg.teacher!r}; available: oracle, openai, hf, dataset")
