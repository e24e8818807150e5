"""Factual questions over the shipped tables: capitals, chemical elements, planets.

A judge cannot verify these without knowing the fact (needs_knowledge=True): they are the
knowledge-bias probe, where a reference answer should change the verdict. Wrong variants come
from the same neighbourhood (a capital of the same region, the next element, the next planet),
which is what a model that half-knows the fact gets wrong.
"""

from __future__ import annotations

import random

from components.data.facts import AMBIGUOUS_SYMBOLS, capital_aliases, country_aliases, element_names, table
from components.data.families.base import Draft, Family
from components.data.families.choice_answers import ChoiceKind, choice_check
from components.data.families.number_answers import NumberKind

ONE_SENTENCE = " Answer in one sentence."
_THE = {"Netherlands", "United Kingdom", "United States", "Philippines"}
_ORDINALS = ["first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth"]


def _neighbours(rows: tuple[dict, ...], index: int, spread: int = 2) -> list[dict]:
    return [rows[i] for i in range(index - spread, index + spread + 1) if i != index and 0 <= i < len(rows)]


def _fact_number(answer: float, say: list[str], tol: float = 0.0) -> dict:
    """A numeric fact: stated first in prose, so the first new number is graded."""
    return {"kind": "number", "answer": answer, "tol": tol, "format": "prose", "pick": "first", "say": say}


class Capitals(Family):
    name = "capitals"
    category = "open_qa"
    needs_knowledge = True
    kinds = {"choice": ChoiceKind()}

    def draft(self, rng: random.Random) -> Draft:
        rows = table("capitals")
        row = rng.choice(rows)
        region = [r for r in rows if r["region"] == row["region"] and r is not row]
        country = f"the {row['country']}" if row["country"] in _THE else row["country"]
        capital = row["capital"]
        if rng.random() < 0.5:
            ask = rng.choice([f"What is the capital of {country}?", f"Which city is the capital of {country}?"])
            say = [f"The capital of {country} is {{}}.", f"{{}} is the capital of {country}.", "It is {}."]
            check = choice_check(capital_aliases(row), "capitals", [r["capital"] for r in region], "city", say)
            return Draft(ask + ONE_SENTENCE, capital, check, key=f"capital:{row['country']}")
        ask = rng.choice(
            [f"Which country has {capital} as its capital?", f"{capital} is the capital of which country?"]
        )
        say = [f"{capital} is the capital of {{}}.", "It is the capital of {}.", "The country is {}."]
        check = choice_check(
            country_aliases(row),
            "countries",
            [r["country"] for r in region],
            "country",
            say,
            ignore=capital_aliases(row),
        )
        return Draft(ask + ONE_SENTENCE, row["country"], check, key=f"country:{capital}")


class Elements(Family):
    name = "elements"
    category = "professional_knowledge"
    needs_knowledge = True
    kinds = {"choice": ChoiceKind(), "number": NumberKind()}

    def draft(self, rng: random.Random) -> Draft:
        rows = table("elements")
        index = rng.randrange(len(rows))
        row, near = rows[index], _neighbours(rows, index)
        name, symbol, number = row["name"], row["symbol"], row["number"]
        asked = rng.choice(["symbol", "name_of_symbol", "number", "name_of_number"])
        key = f"{asked}:{name}"
        if asked == "symbol":
            say = [f"The chemical symbol for {name} is {{}}.", f"{name.capitalize()} has the symbol {{}}."]
            symbols = [r["symbol"] for r in near if r["symbol"] not in AMBIGUOUS_SYMBOLS]
            check = choice_check([symbol], "element_symbols", symbols, "symbol", say, case=True)
            return Draft(f"What is the chemical symbol for {name}?" + ONE_SENTENCE, symbol, check, key=key)
        names = [r["name"] for r in near]
        if asked == "name_of_symbol":
            say = [f"The element with the symbol {symbol} is {{}}.", f"{symbol} is the symbol for {{}}."]
            check = choice_check(element_names(row), "element_names", names, "element", say)
            return Draft(f"Which element has the chemical symbol {symbol}?" + ONE_SENTENCE, name, check, key=key)
        if asked == "name_of_number":
            say = [f"The element with atomic number {number} is {{}}.", f"Element number {number} is {{}}."]
            check = choice_check(element_names(row), "element_names", names, "element", say)
            return Draft(f"Which element has atomic number {number}?" + ONE_SENTENCE, name, check, key=key)
        say = [f"The atomic number of {name} is {{}}.", f"{name.capitalize()} has atomic number {{}}."]
        check = _fact_number(number, say)
        return Draft(f"What is the atomic number of {name}?" + ONE_SENTENCE, str(number), check, key=key)


