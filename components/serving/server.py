"""An OpenAI-compatible chat-completions server over a local judge model, bound to 127.0.0.1.

Only what a judge client needs: ``POST /v1/chat/completions`` (n=1, with ``logprobs`` and ``top_logprobs``
up to 20 when asked: the raw model distribution, as vLLM reports it; ``stream: true`` answers in OpenAI's
server-sent chunks, which most chat front ends ask for) and ``GET /v1/models``.
Errors use OpenAI's shape (``{"error": {"message", "type", "param", "code"}}``)
so OpenAI clients report them properly. One deviation: a request without ``temperature`` is decoded
greedily (OpenAI's default is 1.0), because a judge that samples by default is not reproducible.

One request must never cost the others their answers: a request's own failure answers that request
(4xx when its input is at fault, 5xx otherwise, never a traceback) and the server keeps serving. What
the server refuses up front (hosts, sizes, a full queue) is in ``guards``; the generation thread's
own guarantees are in ``batcher``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import tempfile
import time
import uuid
from concurrent.futures import Future
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Literal

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect

from components.serving.batcher import Batcher, Completion, GenerationFailed, Job, PromptError, QueueFull, Unavailable
from components.serving.guards import BodyTooLarge, HostAllowlist, Limits, error_response, read_body
from components.textgen import Decoding

DEFAULT_MAX_TOKENS = 256
MAX_TOP_LOGPROBS = 20  # OpenAI's limit
LOOPBACK = "127.0.0.1"
CLIENT_GONE = 499  # nginx's status for "the client closed the connection first"; nobody reads it

log = logging.getLogger(__name__)


def valid_unicode(text: str) -> str:
    """``text`` if it can be encoded; JSON's ``\\ud800`` escapes decode to lone surrogates, which cannot."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise ValueError(
            f"the text holds a lone surrogate (U+{ord(text[error.start]):04X}) at character {error.start}, "
            "which is not valid Unicode"
        ) from None
    return text


class TextPart(BaseModel):
    type: Literal["text"]
    text: str


class ChatMessage(BaseModel):
    role: Literal["system", "user", "assistant"]
    content: str | list[TextPart]

    @field_validator("content")
    @classmethod
    def _unicode(cls, content: str | list[TextPart]) -> str | list[TextPart]:
        for text in [content] if isinstance(content, str) else [part.text for part in content]:
            valid_unicode(text)
        return content

    def plain(self) -> dict[str, str]:
        content = self.content if isinstance(self.content, str) else "".join(part.text for part in self.content)
        return {"role": self.role, "content": content}


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="ignore")

    include_usage: bool = False


class ChatRequest(BaseModel):
    """The fields we honour; any other OpenAI field (user, response_format, ...) is ignored."""

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
    stream: bool = False
    stream_options: StreamOptions | None = None
    logprobs: bool = False
    top_logprobs: int | None = Field(None, ge=0, le=MAX_TOP_LOGPROBS)

    @model_validator(mode="after")
    def _logprobs_asked(self) -> ChatRequest:
        if self.top_logprobs and not self.logprobs:
            raise ValueError("top_logprobs needs logprobs: true")
        return self

    @field_validator("stop")
    @classmethod
    def _unicode(cls, stop: str | list[str] | None) -> str | list[str] | None:
        for text in [stop] if isinstance(stop, str) else stop or []:
            valid_unicode(text)
        return stop

    def requested_tokens(self) -> tuple[str, int] | None:
        """Which token limit the client set, and to what (max_completion_tokens wins, as at OpenAI)."""
        if self.max_completion_tokens is not None:
            return "max_completion_tokens", self.max_completion_tokens
        if self.max_tokens is not None:
            return "max_tokens", self.max_tokens
        return None

    def job(self, default_max_tokens: int = DEFAULT_MAX_TOKENS) -> Job:
        requested = self.requested_tokens()
        decoding = Decoding(
            max_new_tokens=requested[1] if requested else default_max_tokens,
            temperature=self.temperature,
            top_p=self.top_p,
        )
        stop = (self.stop,) if isinstance(self.stop, str) else tuple(self.stop or ())
        top = (self.top_logprobs or 0) if self.logprobs else None
        return Job([message.plain() for message in self.messages], decoding, self.seed, stop, top)


