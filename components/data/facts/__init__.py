"""Fact tables we write and ship (capitals, elements, planets, closed sets of well-known things).

They are package data read with importlib.resources, so the oracle's ground truth travels with the
wheel. Pools are the closed sets a verifier searches for rivals: naming a second capital, symbol
or planet besides the right one is a hedge, not an answer.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

# Symbols that are also English words ("He said", "Be careful"): they may be asked for, but finding
# them in an answer is no evidence that another element was named.
AMBIGUOUS_SYMBOLS = frozenset({"He", "Be"})
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@cache
def table(name: str) -> tuple[dict, ...]:
    """Rows of facts/<name>.json."""
    text = resources.files(__package__).joinpath(f"{name}.json").read_text(encoding="utf-8")
    return tuple(json.loads(text))


def capital_aliases(row: dict) -> list[str]:
    return [row["capital"], *row.get("capital_aliases", [])]


def country_aliases(row: dict) -> list[str]:
    return [row["country"], *row.get("country_aliases", [])]


def element_names(row: dict) -> list[str]:
    return [row["name"], *row.get("aliases", [])]


def set_named(name: str) -> dict:
    return next(row for row in table("sets") if row["name"] == name)


@cache
def pool(name: str) -> tuple[tuple[str, ...], ...]:
    """Each entity of a closed set as its tuple of accepted spellings, canonical first."""
    if name == "capitals":
        return tuple(tuple(capital_aliases(r)) for r in table("capitals"))
    if name == "countries":
        return tuple(tuple(country_aliases(r)) for r in table("capitals"))
    if name == "element_names":
        return tuple(tuple(element_names(r)) for r in table("elements"))
    if name == "element_symbols":
        return tuple((r["symbol"],) for r in table("elements") if r["symbol"] not in AMBIGUOUS_SYMBOLS)
    if name == "planets":
        return tuple((r["name"],) for r in table("planets"))
    if name == "planet_types":
        return tuple((t,) for t in dict.fromkeys(r["type"] for r in table("planets")))
    if name == "weekdays":
        return tuple((d,) for d in WEEKDAYS)
    raise KeyError(f"no fact pool named {name!r}")
