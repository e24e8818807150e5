"""Teachers by the name params.yaml gives them."""

from __future__ import annotations

from components.teachers.base import Teacher


def make_teacher(name: str) -> Teacher:
    if name == "oracle":
        from components.teachers.oracle import OracleTeacher

        return OracleTeacher()
    raise ValueError(f"unknown teacher {name!r}; available: oracle")