def create_app(
    model, tokenizer, model_name: str, max_batch: int = 8, limits: Limits | None = None, fingerprint: str | None = None
) -> FastAPI:
    """The API over a loaded (model, tokenizer); clients must send ``model_name`` as ``model``. ``fingerprint``
    names the weights served (``models.weights_fingerprint``): stated as ``system_fingerprint`` in ``/v1/models``
    and in every completion, so a client keys what it caches by the weights, not by the name (an alias such as
    ``judge@champion`` moves)."""
    limits = limits or Limits()
    created = int(time.time())

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.batcher = Batcher(model, tokenizer, max_batch, limits.max_queue)
        yield
        await asyncio.to_thread(app.state.batcher.close)

    app = FastAPI(title="judgeops judge server", lifespan=lifespan)
    app.add_middleware(HostAllowlist, hosts=limits.hosts())

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        return error_response(exc.status_code, str(exc.detail))

    @app.exception_handler(Exception)
    async def unexpected_error(request: Request, exc: Exception) -> JSONResponse:
        # Starlette logs the traceback after this answer is sent; the client gets none of it.
        return error_response(500, "internal server error; the server's log has the details", kind="server_error")

    @app.get("/v1/models")
    async def models() -> dict:
        return {
            "object": "list",
            "data": [
                {
                    "id": model_name,
                    "object": "model",
                    "created": created,
                    "owned_by": "judgeops",
                    "system_fingerprint": fingerprint,
                }
            ],
        }

    @app.post("/v1/chat/completions")
    async def chat_completions(request: Request) -> JSONResponse:
        try:
            return await answer(request, model_name, limits, fingerprint)
        except asyncio.CancelledError:  # uvicorn cancels what is still running when the shutdown grace ends
            asyncio.current_task().uncancel()
            return error_response(503, "the server is shutting down", kind="server_error", code="unavailable")

    return app


async def answer(request: Request, model_name: str, limits: Limits, fingerprint: str | None = None) -> JSONResponse:
    """The response to one chat request, whatever happens to it short of this task being cancelled."""
    try:
        chat = parse_request(await read_body(request, limits.max_body_bytes), model_name, limits)
    except BodyTooLarge as exc:
        return error_response(413, str(exc), code="body_too_large", headers={"Connection": "close"})
    except ClientDisconnect:
        return error_response(CLIENT_GONE, "the client closed the connection before sending the whole body")
    if isinstance(chat, JSONResponse):
        return chat
    try:
        future = request.app.state.batcher.submit(chat.job(min(DEFAULT_MAX_TOKENS, limits.max_tokens)))
        done = await outcome(request, future)
    except Exception as exc:
        return failure_response(exc)
    if done is None:
        return error_response(CLIENT_GONE, "the client closed the connection before the completion was ready")
    if chat.stream:
        usage = chat.stream_options is not None and chat.stream_options.include_usage
        return StreamingResponse(
            stream_chunks(done, model_name, fingerprint, usage),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache"},
        )
    return completion_response(done, model_name, fingerprint)


def stream_chunks(done: Completion, model_name: str, fingerprint: str | None, include_usage: bool):
    """The completion as OpenAI's server-sent events: ``chat.completion.chunk`` objects -- the role, then
    the text token by token (each with its logprobs when asked; the whole text at once when its tokens do not
    spell it exactly), then the finish reason, the usage when ``stream_options.include_usage`` asks for
    it -- and ``data: [DONE]``. The completion is generated before the first event: the events carry it in
    the shape a streaming client reads, they do not make the first token come sooner."""
    head = {
        "id": f"chatcmpl-{uuid.uuid4().hex}",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model_name,
        "system_fingerprint": fingerprint,
    }

    def event(delta: dict, logprobs=None, finish: str | None = None, **extra) -> str:
        choice = {"index": 0, "delta": delta, "logprobs": logprobs, "finish_reason": finish}
        return f"data: {json.dumps({**head, 'choices': [choice], **extra})}\n\n"

    yield event({"role": "assistant", "content": ""})
    tokens = list(done.logprobs or ())
    if tokens and "".join(t.token for t in tokens) == done.text:
        for token in tokens:
            yield event({"content": token.token}, {"content": logprob_content([token])})
    elif done.text or tokens:
        yield event({"content": done.text}, None if done.logprobs is None else {"content": logprob_content(tokens)})
    yield event({}, finish=done.finish_reason)
    if include_usage:
        usage = {
            "prompt_tokens": done.prompt_tokens,
            "completion_tokens": done.completion_tokens,
            "total_tokens": done.prompt_tokens + done.completion_tokens,
        }
        yield f"data: {json.dumps({**head, 'choices': [], 'usage': usage})}\n\n"
    yield "data: [DONE]\n\n"


