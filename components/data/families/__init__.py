"""The built-in task families, by the names params.yaml uses (components.vocabulary.FAMILIES)."""

from __future__ import annotations

from components.data.families.base import Check, Family
from components.data.families.constraints import Bullets, Keyword, Lowercase, WordCount
from components.data.families.dates import Dates
from components.data.families.knowledge import Capitals, Elements, Planets
from components.data.families.logic import Logic
from components.data.families.numeric import Arithmetic, WordProblem
from components.data.families.records import Extraction, JsonFormat
from components.data.families.text_ops import TextOps
from components.data.families.units import Units
from components.data.families.writing import Writing

FAMILIES: dict[str, Family] = {
    family.name: family
    for family in (
        Arithmetic(),
        WordProblem(),
        Capitals(),
        Elements(),
        Planets(),
        Logic(),
        TextOps(),
        Lowercase(),
        WordCount(),
        JsonFormat(),
        Bullets(),
        Keyword(),
        Extraction(),
        Units(),
        Dates(),
        Writing(),
    )
}


def get_family(name: str) -> Family:
    try:
        return FAMILIES[name]
    except KeyError:
        raise KeyError(f"unknown task family {name!r}; built-in families: {', '.join(FAMILIES)}") from None


__all__ = ["FAMILIES", "Check", "Family", "get_family"]
