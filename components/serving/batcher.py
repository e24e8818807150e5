"""The server's one generation thread: requests that arrive while a batch is running are generated
together in the next batch, so concurrent clients share the model instead of queueing one by one.

All tokenizer work happens on this thread as well: ``textgen.generate_scored`` sets padding on the shared
tokenizer, and a fast tokenizer changed by one thread fails ("Already borrowed") in another.

The thread is the server's single point of failure, so every job is settled exactly once, whatever
happens: an error while preparing one job fails that job, an error (even a ``BaseException`` such as a
Rust panic from the tokenizer) while generating a batch fails that batch, and if the thread stops for any
reason every waiting and later job fails at once with ``Unavailable`` instead of waiting for ever.
The queue is bounded (``QueueFull``), and a job whose future was cancelled (its client went away) is
dropped when the thread picks it up, before it costs a forward pass.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from concurrent.futures import Future
from dataclasses import dataclass, field, replace

from components.textgen import Decoding, Generated, TokenLogprob, chat_prompt, generate_scored

log = logging.getLogger(__name__)

DIED = "the generation thread has stopped; restart the server"


class PromptError(ValueError):
    """A request the model cannot take (too long for its context, rejected by the chat template or tokenizer)."""


class QueueFull(RuntimeError):
    """``max_queue`` jobs are already waiting; try again later."""


class Unavailable(RuntimeError):
    """The generation thread has stopped (the server is shutting down, or the thread died)."""


class GenerationFailed(RuntimeError):
    """Generating the job's batch raised; the cause is logged, never sent to the client."""


@dataclass(frozen=True)
class Completion:
    text: str
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str
    logprobs: tuple[TokenLogprob, ...] | None = None  # the text's tokens, when the job asked for them


@dataclass(frozen=True)
class Job:
    messages: list[dict[str, str]]
    decoding: Decoding
    seed: int = 0
    stop: tuple[str, ...] = ()
    top_logprobs: int | None = None  # None: no logprobs; k: each token's logprob and the k likeliest there
    future: Future = field(default_factory=Future, compare=False)


