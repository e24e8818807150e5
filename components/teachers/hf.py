"""The ``hf`` teacher: a local causal LM (a larger open model in a local folder) as the teacher.

It is ``components.judges.hf.HFJudge`` in ``generate`` mode with JudgeLM's template, so it writes the
score line and a reason; the same model answers the two-round rewrite's free-form requests. There is
no response cache: local generation costs time, not money, and is rerun as a whole.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from components.config import HFTeacherParams
from components.judges.hf import HFJudge
from components.teachers.judge import TEMPLATE, JudgeTeacher, Messages
from components.textgen import Decoding, chat_prompt, generate


def hf_teacher(settings: HFTeacherParams, model_path: Path | str, model=None, tokenizer=None) -> JudgeTeacher:
    """A teacher on the model in ``model_path``, loaded here unless ``model`` and ``tokenizer`` are given."""
    if model is None:
        from components.models import load_causal_lm

        model, tokenizer = load_causal_lm(model_path)
    judge = HFJudge(
        "teacher",
        model_path,
        template=TEMPLATE,
        mode="generate",
        with_reference=True,
        batch_size=settings.batch_size,
        max_new_tokens=settings.max_new_tokens,
        model=model,
        tokenizer=tokenizer,
    )
    decoding = Decoding(max_new_tokens=settings.max_new_tokens)

    def complete(requests: Sequence[Messages]) -> list[str | Exception]:
        prompts = [chat_prompt(tokenizer, messages) for messages in requests]
        return list(generate(model, tokenizer, prompts, decoding, settings.batch_size))

    def stats() -> dict:
        return {"teacher_concurrency": settings.batch_size, "teacher_prompts_truncated": judge.truncated}

    return JudgeTeacher(f"hf:{Path(model_path).name}", judge, complete, stats)
