"""Candidate answers: reference-derived variants and answers sampled from local causal LMs."""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from pathlib import Path

from components.config import AnswerEndpoint
from components.config import Decoding as DecodingParams
from components.data.families import get_family
from components.data.variants import FAMILY_FREE, make_answer
from components.schemas import Answer, Question


def variant_answers(questions: Sequence[Question], variants: Sequence[str], seed: int) -> list[Answer]:
    """Each variant's answer to each question; the question's task family is looked up only when a
    variant needs one, so imported questions (no family) take the ``FAMILY_FREE`` variants."""
    needs_family = not set(variants) <= FAMILY_FREE
    answers = []
    for question in questions:
        family = get_family(question.family) if needs_family else None
        for variant in variants:
            rng = random.Random(f"{seed}:{question.id}:{variant}")
            text = make_answer(variant, question, family, rng)
            answers.append(
                Answer(id=f"{question.id}:{variant}", question_id=question.id, source=f"variant:{variant}", text=text)
            )
    return answers


def model_answers(
    model,
    tokenizer,
    questions: Sequence[Question],
    decodings: Sequence[DecodingParams],
    model_name: str,
    max_new_tokens: int,
    batch_size: int,
    seed: int,
) -> tuple[list[Answer], dict]:
    """Answers from one model under each decoding setting, batched; returns (answers, stats)."""
    from components.textgen import Decoding, chat_prompt, generate  # torch: only when a model answers

    prompts = [chat_prompt(tokenizer, [{"role": "user", "content": _ask(q)}]) for q in questions]
    answers, started = [], time.perf_counter()
    for decoding in decodings:
        texts = generate(
            model,
            tokenizer,
            prompts,
            Decoding(max_new_tokens=max_new_tokens, temperature=decoding.temperature, top_p=decoding.top_p),
            batch_size=batch_size,
            seed=seed,
            progress=f"answers ({decoding.name})",
        )
        source = f"model:{model_name}:{decoding.name}"
        answers += [
            Answer(id=f"{q.id}:{model_name}:{decoding.name}", question_id=q.id, source=source, text=text)
            for q, text in zip(questions, texts, strict=True)
        ]
    seconds = time.perf_counter() - started
    return answers, {
        "model_answers": len(answers),
        "model_answer_seconds": seconds,
        "model_answers_per_s": len(answers) / seconds if seconds else 0.0,
    }


def _ask(question: Question) -> str:
    return f"{question.instruction}\n\n{question.input}" if question.input else question.instruction


def endpoint_answers(
    questions: Sequence[Question], endpoint: AnswerEndpoint, max_new_tokens: int, cache_dir: Path
) -> tuple[list[Answer], list[dict], dict]:
    """Answers from an OpenAI-compatible endpoint, concurrently, every response cached on disk so a
    rerun never pays twice. Returns (answers, rejects, stats): a question whose request still fails
    after the client's retries is a reject with the reason -- never an empty answer."""
    from components.llm_client import LLMClient

    client = LLMClient(
        base_url=endpoint.base_url,
        model=endpoint.model,
        api_key_env=endpoint.api_key_env,
        cache=cache_dir / f"{endpoint.name}.jsonl",
        temperature=endpoint.temperature,
        max_tokens=max_new_tokens,
        timeout_s=endpoint.timeout_s,
        max_retries=endpoint.max_retries,
        concurrency=endpoint.concurrency,
    )
    started = time.perf_counter()
    with client:
        results = client.chat_many([[{"role": "user", "content": _ask(q)}] for q in questions])
        usage = dict(client.usage)
    answers, rejects = [], []
    source = f"endpoint:{endpoint.name}"
    for question, result in zip(questions, results, strict=True):
        if isinstance(result, Exception):
            rejects.append({"reason": f"{source}: {result}", "record": {"question_id": question.id}})
            continue
        answers.append(
            Answer(id=f"{question.id}:{endpoint.name}", question_id=question.id, source=source, text=result.text)
        )
    seconds = time.perf_counter() - started
    stats = {
        f"{endpoint.name}.answers": len(answers),
        f"{endpoint.name}.failed": len(rejects),
        f"{endpoint.name}.answers_per_s": round(len(questions) / seconds, 2) if seconds else 0.0,
        f"{endpoint.name}.concurrency": endpoint.concurrency,
        **{f"{endpoint.name}.{k}": v for k, v in usage.items()},
    }
    return answers, rejects, stats
