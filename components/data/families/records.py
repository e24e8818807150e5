"""Records: write given facts as a JSON object; extract facts from a short passage.

Extraction passages hold a distractor for every asked fact (a second person, city, year and
count), so a wrong answer is a real misreading, not a random value.
"""

from __future__ import annotations

import json
import random

from components.data.families.base import Draft, Family
from components.data.families.field_answers import FieldsKind
from components.data.families.pools import CITIES, FIRST_NAMES, NOUNS, ORGANISATIONS, SURNAMES


def _person(rng: random.Random, avoid: tuple[str, ...] = ()) -> str:
    first = rng.choice([n for n in FIRST_NAMES if not any(a.startswith(n) for a in avoid)])
    return f"{first} {rng.choice([s for s in SURNAMES if not any(a.endswith(s) for a in avoid)])}"


def _other(rng: random.Random, value: int, low: int, high: int) -> int:
    return rng.choice([v for v in range(low, high + 1) if v != value and abs(v - value) <= 12])


class JsonFormat(Family):
    name = "json_format"
    category = "fundamental"
    kinds = {"fields": FieldsKind()}

    def draft(self, rng: random.Random) -> Draft:
        schema = rng.choice(["person", "book", "order"])
        if schema == "person":
            name, age, city = _person(rng), rng.randint(18, 90), rng.choice(CITIES)
            fields = {"name": name, "age": age, "city": city}
            near = {
                "name": _person(rng, (name,)),
                "age": _other(rng, age, 18, 90),
                "city": rng.choice([c for c in CITIES if c != city]),
            }
            text = f"{name} is {age} years old and lives in {city}."
        elif schema == "book":
            title = f"The {rng.choice(NOUNS).capitalize()} of {rng.choice(CITIES)}"
            author, year = _person(rng), rng.randint(1950, 2023)
            fields = {"title": title, "author": author, "year": year}
            near = {
                "title": title.replace("The ", "A "),
                "author": _person(rng, (author,)),
                "year": _other(rng, year, 1950, 2023),
            }
            text = f'"{title}" was written by {author} and published in {year}.'
        else:
            item, quantity, price = rng.choice(NOUNS), rng.randint(2, 40), rng.randint(3, 250)
            fields = {"item": item, "quantity": quantity, "price": price}
            near = {
                "item": rng.choice([n for n in NOUNS if n != item]),
                "quantity": _other(rng, quantity, 2, 40),
                "price": _other(rng, price, 3, 250),
            }
            text = f"An order of {quantity} of the item {item}, at {price} dollars each."
        keys = ", ".join(f'"{k}"' for k in fields)
        ask = f"Write a JSON object with the keys {keys} for the record below. Reply with the JSON object only."
        check = {
            "kind": "fields",
            "format": "json",
            "fields": fields,
            "near": {k: [v] for k, v in near.items()},
        }
        return Draft(ask, json.dumps(fields, ensure_ascii=False), check, input=text)


_QUESTIONS = {
    "founder": ("who founded {org}", "was founded by {}"),
    "city": ("in which city {org} was founded", "started out in {}"),
    "year": ("in which year {org} was founded", "opened in {}"),
    "staff": ("how many people {org} employs today", "employs {} people today"),
}


class Extraction(Family):
    name = "extraction"
    category = "fundamental"
    kinds = {"fields": FieldsKind()}

    def draft(self, rng: random.Random) -> Draft:
        org = f"the {rng.choice(ORGANISATIONS)}"
        founder = _person(rng)
        director = _person(rng, (founder,))
        city, moved_to = rng.sample(CITIES, 2)
        year = rng.randint(1950, 2000)
        later = rng.randint(year + 5, 2020)
        staff = rng.randint(12, 400)
        volunteers = _other(rng, staff, 5, 420)
        passage = (
            f"{org[0].upper()}{org[1:]} was founded by {founder} in {city} in {year}. "
            f"In {later}, {director} became its director and moved it to {moved_to}. "
            f"Today it employs {staff} people and works with {volunteers} volunteers."
        )
        values = {"founder": founder, "city": city, "year": year, "staff": staff}
        decoys = {"founder": director, "city": moved_to, "year": later, "staff": volunteers}
        keys = sorted(rng.sample(sorted(values), 2), key=list(_QUESTIONS).index)
        asked = " and ".join(_QUESTIONS[k][0].format(org=org if i == 0 else "it") for i, k in enumerate(keys))
        check = {
            "kind": "fields",
            "format": "prose",
            "fields": {k: values[k] for k in keys},
            "aliases": {k: _spellings(values[k]) for k in keys},
            "near": {k: _spellings(decoys[k]) for k in keys},
            "subject": org,
            "frags": {k: _QUESTIONS[k][1] for k in keys},
        }
        reference = "; ".join(str(values[k]) for k in keys)
        return Draft(f"According to the passage, say {asked}.", reference, check, input=passage)


def _spellings(value: str | int) -> list[str]:
    """A person may be named by surname alone."""
    text = str(value)
    return [text, text.split()[-1]] if " " in text else [text]
