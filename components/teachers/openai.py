"""The ``openai`` teacher: any OpenAI-compatible chat endpoint (GPT-4-class API, a vLLM server).

HTTP, the concurrency limit, retries with exponential backoff on 429 / 5xx / timeouts, the disk cache
keyed by a hash of each request (a crashed or repeated run never pays twice) and the token counts
all live in ``components.llm_client.LLMClient``; this module only wires it to JudgeLM's prompt and
parser. The key is read from the environment variable *named* in the settings and is never logged,
cached or written into a record.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from components.config import OpenAITeacherParams
from components.judges.openai import OpenAIJudge
from components.llm_client import USAGE_FIELDS, ChatError, LLMClient
from components.teachers.judge import TEMPLATE, JudgeTeacher, Messages


def openai_teacher(settings: OpenAITeacherParams, cache: Path | str | None, **client_options) -> JudgeTeacher:
    """A teacher on ``settings``' endpoint; ``client_options`` reach LLMClient (tests shorten the backoff)."""
    client = LLMClient(
        settings.base_url,
        settings.model,
        api_key_env=settings.api_key_env,
        cache=cache,
        temperature=settings.temperature,
        timeout_s=settings.timeout_s,
        max_retries=settings.max_retries,
        concurrency=settings.concurrency,
        **client_options,
    )
    judge = OpenAIJudge(f"teacher:{settings.model}", client, template=TEMPLATE, with_reference=True)

    def complete(requests: Sequence[Messages]) -> list[str | Exception]:
        return [a if isinstance(a, ChatError) else a.text for a in client.chat_many(list(requests))]

    return JudgeTeacher(f"openai:{settings.model}", judge, complete, lambda: client_stats(client), client.close)


def client_stats(client: LLMClient) -> dict:
    """What the run cost and how it went: fresh tokens (cached answers cost nothing), requests sent,
    retries, answers served from the cache and requests that failed after every retry."""
    calls = client.calls
    return {
        "teacher_concurrency": client.concurrency,
        "teacher_requests": calls["requests"],
        "teacher_retries": calls["retries"],
        "teacher_cached": calls["cached"],
        "teacher_request_failures": calls["failed"],
        **{f"teacher_{name}": client.usage[name] for name in USAGE_FIELDS},
    }
