"""Logprob mode: read a judge's score line or verdict from next-token probabilities, with no sampling loop.

Why: the first line is all a verdict needs, and the probabilities behind it are worth more than the
one sample a decoding loop keeps -- they give an expected score and a confidence -- while the cost is
a prompt pass plus a few cached tokens.

How, for the ``judgelm`` line "s1 s2" and a tokenizer that writes numbers digit by digit (SmolLM2:
"10 7" is '1' '0' 'Ġ' '7'), per batch of left-padded prompts sharing one KV cache:

1. One forward pass over each prompt followed by the *probe* token "1". The logits before the probe
   give the first score's first token; those after it give p("0" | "1"), which splits the mass of
   "1" between the scores 1 and 10: p(1) = p("1")·(1 - p("0"|"1")), p(10) = p("1")·p("0"|"1"),
   p(k) = p("k") for k = 2..9.
2. One cached step feeds the most likely first score s1, the separator and the probe again; where s1
   does not start with the probe, the attention mask hides the first probe, so the model sees exactly
   "s1 " + probe. The logits before and after the new probe give the second score the same way.

Each score's valid mass is m = Σ p(k) over k = 1..10 (= Σ p(digit) over digits 1..9); below
``min_mass`` the judgment is a failure ("no score token is likely"), never a tie. Otherwise the
expected score is Σ k·p(k) / m, the verdict is JudgeLM's rule on the most likely scores (higher wins,
equal ties), ``raw`` is the chosen line "s1 s2", and the confidence is p(s1)·p(s2 | "s1 "): the
unnormalised probability the model gives that score line. The expected scores can order the answers
differently from the verdict when the model hesitates between neighbouring scores.

For ``pointwise`` (one score) the first step alone gives the score: its expected value, and the most
likely score as the line the judge states.

For ``pandalm`` one pass over prompt + "T" (the first token of "Tie") reads p("1"), p("2") and
p(tie) = p("tie") + p("T")·p("ie"|"T"); a bare "T" that goes on as "The" is not counted as a tie.
The verdict is the most likely label, its probability the confidence.

The output must start with the score line: leading blanks or markdown, which the text parser
tolerates, put the mass elsewhere and the judgment fails. Tokenizers for which these readings are
not exact (a separator merged with the digits, scores of more than two tokens) are refused.

What a line states and when it fails, given the values' probabilities, is components.judges.score_reading:
the same rules read an endpoint's top_logprobs (components.judges.top_logprobs).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from components.judges.score_reading import (
    LABEL_TEXTS,
    LOGPROB_FORMATS,
    SEPARATOR,
    Reading,
    check_format,
    label_reading,
    score_line_reading,
    score_reading,
    score_texts,
    unlikely,
)
from components.progress import track

__all__ = ["LOGPROB_FORMATS", "Reading", "check_format", "read_judgments"]


@dataclass(frozen=True)
class Choices:
    """The values one output position can take, each with the token sequences that spell it.

    A spelling is one token, or two tokens starting with the shared ``probe``; the first spelling of
    a value is the one fed back when the value is chosen."""

    values: tuple[int, ...]
    names: tuple[str, ...]
    spellings: tuple[tuple[tuple[int, ...], ...], ...]
    probe: int | None

    @classmethod
    def from_texts(cls, tokenizer, texts: dict[int, tuple[str, ...]]) -> Choices:
        spellings = tuple(
            tuple(dict.fromkeys(_ids(tokenizer, text) for text in alternatives)) for alternatives in texts.values()
        )
        flat = [spelling for alternatives in spellings for spelling in alternatives]
        if len(set(flat)) != len(flat):
            raise ValueError(f"logprob mode: two values share a spelling in this tokenizer: {flat}")
        if any(len(spelling) > 2 for spelling in flat):
            raise ValueError(
                f"logprob mode reads values of at most two tokens; this tokenizer spells {texts} as {flat}"
            )
        probes = {spelling[0] for spelling in flat if len(spelling) == 2}
        if len(probes) > 1:
            raise ValueError(f"logprob mode: two-token values must share their first token, got {sorted(probes)}")
        names = tuple(alternatives[0] for alternatives in texts.values())
        return cls(tuple(texts), names, spellings, next(iter(probes), None))

    def probabilities(self, before: torch.Tensor, after_probe: torch.Tensor | None) -> torch.Tensor:
        """[rows, values] probabilities from next-token distributions before and after the probe.
        A one-token spelling equal to the probe keeps only the probe's mass not continued by
        another value's second token (the "1" of "10")."""
        continued = [spelling[1] for alternatives in self.spellings for spelling in alternatives if len(spelling) == 2]
        columns = []
        for alternatives in self.spellings:
            total = torch.zeros(before.shape[0])
            for spelling in alternatives:
                if len(spelling) == 2:
                    total += before[:, spelling[0]] * after_probe[:, spelling[1]]
                elif spelling[0] == self.probe:
                    total += before[:, spelling[0]] * (1 - after_probe[:, continued].sum(-1))
                else:
                    total += before[:, spelling[0]]
            columns.append(total)
        return torch.stack(columns, dim=-1)

    def fed(self, index: int) -> tuple[bool, list[int]]:
        """(whether the probe stays visible, the tokens still to feed) to write value ``index``."""
        spelling = self.spellings[index][0]
        if self.probe is not None and spelling[0] == self.probe:
            return True, list(spelling[1:])
        return False, list(spelling)


