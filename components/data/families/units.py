"""Unit conversions with exact, whole-number results, both ways, and Celsius/Fahrenheit.

The plausible wrong answers are the classic slips: a factor of ten off, or multiplying where one
should divide. The conversion factor itself is the partial work an answer can show.
"""

from __future__ import annotations

import random

from components.data.families.base import Draft, Family
from components.data.families.number_answers import NumberKind
from components.data.families.numeric import IN_DIGITS

_FACTORS = [
    ("kilometres", "metres", 1000),
    ("metres", "centimetres", 100),
    ("centimetres", "millimetres", 10),
    ("kilograms", "grams", 1000),
    ("litres", "millilitres", 1000),
    ("hours", "minutes", 60),
    ("minutes", "seconds", 60),
    ("days", "hours", 24),
    ("weeks", "days", 7),
    ("feet", "inches", 12),
    ("yards", "feet", 3),
    ("hours", "seconds", 3600),
]


class Units(Family):
    name = "units"
    category = "mathematics"
    kinds = {"number": NumberKind()}

    def draft(self, rng: random.Random) -> Draft:
        if rng.random() < 0.2:
            return self._temperature(rng)
        big, small, factor = rng.choice(_FACTORS)
        n = rng.choice([k for k in range(2, 51) if k != factor])
        if rng.random() < 0.5:
            value, unit, answer, target = n, big, n * factor, small
            near = [answer * 10, answer // 10 if answer % 10 == 0 else answer + 10, n]
        else:
            value, unit, answer, target = n * factor, small, n, big
            near = [n * 10, value * factor]
        near = [v for v in near if v not in (answer, factor, value)]
        say = [f"{value} {unit} is {{}} {target}.", f"That is {{}} {target}.", "The answer is {}."]
        check = {
            "kind": "number",
            "answer": answer,
            "steps": [factor],
            "near": near,
            "format": "digits",
            "say": say,
        }
        ask = f"Convert {value} {unit} to {target}." + IN_DIGITS
        return Draft(ask, str(answer), check, key=f"{value} {unit} -> {target}")

    def _temperature(self, rng: random.Random) -> Draft:
        celsius = rng.choice([c for c in range(-30, 101, 5) if c != 0])
        fahrenheit = celsius * 9 // 5 + 32
        if rng.random() < 0.5:
            value, unit, answer, target, step = celsius, "Celsius", fahrenheit, "Fahrenheit", celsius * 9 // 5
            near = [celsius + 32, fahrenheit + 10]
        else:
            value, unit, answer, target, step = fahrenheit, "Fahrenheit", celsius, "Celsius", fahrenheit - 32
            near = [fahrenheit - 32, celsius + 10]
        near = [v for v in near if v not in (answer, value, step)]
        say = [f"{value} degrees {unit} is {{}} degrees {target}.", f"That is {{}} degrees {target}."]
        check = {
            "kind": "number",
            "answer": answer,
            "steps": [step],
            "near": near,
            "format": "digits",
            "say": say,
        }
        ask = f"Convert {value} degrees {unit} to degrees {target}." + IN_DIGITS
        return Draft(ask, str(answer), check, key=f"{value} {unit} -> {target}")
