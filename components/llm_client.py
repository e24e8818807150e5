"""A client for any OpenAI-compatible chat-completions endpoint: retries, a disk cache, token counts.

Shared by the ``openai`` judge and the ``openai`` teacher, so both get the same guarantees:

- every answer is appended (fsynced) to a JSONL cache (``components.keyed_jsonl``) keyed by a hash of
  the endpoint URL, the weights fingerprint the endpoint states (``system_fingerprint`` in ``/models``, as
  ``judgeops serve`` states it) and the request (model, messages, temperature, max_tokens and any other
  option), so an endpoint that now serves other weights under the same name never replays old answers, a
  rerun or a crashed run never pays twice for a request that was answered, and another endpoint serving
  a model of the same name never gets this one's answers. Only answers are cached: a request that failed,
  an empty answer, and an answer the caller's ``accept`` refuses (a judge's unparseable output) are not,
  so the next run asks again;
- 429, 5xx, connection errors and timeouts are retried (tenacity) with exponential backoff and jitter
  (honouring a numeric ``Retry-After``); other 4xx are the request's fault and fail at once. A request that
  still fails raises ``ChatError`` with the reason -- never an empty text that could pass for an answer (an
  empty answer is a ChatError too, not retried in the run, asked again in the next);
- an answer keeps the ``logprobs`` the endpoint returned with it (asked for with ``logprobs=True,
  top_logprobs=k`` as options), in the cache too;
- the API key is read from the environment variable *named* in the config and lives only in the HTTP
  client's headers (which httpx masks in reprs); any error text that echoes it is redacted.

Concurrency is a pool of threads in ``chat_many`` (httpx's client is thread-safe): one code path, no
separate async twin. An interrupt (Ctrl-C, or SIGTERM, which the CLI raises as one) cancels the work: no
queued request is sent and no retry is made after it, and the command does not wait for the requests
already in flight (at most ``concurrency``) -- their daemon threads are abandoned, so the process exits
at once instead of paying for the whole queue.
"""

from __future__ import annotations

import os
import random
import socket
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt

from components.key_vars import check_key_var
from components.keyed_jsonl import KeyedJsonl, digest
from components.progress import track
from components.redaction import redact, redact_url

Messages = list[dict[str, str]]
RETRY_STATUS = frozenset({429}) | frozenset(range(500, 600))
USAGE_FIELDS = ("prompt_tokens", "completion_tokens", "total_tokens")


@dataclass(frozen=True)
class ChatResult:
    """One answer. ``usage`` is the endpoint's token count for it (also when it came from the cache);
    ``logprobs`` its ``choices[0].logprobs.content`` (OpenAI's schema), None when the endpoint sent none."""

    text: str
    usage: dict[str, int]
    cached: bool
    finish_reason: str = ""
    logprobs: list[dict] | None = None


Accept = Callable[[ChatResult], bool]


class ChatError(RuntimeError):
    """A request that got no usable answer; the message says why and after how many attempts."""


class _Retryable(Exception):
    def __init__(self, reason: str, retry_after: float | None = None):
        super().__init__(reason)
        self.retry_after = retry_after