def parse_request(body: bytes, model_name: str, limits: Limits) -> ChatRequest | JSONResponse:
    """The request, or the 4xx that answers it."""
    try:
        payload = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        return error_response(400, f"the request body is not valid JSON: {type(exc).__name__}: {str(exc)[:200]}")
    try:
        chat = ChatRequest.model_validate(payload)
    except ValidationError as exc:
        first = exc.errors(include_url=False, include_input=False)[0]
        where = ".".join(str(part) for part in first["loc"])
        return error_response(400, f"{where or 'body'}: {first['msg']}", param=where or None)
    if chat.model != model_name:
        message = f"the model {chat.model[:100]!r} does not exist; this server serves {model_name!r}"
        return error_response(404, message, param="model", code="model_not_found")
    requested = chat.requested_tokens()
    if requested and requested[1] > limits.max_tokens:
        field, count = requested
        message = f"{field} is {count}; this server generates at most {limits.max_tokens} tokens per request"
        return error_response(400, message, param=field, code="max_tokens_too_large")
    return chat


async def outcome(request: Request, future: Future) -> Completion | None:
    """The job's completion (or its error, raised), or None once the client has gone away. Leaving
    early -- the client gone, or this request cancelled at shutdown -- cancels the job, so a job still
    queued is dropped before it costs a forward pass."""
    result = asyncio.wrap_future(future)
    gone = asyncio.ensure_future(disconnected(request))
    try:
        await asyncio.wait({result, gone}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        gone.cancel()
        if not result.done():
            result.cancel()  # cancels the job too, unless it is already being generated
    return None if result.cancelled() else result.result()


async def disconnected(request: Request) -> None:
    """Returns when the client disconnects (the body has been read, so the next ASGI message says so)."""
    while (await request.receive())["type"] != "http.disconnect":
        pass


def failure_response(exc: Exception) -> JSONResponse:
    """The answer to a request that was taken but not completed."""
    if isinstance(exc, PromptError):
        return error_response(400, str(exc), param="messages")
    if isinstance(exc, QueueFull):
        message = f"{exc}; retry shortly"
        return error_response(429, message, kind="rate_limit_error", code="queue_full", headers={"Retry-After": "1"})
    if isinstance(exc, Unavailable):
        return error_response(503, str(exc), kind="server_error", code="unavailable")
    if isinstance(exc, GenerationFailed):
        message = f"generation failed ({exc}); the server's log has the details"
        return error_response(500, message, kind="server_error")
    raise exc


def completion_response(done: Completion, model_name: str, fingerprint: str | None = None) -> JSONResponse:
    return JSONResponse(
        {
            "id": f"chatcmpl-{uuid.uuid4().hex}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model_name,
            "system_fingerprint": fingerprint,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": done.text},
                    "logprobs": None if done.logprobs is None else {"content": logprob_content(done.logprobs)},
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


def logprob_content(tokens) -> list[dict]:
    """OpenAI's ``choices[].logprobs.content``: each token with its logprob, UTF-8 bytes and top alternatives."""

    def one(token: str, logprob: float) -> dict:
        return {"token": token, "logprob": logprob, "bytes": list(token.encode("utf-8", "replace"))}

    return [
        {**one(t.token, t.logprob), "top_logprobs": [one(name, logprob) for name, logprob in t.top]} for t in tokens
    ]


def serve(
    model_ref: str, host: str = LOOPBACK, port: int = 8000, base: str | None = None, limits: Limits | None = None
) -> None:
    """Load ``model_ref`` (see ``components.judges.model_ref``) and serve it until SIGTERM/SIGINT, after which requests
    in flight get ``limits.shutdown_grace_s`` to finish and the generation thread up to 2 s to stop."""
    import uvicorn

    from components.judges.model_ref import resolve_model
    from components.models import load_causal_lm, weights_fingerprint

    limits = limits or Limits()
    with tempfile.TemporaryDirectory(prefix="judgeops-serve-") as download_dir:
        source = resolve_model(model_ref, base, Path(download_dir))
        model, tokenizer = load_causal_lm(source.base, source.adapter)
        fingerprint = f"fp_{weights_fingerprint(source.base, source.adapter, by_content=True)}"
    log.info(
        "serving %s as model %r (base %s, weights %s) at http://%s:%d/v1",
        model_ref,
        source.name,
        source.base,
        fingerprint,
        host,
        port,
    )
    uvicorn.run(
        create_app(model, tokenizer, source.name, limits=limits, fingerprint=fingerprint),
        host=host,
        port=port,
        log_level="info",
        timeout_graceful_shutdown=limits.shutdown_grace_s,
    )


def serve_command(model: str, port: int, base: str | None, limits: Limits | None = None) -> None:
    """The CLI's ``judgeops serve``: loopback only, so a judge is never exposed beyond this machine."""
    serve(model, LOOPBACK, port, base, limits)
