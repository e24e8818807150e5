"""A scripted OpenAI-compatible chat endpoint on 127.0.0.1, for tests of API judges and teachers.

``FakeOpenAI`` is a real HTTP server in a thread speaking the chat-completions protocol. Per request,
``script(n, body)`` picks what happens to the n-th request (0-based): an HTTP status to answer with,
``"hang"`` (answer only after ``hang_s``, past a client's timeout), ``"echo_key"`` (a 401 quoting the
Authorization header, as a careless proxy might) or None: answer 200 with ``reply(body)`` (and, given
``logprobs``, ``logprobs(body)`` as the answer's logprobs content when the request asks). Every request
is recorded with the key ``LLMClient``'s response cache gives it (this endpoint and the body; set
``fingerprint`` and the fake states it as its weights, in ``GET /models`` and every answer), so tests
can compare the server's count of distinct requests with the client's cache; ``max_in_flight`` is the
most requests it was handling at once (a client's concurrency limit, seen from the server).
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from components.llm_client import response_key

USAGE = {"prompt_tokens": 10, "completion_tokens": 3, "total_tokens": 13}
SECRET = "sk-test-DO-NOT-LEAK-0123456789"

Action = int | str | None
Script = Callable[[int, dict], Action]
Reply = Callable[[dict], str]
Logprobs = Callable[[dict], list[dict]]


class FakeOpenAI:
    def __init__(
        self,
        script: Script | None = None,
        reply: Reply | None = None,
        delay_s: float = 0.0,
        hang_s: float = 1.0,
        logprobs: Logprobs | None = None,
    ):
        self.script = script or (lambda n, body: None)
        self.reply = reply or (lambda body: "8 3\nAssistant 1 is right.")
        # The weights fingerprint stated in GET /models and in every answer (None: stated nowhere, no /models).
        self.fingerprint: str | None = None
        self.logprobs = logprobs
        self.bodies: list[dict] = []
        self.delay_s, self.hang_s = delay_s, hang_s
        self.requests: list[dict] = []
        self.in_flight = self.max_in_flight = 0
        self.lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.daemon_threads = True
        self.httpd.block_on_close = False
        self.httpd.handle_error = lambda request, address: None  # clients that hung up mid-answer
        self.httpd.fake = self
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True).start()

    def keys(self) -> Counter:
        """How often each distinct request body was received."""
        with self.lock:
            return Counter(request["key"] for request in self.requests)

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        fake: FakeOpenAI = self.server.fake
        if fake.fingerprint is None or not self.path.endswith("/models"):
            self._send(404, {"error": {"message": "not found", "type": "test"}})
            return
        entry = {"id": "gpt-test", "object": "model", "system_fingerprint": fake.fingerprint}
        self._send(200, {"object": "list", "data": [entry]})

    def do_POST(self) -> None:
        fake: FakeOpenAI = self.server.fake
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with fake.lock:
            n = len(fake.requests)
            key = response_key(fake.url, body)
            fake.requests.append({"path": self.path, "auth": self.headers.get("Authorization"), "key": key})
            fake.bodies.append(body)
            fake.in_flight += 1
            fake.max_in_flight = max(fake.max_in_flight, fake.in_flight)
        action = fake.script(n, body)
        time.sleep(fake.delay_s)
        if action == "hang":
            time.sleep(fake.hang_s)
        with fake.lock:
            fake.in_flight -= 1
        if isinstance(action, int):
            self._send(action, {"error": {"message": f"scripted {action}", "type": "test"}})
        elif action == "echo_key":
            self._send(401, {"error": {"message": f"bad key {self.headers.get('Authorization')}", "type": "auth"}})
        else:
            message = {"role": "assistant", "content": fake.reply(body)}
            choice = {"index": 0, "message": message, "finish_reason": "stop"}
            if fake.logprobs is not None and body.get("logprobs"):
                choice["logprobs"] = {"content": fake.logprobs(body)}
            stated = {"system_fingerprint": fake.fingerprint} if fake.fingerprint is not None else {}
            self._send(200, {"choices": [choice], "usage": USAGE} | stated)

    def _send(self, status: int, payload: dict) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def fake_server():
    """``fake_server(script=None, reply=None, delay_s=0.0, hang_s=1.0, logprobs=None)`` starts a FakeOpenAI,
    stopped after the test."""
    started: list[FakeOpenAI] = []

    def start(*args, **kwargs) -> FakeOpenAI:
        started.append(FakeOpenAI(*args, **kwargs))
        return started[-1]

    yield start
    for fake in started:
        fake.stop()


_ANSWER = re.compile(r"\[The Start of Assistant ([12])'s Answer\]\n(.*?)\n\[The End of Assistant \1's Answer\]", re.S)
_REFERENCE = re.compile(r"\[Reference Answer\]\n(.*?)\n\n\[The Start of Assistant 1", re.S)
_EVALUATION = re.compile(r"\[The Start of the Evaluation\]\n(.*?)\n\[The End of the Evaluation\]", re.S)


def user_text(body: dict) -> str:
    return next(m["content"] for m in reversed(body["messages"]) if m["role"] == "user")


def judgelm_reply(body: dict) -> str:
    """A deterministic grader speaking JudgeLM's format: an answer containing the reference scores 8,
    other answers 3, one point more for answers under 40 characters. Scores depend on each answer alone,
    so the labels mirror exactly when the answers are swapped. A round-2 (reference-free rewrite)
    request gets the round-1 scores back with a reason that does not mention the reference."""
    text = user_text(body)
    evaluation = _EVALUATION.search(text)
    if evaluation:
        return f"{evaluation.group(1).splitlines()[0]}\nRewritten without it: Assistant 1 and Assistant 2 compared."
    answers = dict(_ANSWER.findall(text))
    reference = _REFERENCE.search(text)
    scores = [grade(answers[n], reference.group(1) if reference else "") for n in ("1", "2")]
    return f"{scores[0]} {scores[1]}\nAssistant 1 scores {scores[0]}; Assistant 2 scores {scores[1]}."


def grade(answer: str, reference: str) -> int:
    return (8 if reference.strip() and reference.strip().lower() in answer.lower() else 3) + (len(answer) < 40)
