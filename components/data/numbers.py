"""Numbers in free text: digits ("1,250", "-6", "4th") and words ("nineteen", "fourth").

A minus sign counts only when it sticks to the digits and does not follow a word or a digit, so
"45 - 51" reads 45 and 51, "= -6" reads -6 and "2024-03-01" reads only 2024.
"""

from __future__ import annotations

import re

_DIGITS = re.compile(r"(?<![\w.)\-])(-?)(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?")
_SMALL = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen"
).split()
_TENS = "twenty thirty forty fifty sixty seventy eighty ninety".split()
_ORDINALS = "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth".split()
_VALUES = {w: i for i, w in enumerate(_SMALL)} | {w: 10 * i for i, w in enumerate(_TENS, start=2)}
_ORDINAL_VALUES = {w: i for i, w in enumerate(_ORDINALS, start=1)}
_SCALES = {"thousand": 1000, "million": 1_000_000}


def numbers(text: str) -> list[float]:
    """Numbers written in digits, in order."""
    found = []
    for m in _DIGITS.finditer(text):
        value = float(m.group(2).replace(",", "") + (m.group(3) or ""))
        found.append(-value if m.group(1) else value)
    return found


def word_numbers(text: str) -> list[float]:
    """Numbers written in words ("two hundred and five", "minus three", "fourth"), in order."""
    tokens = re.findall(r"[a-z]+", text.lower()) + [""]
    found: list[float] = []
    total = current = 0
    inside = negative = False

    def flush() -> None:
        nonlocal total, current, inside, negative
        if inside:
            found.append(float(-(total + current) if negative else total + current))
        total = current = 0
        inside = negative = False

    for index, token in enumerate(tokens):
        following = tokens[index + 1] if index + 1 < len(tokens) else ""
        if token in _VALUES:
            current += _VALUES[token]
            inside = True
        elif token in _ORDINAL_VALUES:
            current += _ORDINAL_VALUES[token]
            inside = True
            flush()
        elif token == "hundred" and inside:
            current *= 100
        elif token in _SCALES and inside:
            total += current * _SCALES[token]
            current = 0
        elif token == "and" and inside and (following in _VALUES or following in _ORDINAL_VALUES):
            continue
        elif token in ("minus", "negative") and following in _VALUES:
            flush()
            negative = True
        else:
            flush()
    return found


def to_words(n: int) -> str:
    """An integer in English words, the way an off-format answer spells it."""
    if n < 0:
        return f"minus {to_words(-n)}"
    if n < 20:
        return _SMALL[n]
    if n < 100:
        tens, rest = divmod(n, 10)
        return _TENS[tens - 2] + (f"-{_SMALL[rest]}" if rest else "")
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        return f"{_SMALL[hundreds]} hundred" + (f" and {to_words(rest)}" if rest else "")
    for name, scale in sorted(_SCALES.items(), key=lambda kv: -kv[1]):
        if n >= scale:
            high, rest = divmod(n, scale)
            return f"{to_words(high)} {name}" + (f" {to_words(rest)}" if rest else "")
    raise AssertionError("unreachable")


def fmt(value: float) -> str:
    """19.0 -> "19", 224.7 -> "224.7"."""
    return str(int(value)) if float(value).is_integer() else f"{value:.10g}"


def close(value: float, target: float, tol: float = 0.0) -> bool:
    """Equal within a relative tolerance (0 for exact answers)."""
    return abs(value - target) <= tol * abs(target) + 1e-9