class Batcher:
    """Runs ``generate_scored`` for submitted jobs, up to ``max_batch`` at a time, grouping jobs that share
    decoding settings (a batch has one decoding), with at most ``max_queue`` jobs waiting. Token counts
    re-tokenize the decoded text, so they can differ from the generated ids by a token where decoding
    merges or strips tokens."""

    def __init__(self, model, tokenizer, max_batch: int = 8, max_queue: int = 64):
        if max_batch < 1 or max_queue < 1:
            raise ValueError(f"max_batch and max_queue must be at least 1, not {max_batch} and {max_queue}")
        self.model, self.tokenizer, self.max_batch, self.max_queue = model, tokenizer, max_batch, max_queue
        self.context = getattr(model.config, "max_position_embeddings", None)
        self._waiting: deque[Job] = deque()
        self._changed = threading.Condition()
        self._stopped: str | None = None  # why no more jobs are taken, once they are not
        self._thread = threading.Thread(target=self._run, name="judgeops-generate", daemon=True)
        self._thread.start()

    def submit(self, job: Job) -> Future:
        """The job's future: a Completion, or PromptError / GenerationFailed / Unavailable. Raises
        QueueFull or Unavailable at once when the job cannot be queued."""
        with self._changed:
            if self._stopped is not None:
                raise Unavailable(self._stopped)
            if len(self._waiting) >= self.max_queue:
                self._waiting = deque(job for job in self._waiting if not job.future.cancelled())
            if len(self._waiting) >= self.max_queue:
                raise QueueFull(f"{self.max_queue} requests are already waiting for the model")
            self._waiting.append(job)
            self._changed.notify()
        return job.future

    @property
    def waiting(self) -> int:
        """Jobs queued for the model, not counting those whose client went away."""
        with self._changed:
            return sum(not job.future.cancelled() for job in self._waiting)

    def close(self, timeout_s: float = 2.0) -> None:
        """Fail the waiting jobs, stop the running batch after its current decoding step, and wait for
        the thread up to ``timeout_s`` (it is a daemon: it never holds the process up)."""
        self._stop("the server is shutting down")
        self._thread.join(timeout_s)

    def _stop(self, reason: str) -> None:
        with self._changed:
            if self._stopped is None:
                self._stopped = reason
            abandoned, self._waiting = list(self._waiting), deque()
            self._changed.notify_all()
        for job in abandoned:
            if job.future.set_running_or_notify_cancel():
                job.future.set_exception(Unavailable(reason))

    def _run(self) -> None:
        try:
            while jobs := self._next_batch():
                self._batch(jobs)
        except BaseException:
            log.exception("the generation thread died; every request now gets a 503")
        finally:
            self._stop(DIED)

    def _next_batch(self) -> list[Job]:
        """Up to max_batch live jobs, waiting for the first; [] once stopped. Jobs whose future was
        cancelled are dropped here; the ones returned can no longer be cancelled."""
        with self._changed:
            while True:
                if self._stopped is not None:
                    return []
                jobs = []
                while self._waiting and len(jobs) < self.max_batch:
                    job = self._waiting.popleft()
                    if job.future.set_running_or_notify_cancel():
                        jobs.append(job)
                if jobs:
                    return jobs
                self._changed.wait()

    def _batch(self, jobs: list[Job]) -> None:
        """Serve ``jobs``; whatever goes wrong fails the jobs still unsettled. Only SystemExit and
        KeyboardInterrupt end the thread (after which every request gets a 503)."""
        try:
            self._serve(jobs)
        except BaseException as error:  # a pyo3 PanicException is a BaseException, and must not end the thread
            fatal = isinstance(error, (SystemExit, KeyboardInterrupt))
            stopped = self._stopped or (DIED if fatal else None)
            failure = Unavailable(stopped) if stopped else GenerationFailed(type(error).__name__)
            for job in jobs:
                if not job.future.done():
                    job.future.set_exception(failure)
            if fatal:
                raise
            log.error("a batch of %d requests failed", len(jobs), exc_info=error)

    def _serve(self, jobs: list[Job]) -> None:
        groups: dict[tuple[Decoding, int], list[tuple[Job, str, int]]] = {}
        for job in jobs:
            try:
                prompt, length = self._prompt(job)
            except PromptError as error:
                job.future.set_exception(error)
                continue
            groups.setdefault((job.decoding, job.seed), []).append((job, prompt, length))
        for (decoding, seed), group in groups.items():
            asked = [job.top_logprobs for job, _, _ in group if job.top_logprobs is not None]
            try:
                done = generate_scored(
                    self.model,
                    self.tokenizer,
                    [prompt for _, prompt, _ in group],
                    decoding,
                    len(group),
                    seed,
                    halt=lambda: self._stopped is not None,
                    top_logprobs=max([1, *asked]) if asked else 0,
                )
            except Exception as error:  # this group fails, the next one is still served
                log.error("generation failed for %d requests", len(group), exc_info=error)
                for job, _, _ in group:
                    job.future.set_exception(GenerationFailed(type(error).__name__))
                continue
            for (job, _, length), generated in zip(group, done, strict=True):
                if self._stopped is not None:  # halted mid-generation: the text is cut short
                    job.future.set_exception(Unavailable(self._stopped))
                else:
                    job.future.set_result(self._completion(job, generated, length))

    def _prompt(self, job: Job) -> tuple[str, int]:
        try:
            prompt = chat_prompt(self.tokenizer, job.messages)
        except Exception as error:  # jinja errors from the model's own chat template
            raise PromptError(f"the chat template rejected the messages: {error}") from None
        try:
            length = self._count(prompt)
        except Exception as error:  # the request's text, so the request's fault
            raise PromptError(f"the tokenizer could not encode the messages ({type(error).__name__})") from None
        if self.context is not None and length + job.decoding.max_new_tokens > self.context:
            raise PromptError(
                f"the prompt has {length} tokens and max_tokens is {job.decoding.max_new_tokens}, "
                f"but the model's context is {self.context} tokens"
            )
        return prompt, length

    def _completion(self, job: Job, done: Generated, prompt_tokens: int) -> Completion:
        """OpenAI's ``stop`` semantics, applied after generation: the text ends before the first stop string
        (and its logprobs with the last token that text shows)."""
        text = done.text
        cuts = [text.find(stop) for stop in job.stop if stop and stop in text]
        if cuts:
            text = text[: min(cuts)]
        tokens = self._count(text)
        finish = "length" if not cuts and tokens >= job.decoding.max_new_tokens else "stop"
        logprobs = None
        if job.top_logprobs is not None:
            logprobs = tuple(replace(t, top=t.top[: job.top_logprobs]) for t in tokens_within(done.tokens, text))
        return Completion(text, prompt_tokens, tokens, finish, logprobs)

    def _count(self, text: str) -> int:
        return len(self.tokenizer(text, add_special_tokens=False)["input_ids"])


def tokens_within(tokens: tuple[TokenLogprob, ...], text: str) -> tuple[TokenLogprob, ...]:
    """The generated tokens that ``text`` -- the continuation with leading blanks stripped, perhaps cut at a
    stop string -- shows: those that start before its end. Leading blank tokens stay: a reader of token
    positions must see what was generated first."""
    kept, written = [], ""
    for token in tokens:
        if len(written.lstrip()) >= len(text):
            break
        kept.append(token)
        written += token.token
    return tuple(kept)
