"""Batched generation with a local causal LM: the one place that drives ``model.generate``.

Prompts are sorted by length so each batch pads little, padded on the left so every row's
continuation starts at the same column, and returned in the caller's order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
from transformers import StoppingCriteria, StoppingCriteriaList

from components.progress import track


@dataclass(frozen=True)
class Decoding:
    max_new_tokens: int = 64
    temperature: float = 0.0
    top_p: float = 1.0
    stop_at_newline: bool = False


def chat_prompt(tokenizer, messages: list[dict]) -> str:
    return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)


@dataclass(frozen=True)
class TokenLogprob:
    """One generated token: its text, log-probability, and the ``top`` likeliest tokens there with theirs
    (from the model's raw distribution, before temperature or top-p, as vLLM and OpenAI report them)."""

    token: str
    logprob: float
    top: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True)
class Generated:
    """A continuation, and with ``top_logprobs`` asked, its tokens up to the end-of-turn or stop token."""

    text: str
    tokens: tuple[TokenLogprob, ...] = ()


def generate(
    model,
    tokenizer,
    prompts: Sequence[str],
    decoding: Decoding,
    batch_size: int = 16,
    seed: int = 0,
    progress: str | None = None,
    halt: Callable[[], bool] | None = None,
) -> list[str]:
    """Continuations of ``prompts`` (already templated text), in input order. ``halt`` is asked after
    every decoding step; when it answers True every row stops there (a server shutting down)."""
    return [
        done.text for done in generate_scored(model, tokenizer, prompts, decoding, batch_size, seed, progress, halt)
    ]


def generate_scored(
    model,
    tokenizer,
    prompts: Sequence[str],
    decoding: Decoding,
    batch_size: int = 16,
    seed: int = 0,
    progress: str | None = None,
    halt: Callable[[], bool] | None = None,
    top_logprobs: int = 0,
) -> list[Generated]:
    """``generate``, and with ``top_logprobs`` > 0 each generated token's log-probability and the
    ``top_logprobs`` likeliest tokens at its position (what an OpenAI-compatible server returns)."""
    tokenizer.padding_side = "left"
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    order = sorted(range(len(prompts)), key=lambda i: len(prompts[i]))
    outputs: list[Generated] = [Generated("")] * len(prompts)
    torch.manual_seed(seed)
    stop_ids = _stop_ids(tokenizer, decoding.stop_at_newline)
    batches = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    for batch in track(batches, progress, total=len(prompts), unit="prompts", count=len):
        encoded = tokenizer([prompts[i] for i in batch], return_tensors="pt", padding=True, add_special_tokens=False)
        encoded = encoded.to(model.device)
        sampling = decoding.temperature > 0
        with torch.inference_mode():
            generated = model.generate(
                **encoded,
                max_new_tokens=decoding.max_new_tokens,
                do_sample=sampling,
                temperature=decoding.temperature if sampling else None,
                top_p=decoding.top_p if sampling else None,
                top_k=None,
                eos_token_id=stop_ids,
                pad_token_id=tokenizer.pad_token_id,
                stopping_criteria=StoppingCriteriaList([_Halt(halt)]) if halt else None,
                return_dict_in_generate=True,
                output_logits=top_logprobs > 0,
            )
        new_tokens = generated.sequences[:, encoded["input_ids"].shape[1] :]
        scored = _token_logprobs(tokenizer, new_tokens, generated.logits, top_logprobs, set(stop_ids))
        for row, index in enumerate(batch):
            text = tokenizer.decode(new_tokens[row], skip_special_tokens=True)
            text = text.split("\n", 1)[0] if decoding.stop_at_newline else text.strip()
            outputs[index] = Generated(text, scored[row] if scored else ())
    return outputs


def _token_logprobs(tokenizer, new_tokens: torch.Tensor, logits, k: int, stop_ids: set[int]) -> list[tuple]:
    """Per row, a TokenLogprob for each generated token before the first stop token; [] when k is 0."""
    if not k:
        return []
    rows: list[list[TokenLogprob]] = [[] for _ in range(new_tokens.shape[0])]
    ended = [False] * new_tokens.shape[0]
    for step, step_logits in enumerate(logits):
        logprobs = step_logits.float().log_softmax(-1).cpu()
        top = logprobs.topk(min(k, logprobs.shape[-1]))
        chosen = new_tokens[:, step].cpu()
        names = tokenizer.batch_decode([[i] for i in [*chosen.tolist(), *top.indices.flatten().tolist()]])
        picked, alternatives = names[: len(chosen)], names[len(chosen) :]
        for row, token_id in enumerate(chosen.tolist()):
            ended[row] = ended[row] or token_id in stop_ids
            if ended[row]:
                continue
            offset = row * top.indices.shape[1]
            listed = zip(alternatives[offset : offset + top.indices.shape[1]], top.values[row].tolist(), strict=True)
            rows[row].append(TokenLogprob(picked[row], float(logprobs[row, token_id]), tuple(listed)))
    return [tuple(row) for row in rows]


class _Halt(StoppingCriteria):
    def __init__(self, halt: Callable[[], bool]):
        self.halt = halt

    def __call__(self, input_ids: torch.LongTensor, scores, **kwargs) -> torch.BoolTensor:
        return torch.full((input_ids.shape[0],), self.halt(), dtype=torch.bool, device=input_ids.device)


def _stop_ids(tokenizer, stop_at_newline: bool) -> list[int]:
    """End-of-turn tokens, plus every token that contains a newline when the caller only wants
    the first line (JudgeLM's fast mode: the score line, no reason)."""
    ids = {tokenizer.eos_token_id}
    im_end = tokenizer.convert_tokens_to_ids("<|im_end|>")
    if isinstance(im_end, int) and im_end != tokenizer.unk_token_id:
        ids.add(im_end)
    if stop_at_newline:
        ids.update(_newline_token_ids(tokenizer))
    return sorted(i for i in ids if i is not None)


def _newline_token_ids(tokenizer) -> list[int]:
    cached = getattr(tokenizer, "_judgeops_newline_ids", None)
    if cached is None:
        pieces = tokenizer.batch_decode([[token_id] for token_id in range(len(tokenizer))])
        cached = [token_id for token_id, piece in enumerate(pieces) if "\n" in piece]
        tokenizer._judgeops_newline_ids = cached
    return cached