def read_judgments(
    model,
    tokenizer,
    prompts: Sequence[str],
    output_format: str,
    batch_size: int = 16,
    min_mass: float = 0.05,
    progress: str | None = None,
) -> list[Reading]:
    """One Reading per prompt (already templated text), in input order."""
    check_format(output_format)
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    read = {"judgelm": _judgelm_reader, "pandalm": _pandalm_reader, "pointwise": _pointwise_reader}[output_format](
        tokenizer
    )
    encoded = [tokenizer(prompt, add_special_tokens=False)["input_ids"] for prompt in prompts]
    readings: list[Reading | None] = [None] * len(prompts)
    batches = shared_prefix_batches(encoded, batch_size)
    if not getattr(model, "reuses_cache", True):  # the ct2 engine runs every row whole: a shared start saves nothing
        batches = [(batch, 0) for batch, _ in batches]
    for batch, shared in track(batches, progress, total=len(prompts), unit="prompts", count=lambda b: len(b[0])):
        cached = _Cached(model, tokenizer.pad_token_id)
        with torch.inference_mode():
            if shared:
                cached.share(encoded[batch[0]][:shared], len(batch))
            rows = [encoded[i][shared:] for i in batch]
            for index, reading in zip(batch, read(cached, rows, min_mass), strict=True):
                readings[index] = reading
    return readings


MIN_SHARED = 16
"""Tokens a batch's prompts must share at their start for the extra pass over it to pay."""


def shared_prefix_batches(encoded: Sequence[Sequence[int]], batch_size: int) -> list[tuple[list[int], int]]:
    """Batches of prompt indices, each with the number of leading tokens all its prompts share (0: none).

    Prompts that share a long start -- a pointwise judge's answers to one question, both orders of a
    pair -- are batched together and that start runs once (its KV cache repeated across the rows), so
    a batch pays for the system line, the question and the reference once instead of once per row.
    Walking the prompts in token order, a prompt joins the open batch when that costs fewer token
    passes (the shared start once, every row padded to the longest) than reading it on its own;
    prompts left alone are batched by length, as without sharing. At least one token of every prompt
    stays unshared, so each row has a position whose next-token distribution is read."""
    batches: list[tuple[list[int], int]] = []
    alone: list[int] = []

    def close(members: list[int], shared: int) -> None:
        if len(members) == 1:
            alone.extend(members)
        else:
            batches.append((sorted(members, key=lambda i: len(encoded[i])), shared if shared >= MIN_SHARED else 0))

    members: list[int] = []
    shared = longest = 0
    for index in sorted(range(len(encoded)), key=lambda i: list(encoded[i])):
        size = len(encoded[index])
        if members and len(members) < batch_size:
            joint = min(shared, _common(encoded[members[0]], encoded[index]), size - 1)
            width = max(longest, size)
            cost_now = shared + len(members) * (longest - shared) + size
            if joint + (len(members) + 1) * (width - joint) <= cost_now:
                members.append(index)
                shared, longest = joint, width
                continue
        if members:
            close(members, shared)
        members, shared, longest = [index], size - 1, size
    if members:
        close(members, shared)
    alone.sort(key=lambda i: len(encoded[i]))
    batches += [(alone[i : i + batch_size], 0) for i in range(0, len(alone), batch_size)]
    return batches


def _common(a: Sequence[int], b: Sequence[int]) -> int:
    """The length of the longest common start of two token sequences."""
    n = min(len(a), len(b))
    return next((i for i in range(n) if a[i] != b[i]), n)


