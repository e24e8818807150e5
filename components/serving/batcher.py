"""The server's one generation thread: requests that arrive while a batch is running are generated
together in the next batch, so concurrent clients share the model instead of queueing one by one.

All tokenizer work happens on this thread as well: ``textgen.generate`` sets padding on the shared
tokenizer, and a fast tokenizer changed by one thread fails ("Already borrowed") in another.
"""

from __future__ import annotations

import queue
import threading
from concurrent.futures import Future
from dataclasses import dataclass, field

from components.textgen import Decoding, chat_prompt, generate


class PromptError(ValueError):
    """A request the model cannot take (too long for its context, rejected by the chat template)."""


@dataclass(frozen=True)
class Completion:
    text: str
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str


@dataclass(frozen=True)
class Job:
    messages: list[dict[str, str]]
    decoding: Decoding
    seed: int = 0
    stop: tuple[str, ...] = ()
    future: Future = field(default_factory=Future, compare=False)


class Batcher:
    """Runs ``generate`` for submitted jobs, up to ``max_batch`` at a time, grouping jobs that share
    decoding settings (a batch has one decoding). Token counts re-tokenize the decoded text, so they
    can differ from the generated ids by a token where decoding merges or strips tokens."""

    def __init__(self, model, tokenizer, max_batch: int = 8):
        self.model, self.tokenizer, self.max_batch = model, tokenizer, max_batch
        self.context = getattr(model.config, "max_position_embeddings", None)
        self._jobs: queue.Queue[Job | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="judgeops-generate", daemon=True)
        self._thread.start()

    def submit(self, job: Job) -> Future:
        """The job's future: a Completion, or PromptError / the generation error."""
        self._jobs.put(job)
        return job.future

    def close(self) -> None:
        self._jobs.put(None)
        self._thread.join()

    def _run(self) -> None:
        while (first := self._jobs.get()) is not None:
            jobs = [first]
            while len(jobs) < self.max_batch:
                try:
                    job = self._jobs.get_nowait()
                except queue.Empty:
                    break
                if job is None:
                    self._jobs.put(None)  # finish this batch, then stop
                    break
                jobs.append(job)
            self._serve(jobs)

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
            try:
                texts = generate(self.model, self.tokenizer, [p for _, p, _ in group], decoding, len(group), seed)
            except Exception as error:  # the requests fail, the server stays up
                for job, _, _ in group:
                    job.future.set_exception(error)
                continue
            for (job, _, length), text in zip(group, texts, strict=True):
                job.future.set_result(self._completion(job, text, length))

    def _prompt(self, job: Job) -> tuple[str, int]:
        try:
            prompt = chat_prompt(self.tokenizer, job.messages)
        except Exception as error:  # jinja errors from the model's own chat template
            raise PromptError(f"the chat template rejected the messages: {error}") from None
        length = self._count(prompt)
        if self.context is not None and length + job.decoding.max_new_tokens > self.context:
            raise PromptError(
                f"the prompt has {length} tokens and max_tokens is {job.decoding.max_new_tokens}, "
                f"but the model's context is {self.context} tokens"
            )
        return prompt, length

    def _completion(self, job: Job, text: str, prompt_tokens: int) -> Completion:
        """OpenAI's ``stop`` semantics, applied after generation: the text ends before the first stop string."""
        cuts = [text.find(stop) for stop in job.stop if stop and stop in text]
        if cuts:
            text = text[: min(cuts)]
        tokens = self._count(text)
        finish = "length" if not cuts and tokens >= job.decoding.max_new_tokens else "stop"
        return Completion(text, prompt_tokens, tokens, finish)

    def _count(self, text: str) -> int:
        return len(self.tokenizer(text, add_special_tokens=False)["input_ids"])