@dataclass(eq=False)
class LLMClient:
    """Chat completions from ``base_url`` (e.g. ``https://api.openai.com/v1`` or ``http://127.0.0.1:8000/v1``).

    ``api_key_env`` names the environment variable holding the key; None sends no key (local servers).
    ``max_retries`` counts retries after the first attempt; ``timeout_s`` bounds each connect/read.
    """

    base_url: str
    model: str
    api_key_env: str | None = None
    cache: Path | str | None = None
    temperature: float = 0.0
    max_tokens: int = 512
    timeout_s: float = 60.0
    max_retries: int = 4
    backoff_s: float = 1.0
    max_backoff_s: float = 30.0
    concurrency: int = 4
    usage: dict[str, int] = field(init=False, repr=False)
    calls: dict[str, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        headers = {}
        if self.api_key_env:
            check_key_var(self.api_key_env)  # params, --api-key-env and deployment overrides alike
            key = os.environ.get(self.api_key_env)
            if not key:
                raise ValueError(f"the API key variable {self.api_key_env} is not set in the environment")
            headers["Authorization"] = f"Bearer {key}"
        self._http = httpx.Client(base_url=self.base_url.rstrip("/") + "/", headers=headers, timeout=self.timeout_s)
        self._lock = threading.Lock()
        self._answers = KeyedJsonl(self.cache, _answer)
        self.usage = dict.fromkeys(USAGE_FIELDS, 0)
        self.calls = {"requests": 0, "retries": 0, "cached": 0, "failed": 0}
        self._fingerprint: list[str | None] = []  # asked once: [] until then
        self._cancelled = threading.Event()  # set by an interrupt: nothing more is sent

    def served_fingerprint(self) -> str | None:
        """The fingerprint of the weights behind ``model`` as the endpoint states it -- ``system_fingerprint``
        in its ``/models`` entry (``judgeops serve`` states its weights' there and in every response; OpenAI's
        listing states none) -- asked once per client; None when the endpoint states none or does not answer."""
        with self._lock:
            if self._fingerprint:
                return self._fingerprint[0]
        found = None
        try:
            response = self._http.get("models", timeout=min(self.timeout_s, 10.0))
            if response.status_code == 200:
                for entry in response.json().get("data") or []:
                    if isinstance(entry, dict) and entry.get("id") == self.model:
                        found = entry.get("system_fingerprint")
                        found = str(found) if found else None
        except (httpx.HTTPError, ValueError, AttributeError):
            found = None
        with self._lock:
            self._fingerprint[:] = [found]
        return found

    def describe(self) -> dict:
        """The settings worth logging as run params (the key's variable name, never the key)."""
        return {
            "base_url": redact_url(self.base_url),
            "model": self.model,
            "api_key_env": self.api_key_env or "",
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "max_retries": self.max_retries,
            "timeout_s": self.timeout_s,
            "concurrency": self.concurrency,
        }

    def identity(self) -> dict:
        """What decides an answer besides the messages: where it comes from and how it is decoded (never
        the key, nor settings that only change how hard the client tries: timeouts, retries)."""
        identity = {
            "endpoint": self.base_url.rstrip("/"),
            "model": self.model,
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
        }
        fingerprint = self.served_fingerprint()
        return identity | ({"system_fingerprint": fingerprint} if fingerprint else {})

    def request_key(self, messages: Messages, **options) -> str:
        """The cache key: a hash of the endpoint, the weights it states it serves (``served_fingerprint``) and
        the request body, i.e. of everything that shapes the answer."""
        return response_key(self.base_url, self._body(messages, options), self.served_fingerprint())

    def chat(self, messages: Messages, accept: Accept | None = None, **options) -> ChatResult:
        """One completion, from the cache when this exact request was answered before. Raises ChatError.
        ``accept(result)`` False marks an answer as no answer (a judge's unparseable output): it is returned
        but not cached, and a cached one is not served."""
        body = self._body(messages, options)
        key = response_key(self.base_url, body, self.served_fingerprint())
        hit = self._answers.get(key)
        if hit is not None:
            result = _result(hit, cached=True)
            if accept is None or accept(result):
                with self._lock:
                    self.calls["cached"] += 1
                return result
        try:
            answer = self._post_with_retries(body)
        except ChatError:
            with self._lock:
                self.calls["failed"] += 1
            raise
        result = _result(answer, cached=False)
        if (accept is None or accept(result)) and not self._cancelled.is_set():
            self._answers.put(key, {"model": self.model, **answer})
        with self._lock:
            for name in USAGE_FIELDS:
                self.usage[name] += answer["usage"].get(name, 0)
        return result

    def chat_many(
        self, requests: Sequence[Messages], accept: Accept | None = None, **options
    ) -> list[ChatResult | ChatError]:
        """Completions for many requests, at most ``concurrency`` in flight, in input order. A failed
        request comes back as its ChatError so one bad item does not lose the others. Identical
        requests are sent once. ``accept`` as for ``chat``."""
        keys = [self.request_key(messages, **options) for messages in requests]
        unique = {key: messages for key, messages in zip(keys, requests, strict=True)}

        def one(messages: Messages) -> ChatResult | ChatError:
            try:
                return self.chat(messages, accept, **options)
            except ChatError as error:
                return error

        desc = f"{self.model} at {httpx.URL(self.base_url).host}"  # never the whole URL: it may hold a secret
        try:
            done = track(self._in_order(one, list(unique.values())), desc, len(unique), unit="requests")
            answers = dict(zip(unique, done, strict=True))
        except BaseException:  # Ctrl-C, SIGTERM: cancel what is queued, do not wait for what is in flight
            self.cancel()
            raise
        return [answers[key] for key in keys]

    def cancel(self) -> None:
        """Send nothing more: queued requests and retries are dropped (each ends as a ChatError), and the
        requests in flight are cut off (their sockets shut down), so no thread is left blocked on a slow
        answer -- one that would hold the connection pool's locks while the process exits."""
        self._cancelled.set()
        pool = getattr(getattr(self._http, "_transport", None), "_pool", None)
        for connection in list(getattr(pool, "connections", None) or []):
            stream = getattr(getattr(connection, "_connection", None), "_network_stream", None)
            sock = getattr(stream, "_sock", None)
            try:
                if sock is not None:
                    sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def _in_order(self, work: Callable, items: list) -> Iterator:
        """``work(item)`` for each item on at most ``concurrency`` daemon threads, yielded in input order.
        Unlike ThreadPoolExecutor's, these threads are not joined at exit: an interrupted command ends
        without waiting for the requests in flight."""
        futures = [Future() for _ in items]
        queue = iter(range(len(items)))
        lock = threading.Lock()

        def worker() -> None:
            while not self._cancelled.is_set():
                with lock:
                    index = next(queue, None)
                if index is None:
                    return
                if not futures[index].set_running_or_notify_cancel():
                    continue
                try:
                    futures[index].set_result(work(items[index]))
                except BaseException as error:  # noqa: BLE001 -- handed to the caller, who re-raises it
                    futures[index].set_exception(error)
            for future in futures:  # cancelled: nothing waits on the rest
                future.cancel()

        for n in range(min(max(1, self.concurrency), len(items))):
            threading.Thread(target=worker, name=f"llm-client-{n}", daemon=True).start()
        for future in futures:
            yield future.result()

    def close(self) -> None:
        self._http.close()
        self._answers.close()

    def __enter__(self) -> LLMClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _body(self, messages: Messages, options: dict) -> dict:
        return {
            "model": self.model,
            "messages": messages,
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            **options,
        }

    def _post_with_retries(self, body: dict) -> dict:
        attempts = self.max_retries + 1
        retrying = Retrying(
            stop=stop_after_attempt(attempts),
            wait=self._wait,
            retry=retry_if_exception_type(_Retryable),
            before_sleep=self._count_retry,
            reraise=True,
        )
        try:
            return retrying(self._post, body)
        except _Retryable as failure:
            raise ChatError(f"{failure} (gave up after {attempts} attempts)") from None

    def _wait(self, state: RetryCallState) -> float:
        return self._delay(state.attempt_number - 1, state.outcome.exception().retry_after)

    def _count_retry(self, state: RetryCallState) -> None:
        with self._lock:
            self.calls["retries"] += 1

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        """Exponential backoff with jitter (half fixed, half random), or the server's Retry-After."""
        ceiling = min(self.max_backoff_s, self.backoff_s * 2**attempt)
        delay = ceiling / 2 + random.uniform(0, ceiling / 2)
        return min(self.max_backoff_s, max(delay, retry_after or 0.0))

    def _post(self, body: dict) -> dict:
        if self._cancelled.is_set():
            raise ChatError("cancelled: the command was interrupted")
        with self._lock:
            self.calls["requests"] += 1
        try:
            response = self._http.post("chat/completions", json=body)
        except httpx.TimeoutException as exc:
            raise _Retryable(f"timed out after {self.timeout_s:g}s ({type(exc).__name__})") from None
        except httpx.TransportError as exc:
            raise _Retryable(self._redact(f"connection error: {type(exc).__name__}: {exc}")) from None
        if response.status_code in RETRY_STATUS:
            raise _Retryable(self._status_reason(response), _retry_after(response))
        if response.status_code != 200:
            raise ChatError(self._status_reason(response))
        try:
            payload = response.json()
            choice = payload["choices"][0]
            text = choice["message"]["content"] or ""
        except (ValueError, KeyError, IndexError, TypeError):
            raise ChatError(f"malformed response: {self._redact(response.text[:200])!r}") from None
        if not isinstance(text, str) or not text.strip():
            raise ChatError(f"empty answer (finish_reason {choice.get('finish_reason') or 'none'!r})")
        stated, expected = payload.get("system_fingerprint"), self.served_fingerprint()
        if expected and stated and stated != expected:
            raise ChatError(
                f"the endpoint now serves other weights (system_fingerprint {str(stated)[:40]!r}; it stated "
                f"{expected!r} when this run began): restart the run so that its answers are keyed by them"
            )
        usage = payload.get("usage") or {}
        answer = {
            "text": text,
            "finish_reason": choice.get("finish_reason") or "",
            "usage": {name: int(usage.get(name) or 0) for name in USAGE_FIELDS},
        }
        content = choice["logprobs"].get("content") if isinstance(choice.get("logprobs"), dict) else None
        if content:
            try:
                answer["logprobs"] = [_token(entry) for entry in content]
            except (KeyError, TypeError, ValueError):
                raise ChatError(f"malformed logprobs: {self._redact(str(content)[:200])!r}") from None
        return answer

    def _status_reason(self, response: httpx.Response) -> str:
        try:
            detail = response.json()["error"]["message"]
        except (ValueError, KeyError, TypeError):
            detail = response.text
        return self._redact(f"HTTP {response.status_code}: {str(detail)[:200]}")

    def _redact(self, text: str) -> str:
        """Error text without the key, in case an endpoint or a proxy echoes the request headers."""
        secret = self._http.headers.get("Authorization", "").removeprefix("Bearer ")
        return redact(text.replace(secret, "***") if secret else text)


def response_key(base_url: str, body: dict, fingerprint: str | None = None) -> str:
    """The response cache's key for ``body`` sent to ``base_url``, serving the weights ``fingerprint`` states
    (None: the endpoint states none, and the key is what it always was)."""
    content = {"endpoint": base_url.rstrip("/"), "body": body}
    return digest(content | ({"system_fingerprint": fingerprint} if fingerprint else {}))


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return float(response.headers["Retry-After"])
    except (KeyError, ValueError):
        return None


def _answer(row: dict) -> dict:
    """A cached answer from its line; raises for a line that is not one (it is then skipped)."""
    if not isinstance(row["text"], str) or not row["text"].strip() or not isinstance(row["usage"], dict):
        raise ValueError("not an answer")
    answer = {"text": row["text"], "usage": row["usage"], "finish_reason": row.get("finish_reason") or ""}
    if row.get("logprobs") is not None:
        answer["logprobs"] = [_token(entry) for entry in row["logprobs"]]
    return answer


def _result(answer: dict, cached: bool) -> ChatResult:
    return ChatResult(answer["text"], dict(answer["usage"]), cached, answer["finish_reason"], answer.get("logprobs"))


def _token(entry: dict) -> dict:
    """A logprobs entry as kept: token, logprob and the top alternatives (OpenAI's ``bytes`` dropped)."""
    top = [{"token": str(t["token"]), "logprob": float(t["logprob"])} for t in entry.get("top_logprobs") or []]
    return {"token": str(entry["token"]), "logprob": float(entry["logprob"]), "top_logprobs": top}