class Planets(Family):
    name = "planets"
    category = "professional_knowledge"
    needs_knowledge = True
    kinds = {"choice": ChoiceKind(), "number": NumberKind()}

    def draft(self, rng: random.Random) -> Draft:
        rows = table("planets")
        index = rng.randrange(len(rows))
        row = rows[index]
        planet, nth = row["name"], _ORDINALS[index]
        asked = rng.choice(["nth", "position", "type", "diameter", "orbit", "after", "before"])
        if asked == "after" and index == len(rows) - 1 or asked == "before" and index == 0:
            asked = "nth"
        key = f"{asked}:{planet}"
        near = [r["name"] for r in _neighbours(rows, index)]
        if asked == "nth":
            say = [f"The {nth} planet from the Sun is {{}}.", f"{{}} is the {nth} planet from the Sun."]
            check = choice_check([planet], "planets", near, "planet", say)
            return Draft(f"Which planet is the {nth} planet from the Sun?" + ONE_SENTENCE, planet, check, key=key)
        if asked in ("after", "before"):
            other = rows[index + 1] if asked == "after" else rows[index - 1]
            rest = [n for n in near if n != other["name"]]
            say = [f"The planet right {asked} {planet} is {{}}.", f"{{}} comes right {asked} {planet}."]
            check = choice_check([other["name"]], "planets", rest, "planet", say, ignore=[planet])
            ask = f"Going outward from the Sun, which planet comes right {asked} {planet}?"
            return Draft(ask + ONE_SENTENCE, other["name"], check, key=key)
        if asked == "type":
            types = [t for t in ("terrestrial", "gas giant", "ice giant") if t != row["type"]]
            say = [f"{planet} belongs to the {{}} planets.", f"The type of {planet} is {{}}."]
            check = choice_check([row["type"]], "planet_types", types, "planet type", say)
            ask = f"Is {planet} a terrestrial planet, a gas giant or an ice giant?"
            return Draft(ask + ONE_SENTENCE, row["type"], check, key=key)
        if asked == "position":
            say = [f"{planet} is planet number {{}} from the Sun.", "It is planet number {}."]
            check = _fact_number(row["order"], say)
            ask = f"Counting outward from the Sun, what number planet is {planet}?"
            return Draft(ask + ONE_SENTENCE, str(row["order"]), check, key=key)
        if asked == "diameter":
            say = [f"{planet} is about {{}} km across.", "Its diameter is roughly {} kilometres."]
            check = _fact_number(row["diameter_km"], say, tol=0.05)
            ask = f"Roughly how many kilometres wide is {planet}?"
            return Draft(ask + ONE_SENTENCE, f"About {row['diameter_km']} km", check, key=key)
        days = row["orbit_days"]
        say = [f"{planet} takes about {{}} Earth days to orbit the Sun.", "One orbit takes roughly {} days."]
        check = _fact_number(days, say, tol=0.03)
        ask = f"About how many Earth days does {planet} take to orbit the Sun once?"
        return Draft(ask + ONE_SENTENCE, f"About {days:g} days", check, key=key)
