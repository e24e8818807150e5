"""An OpenAI-compatible chat-completions server over a local judge model, bound to 127.0.0.1.

Only what a judge client needs: ``POST /v1/chat/completions`` (non-streaming, n=1) and
``GET /v1/models``. Errors use OpenAI's shape (``{"error": {"message", "type", "param", "code"}}``)
so OpenAI clients report them properly. One deviation: a request without ``temperature`` is decoded
greedily (OpenAI's default is 1.0), because a judge that samples by default is not reproducible.
"""

from __future__ import annotations

import asyncio
import json
import logging
import tempfile
import time
import uuid
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Literal

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.exceptions import HTTPException

from components.serving.batcher import Batcher, Job, PromptError
from components.textgen import Decoding

DEFAULT_MAX_TOKENS = 256
LOOPBACK = "127.0.0.1"

log = logging.getLogger(__name__)


class TextPart(BaseModel):
    type: Literal["text"]
    text: str


class ChatMessage(BaseModel):
    role: Literal["system", "user", "assistant"]
    content: str | list[TextPart]

    def plain(self) -> dict[str, str]:
        content = self.content if isinstance(self.content, str) else "".join(part.text for part in self.content)
        return {"role": self.role, "content": content}


class ChatRequest(BaseModel):
    """The fields we honour; any other OpenAI field (user, logprobs, ...) is ignored."""

    model_config = ConfigDict(extra="ignore")

    model: str
    messages: list[ChatMessage] = Field(min_length=1)
    max_tokens: int | None = Field(None, ge=1)
    max_completion_tokens: int | None = Field(None, ge=1)
    temperature: float = Field(0.0, ge=0.0, le=2.0)
    top_p: float = Field(1.0, gt=0.0, le=1.0)
    stop: str | list[str] | None = None
    seed: int = 0
    n: Literal[1] = 1
    stream: Literal[False] = False

    def job(self) -> Job:
        decoding = Decoding(
            max_new_tokens=self.max_completion_tokens or self.max_tokens or DEFAULT_MAX_TOKENS,
            temperature=self.temperature,
            top_p=self.top_p,
        )
        stop = (self.stop,) if isinstance(self.stop, str) else tuple(self.stop or ())
        return Job([message.plain() for message in self.messages], decoding, self.seed, stop)


def create_app(model, tokenizer, model_name: str, max_batch: int = 8) -> FastAPI:
    """The API over a loaded (model, tokenizer); clients must send ``model_name`` as ``model``."""
    created = int(time.time())

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.batcher = Batcher(model, tokenizer, max_batch)
        yield
        app.state.batcher.close()

    app = FastAPI(title="judgeops judge server", lifespan=lifespan)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        return error_response(exc.status_code, str(exc.detail))

    @app.get("/v1/models")
    async def models() -> dict:
        return {
            "object": "list",
            "data": [{"id": model_name, "object": "model", "created": created, "owned_by": "judgeops"}],
        }

    @app.post("/v1/chat/completions")
    async def chat_completions(request: Request) -> JSONResponse:
        try:
            payload = json.loads(await request.body())
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            return error_response(400, f"the request body is not valid JSON: {exc}")
        try:
            chat = ChatRequest.model_validate(payload)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"])
            return error_response(400, f"{where or 'body'}: {first['msg']}", param=where or None)
        if chat.model != model_name:
            message = f"the model {chat.model!r} does not exist; this server serves {model_name!r}"
            return error_response(404, message, param="model", code="model_not_found")
        try:
            done = await asyncio.wrap_future(request.app.state.batcher.submit(chat.job()))
        except PromptError as exc:
            return error_response(400, str(exc), param="messages")
        except Exception as exc:
            log.exception("generation failed")
            return error_response(500, f"generation failed: {type(exc).__name__}: {exc}", kind="server_error")
        return JSONResponse(
            {
                "id": f"chatcmpl-{uuid.uuid4().hex}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": model_name,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": done.text},
                        "finish_reason": done.finish_reason,
                    }
                ],
                "usage": {
                    "prompt_tokens": done.prompt_tokens,
                    "completion_tokens": done.completion_tokens,
                    "total_tokens": done.prompt_tokens + done.completion_tokens,
                },
            }
        )

    return app


def error_response(
    status: int, message: str, kind: str = "invalid_request_error", param: str | None = None, code: str | None = None
) -> JSONResponse:
    return JSONResponse({"error": {"message": message, "type": kind, "param": param, "code": code}}, status_code=status)


def serve(model_ref: str, host: str = LOOPBACK, port: int = 8000, base: str | None = None) -> None:
    """Load ``model_ref`` (see ``loading.resolve``) and serve it until interrupted."""
    import uvicorn

    from components.models import load_causal_lm
    from components.serving.loading import resolve

    with tempfile.TemporaryDirectory(prefix="judgeops-serve-") as download_dir:
        source = resolve(model_ref, base, Path(download_dir))
        model, tokenizer = load_causal_lm(source.base, source.adapter)
    log.info("serving %s as model %r (base %s) at http://%s:%d/v1", model_ref, source.name, source.base, host, port)
    uvicorn.run(create_app(model, tokenizer, source.name), host=host, port=port, log_level="info")


def serve_command(model: str, port: int, base: str | None) -> None:
    """The CLI's ``judgeops serve``: loopback only, so a judge is never exposed beyond this machine."""
    serve(model, LOOPBACK, port, base)
