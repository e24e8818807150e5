"""Candidate answers: reference-derived variants and answers sampled from local causal LMs."""

from __future__ import annotations

import random
import time
from collections.abc import Sequence

from components.config import Decoding as DecodingParams
from components.data.families import get_family
from components.data.variants import make_answer
from components.schemas import Answer, Question
from components.textgen import Decoding, chat_prompt, generate


def variant_answers(questions: Sequence[Question], variants: Sequence[str], seed: int) -> list[Answer]:
    answers = []
    for question in questions:
        family = get_family(question.family)
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