class _Cached:
    """Rows continued together through one KV cache. Every feed is left-padded, so the last column is
    each row's newest token; positions come from the attention mask, as in ``generate``."""

    def __init__(self, model, pad_id: int):
        self.model, self.pad_id = model, pad_id
        self.mask: torch.Tensor | None = None
        self.cache = None

    def share(self, prefix: list[int], rows: int) -> None:
        """Run ``prefix`` once and continue ``rows`` rows from it: the KV cache and mask repeated per row."""
        self.feed([prefix])
        self.cache.batch_repeat_interleave(rows)
        self.mask = self.mask.repeat(rows, 1)

    def feed(self, rows: list[list[int]], keep: int = 1) -> torch.Tensor:
        """Next-token probabilities [rows, keep, vocab] at the last ``keep`` columns of this feed."""
        width = max(len(row) for row in rows)
        device = getattr(self.model, "device", "cpu")  # a scripted test model has none
        ids = torch.tensor([[self.pad_id] * (width - len(row)) + row for row in rows], device=device)
        fresh = torch.tensor([[0] * (width - len(row)) + [1] * len(row) for row in rows], device=device)
        self.mask = fresh if self.mask is None else torch.cat([self.mask, fresh], dim=1)
        positions = (self.mask.cumsum(-1) - 1).clamp(min=0)[:, -width:]
        out = self.model(
            input_ids=ids,
            attention_mask=self.mask,
            position_ids=positions,
            cache=self.cache,
            use_cache=True,
            logits_to_keep=keep,
        )
        self.cache = out.cache
        return out.logits.float().softmax(-1).cpu()

    def hide_last(self, rows: torch.Tensor) -> None:
        """Mask the last fed column for ``rows``: later tokens neither see it nor count its position."""
        self.mask[rows.to(self.mask.device), -1] = 0


def _ids(tokenizer, text: str) -> tuple[int, ...]:
    return tuple(tokenizer(text, add_special_tokens=False)["input_ids"])


def _score_choices(tokenizer) -> Choices:
    return Choices.from_texts(tokenizer, score_texts())


def _pointwise_reader(tokenizer):
    scores = _score_choices(tokenizer)

    def read(cached: _Cached, prompts: list[list[int]], min_mass: float) -> list[Reading]:
        return _likely_or_failed(
            *_position(cached, scores, prompts), "score", min_mass, tokenizer, lambda p: score_reading(scores.values, p)
        )

    return read


def _judgelm_reader(tokenizer):
    scores = _score_choices(tokenizer)
    separator = list(_ids(tokenizer, SEPARATOR))
    spelled = dict(zip(scores.values, (alternatives[0] for alternatives in scores.spellings), strict=True))
    for a, b in itertools.product(scores.values, repeat=2):
        line = f"{a}{SEPARATOR}{b}"
        if _ids(tokenizer, line) != spelled[a] + tuple(separator) + spelled[b]:
            raise ValueError(f"logprob mode: this tokenizer does not write {line!r} as score, separator, score")

    def read(cached: _Cached, prompts: list[list[int]], min_mass: float) -> list[Reading]:
        first, greedy = _position(cached, scores, prompts)
        fed = [scores.fed(index) for index in first.argmax(-1).tolist()]
        if scores.probe is not None:
            cached.hide_last(torch.tensor([not keep_probe for keep_probe, _ in fed]))
        second, after_first = _position(cached, scores, [tokens + separator for _, tokens in fed])
        readings = []
        for row, (p1, p2) in enumerate(zip(first.tolist(), second.tolist(), strict=True)):
            if sum(p1) < min_mass:
                readings.append(_unlikely("score", sum(p1), min_mass, "", greedy[row], tokenizer))
            elif sum(p2) < min_mass:
                written = f"{scores.values[int(first[row].argmax())]}{SEPARATOR}"
                readings.append(_unlikely("second score", sum(p2), min_mass, written, after_first[row], tokenizer))
            else:
                readings.append(score_line_reading(scores.values, p1, p2))
        return readings

    return read


def _pandalm_reader(tokenizer):
    labels = Choices.from_texts(tokenizer, LABEL_TEXTS)

    def read(cached: _Cached, prompts: list[list[int]], min_mass: float) -> list[Reading]:
        return _likely_or_failed(
            *_position(cached, labels, prompts),
            "verdict",
            min_mass,
            tokenizer,
            lambda p: label_reading(labels.values, labels.names, p),
        )

    return read


def _likely_or_failed(probabilities, greedy, what: str, min_mass: float, tokenizer, one) -> list[Reading]:
    """``one(p)`` for each row whose valid tokens hold at least ``min_mass``; a failure naming the mass elsewhere."""
    return [
        one(p) if sum(p) >= min_mass else _unlikely(what, sum(p), min_mass, "", greedy[row], tokenizer)
        for row, p in enumerate(probabilities.tolist())
    ]


def _position(cached: _Cached, choices: Choices, rows: list[list[int]]) -> tuple[torch.Tensor, torch.Tensor]:
    """Feed ``rows``, each followed by the probe if the choices have one: value probabilities
    [rows, values] for the position after each row, and the full next-token distribution there."""
    if choices.probe is None:
        before = cached.feed(rows)[:, -1]
        return choices.probabilities(before, None), before
    probabilities = cached.feed([row + [choices.probe] for row in rows], keep=2)
    before = probabilities[:, 0]
    return choices.probabilities(before, probabilities[:, 1]), before


def _unlikely(what: str, mass: float, min_mass: float, written: str, next_token: torch.Tensor, tokenizer) -> Reading:
    """A failure naming what greedy decoding would have written at that point."""
    token = int(next_token.argmax())
    return unlikely(what, mass, min_mass, written, tokenizer.decode([token]), float(next_token[token]))
