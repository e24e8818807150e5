"""`judgeops serve` with the tiny model on 127.0.0.1: OpenAI's response and error shapes, greedy
output equal to local generation, our own openai backend judging through it end to end, and a server
that stays up: one request's failure answers that request only, the limits refuse what they must, and
SIGTERM stops a real `judgeops serve` within 10 s. ``Gate`` holds the generation thread where a test
needs requests to wait in the queue."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import uvicorn

from components.judges import model_ref
from components.judges.base import both_orders
from components.judges.model_ref import ModelSource, resolve_model
from components.judges.openai import OpenAIJudge
from components.llm_client import LLMClient
from components.serving import batcher as batcher_module
from components.serving import server as server_module
from components.serving.guards import Limits
from components.serving.server import create_app, serve_command
from components.textgen import Decoding, chat_prompt, generate
from tests.conftest import REPO
from tests.factories import arithmetic_pairs

pytestmark = pytest.mark.slow

NAME = "tiny-judge"
HELLO = [{"role": "system", "content": "You are a judge."}, {"role": "user", "content": "Score 4 and 5."}]


@contextmanager
def running(app):
    """``app`` under uvicorn in a thread, on a socket bound to a free loopback port; yields the API's URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    uv = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=uv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not uv.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/v1"
    finally:
        uv.should_exit = True
        thread.join(10)


@pytest.fixture(scope="module")
def server(tiny_model):
    model, tokenizer = tiny_model
    with running(create_app(model, tokenizer, NAME)) as url:
        yield url


def local_greedy(tiny_model, messages: list[dict], max_tokens: int) -> str:
    model, tokenizer = tiny_model
    return generate(model, tokenizer, [chat_prompt(tokenizer, messages)], Decoding(max_new_tokens=max_tokens))[0]


def test_models_lists_the_served_model(server):
    listing = httpx.get(f"{server}/models").json()
    assert listing["object"] == "list"
    assert [(m["id"], m["object"]) for m in listing["data"]] == [(NAME, "model")]


def test_a_completion_has_openai_shape_and_is_the_greedy_local_output(server, tiny_model):
    response = httpx.post(f"{server}/chat/completions", json={"model": NAME, "messages": HELLO, "max_tokens": 8})
    assert response.status_code == 200
    body = response.json()
    assert body["id"].startswith("chatcmpl-") and body["object"] == "chat.completion" and body["model"] == NAME
    assert isinstance(body["created"], int)
    (choice,) = body["choices"]
    assert choice["index"] == 0 and choice["message"]["role"] == "assistant"
    assert choice["message"]["content"] == local_greedy(tiny_model, HELLO, 8)
    assert choice["finish_reason"] in ("stop", "length")
    usage = body["usage"]
    _, tokenizer = tiny_model
    assert usage["prompt_tokens"] == len(
        tokenizer(chat_prompt(tokenizer, HELLO), add_special_tokens=False)["input_ids"]
    )
    assert 0 < usage["completion_tokens"] <= 8
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]


def test_concurrent_requests_each_get_their_own_answer(server, tiny_model):
    prompts = [[{"role": "user", "content": f"What is {i} + {i}?"}] for i in range(6)]

    def ask(messages):
        reply = httpx.post(f"{server}/chat/completions", json={"model": NAME, "messages": messages, "max_tokens": 5})
        return reply.json()["choices"][0]["message"]["content"]

    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(ask, prompts))
    assert answers == [local_greedy(tiny_model, messages, 5) for messages in prompts]


def test_a_streamed_completion_is_openai_chunks_that_spell_the_same_answer(server, tiny_model):
    """`stream: true`, as chat front ends send it: server-sent `chat.completion.chunk` events whose deltas
    join to the non-streamed answer, with logprobs per chunk when asked, the usage when asked, then [DONE]."""
    body = {
        "model": NAME,
        "messages": HELLO,
        "max_tokens": 8,
        "stream": True,
        "logprobs": True,
        "top_logprobs": 2,
        "stream_options": {"include_usage": True},
    }
    with httpx.stream("POST", f"{server}/chat/completions", json=body) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        events = [line.removeprefix("data: ") for line in response.iter_lines() if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    chunks = [json.loads(event) for event in events[:-1]]
    assert {chunk["object"] for chunk in chunks} == {"chat.completion.chunk"}
    assert len({chunk["id"] for chunk in chunks}) == 1
    choices = [chunk["choices"][0] for chunk in chunks if chunk["choices"]]
    assert choices[0]["delta"]["role"] == "assistant"
    text = "".join(choice["delta"].get("content") or "" for choice in choices)
    assert text == local_greedy(tiny_model, HELLO, 8)
    assert choices[-1]["finish_reason"] in ("stop", "length")
    tokens = [t for choice in choices if choice["logprobs"] for t in choice["logprobs"]["content"]]
    assert tokens and all(len(t["top_logprobs"]) == 2 for t in tokens)
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["completion_tokens"] > 0


@pytest.mark.parametrize(
    ("content", "status", "says"),
    [
        (b'{"model": "tiny-judge", "messages": [', 400, "not valid JSON"),
        (json.dumps({"model": NAME}).encode(), 400, "messages"),
        (json.dumps({"model": NAME, "messages": HELLO, "n": 2}).encode(), 400, "n"),
        (json.dumps({"model": NAME, "messages": HELLO, "max_tokens": 5000}).encode(), 400, "at most 1024 tokens"),
        (
            json.dumps(
                {"model": NAME, "messages": [{"role": "user", "content": "word " * 1200}], "max_tokens": 1000}
            ).encode(),
            400,
            "context",
        ),
        (b"[" * 100_000, 400, "not valid JSON"),
        (json.dumps({"model": "gpt-4", "messages": HELLO}).encode(), 404, "does not exist"),
    ],
)
def test_bad_requests_get_openai_style_errors(server, content, status, says):
    response = httpx.post(f"{server}/chat/completions", content=content, headers={"Content-Type": "application/json"})
    assert response.status_code == status
    error = response.json()["error"]
    assert says in error["message"] and {"type", "param", "code"} <= error.keys()


def test_an_unknown_path_is_a_404_in_openai_shape(server):
    response = httpx.get(f"{server}/completions")
    assert response.status_code == 404 and "message" in response.json()["error"]


def test_the_openai_judge_judges_through_the_server_end_to_end(server, tiny_model, tmp_path):
    items = both_orders(arithmetic_pairs(3))
    client = LLMClient(server, NAME, cache=tmp_path / "responses.jsonl", max_tokens=6, timeout_s=30)
    judge = OpenAIJudge("served", client)
    judgments = judge.judge(items)
    assert [(j.pair_id, j.order) for j in judgments] == [(i.pair.id, i.order) for i in items]
    for item, judgment in zip(items, judgments, strict=True):
        assert judgment.raw == local_greedy(tiny_model, judge.messages(item.shown), 6)
        assert judgment.failed == (judgment.verdict is None)
        assert not judgment.failure.startswith("request failed"), judgment.failure
    assert judge.usage["completion_tokens"] > 0 and client.calls["requests"] == len(items)
    rerun = OpenAIJudge("served", LLMClient(server, NAME, cache=tmp_path / "responses.jsonl", max_tokens=6))
    assert rerun.judge(items) == judgments
    unparsed = sum(judgment.failed for judgment in judgments)
    assert rerun.client.calls == {"requests": unparsed, "retries": 0, "cached": len(items) - unparsed, "failed": 0}, (
        "parsed answers come from the cache; an API answer that did not parse is asked again"
    )


@pytest.fixture(scope="module")
def adapter_dir(tiny_model_dir, tmp_path_factory) -> Path:
    """A LoRA adapter over the tiny model, saved the way the finetune stage saves the judge."""
    from peft import LoraConfig, get_peft_model

    from components.models import load_causal_lm

    model, _ = load_causal_lm(tiny_model_dir)
    out = tmp_path_factory.mktemp("adapter")
    get_peft_model(model, LoraConfig(r=2, target_modules=["q_proj", "v_proj"])).save_pretrained(out)
    (out / "judgeops_judge.json").write_text('{"base_model": "tiny"}\n')
    return out


def test_a_real_adapter_resolves_over_the_base_peft_recorded(adapter_dir, tiny_model_dir, tmp_path, monkeypatch):
    """The resolver's cases are in tests/unit/test_model_ref.py; here, the adapter_config.json peft writes."""
    assert resolve_model(str(tiny_model_dir)) == ModelSource(tiny_model_dir, None, tiny_model_dir.name)
    assert resolve_model(str(adapter_dir)) == ModelSource(tiny_model_dir, adapter_dir, adapter_dir.name)

    def download(uri, dst):
        return Path(shutil.copytree(adapter_dir, Path(dst) / "judge_adapter"))

    monkeypatch.setattr(model_ref, "download_model", download)
    registered = resolve_model("models:/judge@champion", None, tmp_path)
    assert registered == ModelSource(tiny_model_dir, tmp_path / "judge_adapter", "judge@champion")


def test_serve_command_loads_an_adapter_and_serves_it_on_loopback_only(adapter_dir, monkeypatch):
    launched = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: launched.update(app=app, **options))
    serve_command(str(adapter_dir), 8123, None)
    assert (launched["host"], launched["port"]) == ("127.0.0.1", 8123)
    with running(launched["app"]) as url:
        assert httpx.get(f"{url}/models").json()["data"][0]["id"] == adapter_dir.name
        body = {"model": adapter_dir.name, "messages": HELLO, "max_tokens": 4}
        reply = httpx.post(f"{url}/chat/completions", json=body, timeout=30)
    assert reply.status_code == 200 and reply.json()["usage"]["completion_tokens"] > 0


def test_the_server_states_the_weights_it_serves_in_models_and_every_completion(adapter_dir, tmp_path, monkeypatch):
    """`judge@champion` names whatever version the alias points at: the weights fingerprint tells them apart,
    is the same for a copy of the same files (a registry download again), and differs when the adapter does."""
    launched = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: launched.append(app))
    copy = tmp_path / "judge"
    shutil.copytree(adapter_dir, copy)
    stated = []
    for _ in range(2):
        serve_command(str(copy), 8123, None)
        with running(launched[-1]) as url:
            listed = httpx.get(f"{url}/models").json()["data"][0]["system_fingerprint"]
            body = {"model": copy.name, "messages": HELLO, "max_tokens": 2}
            reply = httpx.post(f"{url}/chat/completions", json=body, timeout=30).json()
            assert listed and reply["system_fingerprint"] == listed
            assert LLMClient(url, copy.name).identity()["system_fingerprint"] == listed
        stated.append(listed)
        weights = copy / "adapter_model.safetensors"
        weights.write_bytes(weights.read_bytes())  # the same content, a new mtime (as a fresh download)
    assert stated[0] == stated[1]
    (copy / "adapter_config.json").write_text((copy / "adapter_config.json").read_text().replace("\n", " \n"))
    serve_command(str(copy), 8123, None)
    with running(launched[-1]) as url:
        assert httpx.get(f"{url}/models").json()["data"][0]["system_fingerprint"] != stated[0]


# -- a server that stays up --------------------------------------------------------------------------

STRICT = Limits(max_body_bytes=2048, max_tokens=16, max_queue=1, allowed_hosts=("judge.internal",))


@pytest.fixture(scope="module")
def strict(tiny_model):
    """A server with small limits that generates one request at a time with one more waiting: (url, app)."""
    model, tokenizer = tiny_model
    app = create_app(model, tokenizer, NAME, max_batch=1, limits=STRICT)
    with running(app) as url:
        yield url, app


class Gate:
    """Stands in for the batcher's ``generate_scored``: records each batch's prompts and, while closed, holds
    the generation thread so that later requests wait in the queue."""

    def __init__(self, real):
        self.real, self.batches, self.decodings = real, [], []
        self.entered, self.opened = threading.Event(), threading.Event()
        self.opened.set()

    def __call__(self, model, tokenizer, prompts, decoding, *args, **kwargs):
        self.batches.append(list(prompts))
        self.decodings.append(decoding)
        self.entered.set()
        assert self.opened.wait(20), "the gate was never opened"
        return self.real(model, tokenizer, prompts, decoding, *args, **kwargs)

    def generated(self, word: str) -> bool:
        return any(word in prompt for batch in self.batches for prompt in batch)


@pytest.fixture
def gate(monkeypatch):
    held = Gate(batcher_module.generate_scored)
    monkeypatch.setattr(batcher_module, "generate_scored", held)
    yield held
    held.opened.set()


class Panic(BaseException):
    """Stands in for pyo3's PanicException, which a Rust library (tokenizers) raises past ``except Exception``."""


def raising(error: BaseException):
    def fail(*args, **kwargs):
        raise error

    return fail


def ask(url: str, word: str = "hello", timeout: float = 10, **fields) -> httpx.Response:
    body = {"model": NAME, "messages": [{"role": "user", "content": f"Say {word}."}], "max_tokens": 4} | fields
    return httpx.post(f"{url}/chat/completions", json=body, timeout=timeout)


def assert_openai_error(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"} and error["message"]
    assert "Traceback" not in response.text and "secret" not in response.text
    return error


def wait_for(condition, timeout_s: float = 10) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.02)


@pytest.mark.parametrize(
    ("messages", "stop", "param"),
    [
        ('[{"role": "user", "content": "a\\ud800b"}]', None, "messages.0.content"),
        ('[{"role": "user", "content": [{"type": "text", "text": "\\udfff"}]}]', None, "messages.0.content"),
        ('[{"role": "user", "content": "hi"}]', '"\\ud800"', "stop"),
    ],
)
def test_a_lone_surrogate_is_a_400_and_the_next_request_is_served(server, messages, stop, param):
    body = f'{{"model": "{NAME}", "messages": {messages}, "stop": {stop or "null"}, "max_tokens": 4}}'
    response = httpx.post(
        f"{server}/chat/completions", content=body.encode(), headers={"Content-Type": "application/json"}, timeout=10
    )
    error = assert_openai_error(response, 400)
    assert "lone surrogate" in error["message"] and error["param"] == param
    assert ask(server).status_code == 200


@pytest.mark.parametrize(
    ("target", "replacement", "status"),
    [
        ("chat_prompt", lambda tokenizer, messages: "\ud800", 400),  # a prompt the tokenizer cannot encode
        ("generate_scored", raising(RuntimeError("out of memory at /secret/weights")), 500),
        ("generate_scored", raising(Panic("tokenizers panicked at /secret/src")), 500),
    ],
)
def test_an_error_in_the_generation_thread_answers_its_request_and_the_server_keeps_serving(
    server, monkeypatch, target, replacement, status
):
    with monkeypatch.context() as patch:
        patch.setattr(batcher_module, target, replacement)
        assert_openai_error(ask(server), status)
    assert ask(server).status_code == 200


def test_an_unexpected_error_in_the_handler_is_an_openai_shaped_500(server, monkeypatch):
    monkeypatch.setattr(server_module.ChatRequest, "job", raising(RuntimeError("bug at /secret/path")))
    assert assert_openai_error(ask(server), 500)["type"] == "server_error"


def test_once_the_generation_thread_is_dead_every_request_gets_a_503_at_once(tiny_model, monkeypatch):
    model, tokenizer = tiny_model
    monkeypatch.setattr(batcher_module, "generate_scored", raising(SystemExit(3)))
    with running(create_app(model, tokenizer, NAME)) as url:
        assert_openai_error(ask(url, timeout=5), 503)
        monkeypatch.undo()
        started = time.monotonic()
        for _ in range(3):
            assert "restart the server" in assert_openai_error(ask(url, timeout=5), 503)["message"]
        assert time.monotonic() - started < 3


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_body_over_the_limit_is_a_413_and_the_next_request_is_served(strict, chunked):
    url, _ = strict
    body = json.dumps({"model": NAME, "messages": [{"role": "user", "content": "x" * 3000}]}).encode()
    content = iter([body[:1000], body[1000:]]) if chunked else body
    response = httpx.post(
        f"{url}/chat/completions", content=content, headers={"Content-Type": "application/json"}, timeout=10
    )
    assert "2048" in assert_openai_error(response, 413)["message"]
    assert ask(url).status_code == 200


@pytest.mark.parametrize(
    ("fields", "status", "param"),
    [
        ({"max_tokens": 17}, 400, "max_tokens"),
        ({"max_completion_tokens": 17, "max_tokens": 4}, 400, "max_completion_tokens"),
        ({"max_tokens": 16}, 200, None),
        ({"max_tokens": None}, 200, None),  # the default is capped too
    ],
)
def test_max_tokens_over_the_cap_is_a_400_never_clamped(strict, gate, fields, status, param):
    url, _ = strict
    response = ask(url, **fields)
    if status == 200:
        assert response.status_code == 200 and [d.max_new_tokens for d in gate.decodings] == [16]
    else:
        error = assert_openai_error(response, status)
        assert error["param"] == param and "at most 16" in error["message"] and not gate.batches


def test_a_full_queue_is_a_429_with_retry_after_and_the_queued_requests_complete(strict, gate):
    url, app = strict
    gate.opened.clear()
    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(ask, url, "first", 30)
        assert gate.entered.wait(10)
        queued = pool.submit(ask, url, "queued", 30)
        wait_for(lambda: app.state.batcher.waiting == 1)
        refused = ask(url, "refused")
        gate.opened.set()
        assert [first.result(30).status_code, queued.result(30).status_code] == [200, 200]
    assert assert_openai_error(refused, 429)["code"] == "queue_full"
    assert refused.headers["Retry-After"] == "1"
    assert not gate.generated("refused")


def test_a_request_whose_client_went_away_is_dropped_before_generation(strict, gate):
    url, app = strict
    gate.opened.clear()
    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(ask, url, "first", 30)
        assert gate.entered.wait(10)
        with pytest.raises(httpx.TimeoutException):  # the client gives up and closes the connection
            ask(url, "abandoned", timeout=0.5)
        wait_for(lambda: app.state.batcher.waiting == 0)
        later = pool.submit(ask, url, "later", 30)  # the abandoned request no longer holds the queue's one place
        wait_for(lambda: app.state.batcher.waiting == 1)
        gate.opened.set()
        assert [first.result(30).status_code, later.result(30).status_code] == [200, 200]
    assert gate.generated("first") and gate.generated("later") and not gate.generated("abandoned")


@pytest.mark.parametrize(
    ("which", "method", "host", "status"),
    [
        ("server", "GET", "evil.example", 421),
        ("server", "POST", "evil.example:8000", 421),
        ("server", "GET", "127.0.0.1.evil.example", 421),
        ("server", "GET", "localhost.evil.example:80", 421),
        ("server", "GET", "judge.internal", 421),
        ("server", "GET", "", 421),
        ("server", "GET", "127.0.0.1:1", 200),
        ("server", "GET", "LocalHost", 200),
        ("server", "GET", "[::1]:8000", 200),
        ("strict", "GET", "judge.internal:9", 200),
        ("strict", "GET", "localhost", 200),
    ],
)
def test_only_loopback_and_configured_hosts_are_served(request, which, method, host, status):
    url = request.getfixturevalue(which)
    url = url[0] if isinstance(url, tuple) else url
    body = {"model": NAME, "messages": HELLO, "max_tokens": 2}
    path = "/chat/completions" if method == "POST" else "/models"
    response = httpx.request(method, f"{url}{path}", json=body, headers={"Host": host}, timeout=10)
    if status == 200:
        assert response.status_code == 200
    else:
        assert assert_openai_error(response, status)["code"] == "host_not_allowed"


STALLED = (
    b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    b'Content-Length: 500\r\n\r\n{"model": '
)


def test_judgeops_serve_exits_within_10_s_of_sigterm_with_requests_in_flight(tiny_model_dir, tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/v1"
    command = [sys.executable, "-c", "from components.cli import main; main()", "serve"]
    command += ["--model", str(tiny_model_dir), "--port", str(port)]
    with (tmp_path / "serve.log").open("wb") as log:
        process = subprocess.Popen(
            command, cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)}, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        wait_for(lambda: process.poll() is None and _serving(url), timeout_s=120)
        with ThreadPoolExecutor(1) as pool, socket.create_connection(("127.0.0.1", port)) as stalled:
            stalled.sendall(STALLED)  # a request whose body never arrives
            generating = pool.submit(_outcome, url, tiny_model_dir.name)  # about 30 s of generation
            time.sleep(2)
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=10)
            assert generating.result(timeout=5) in ("200", "503")
            stalled.settimeout(5)
            assert stalled.recv(4096).startswith(b"HTTP/1.1 503 ")
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    # 143: judgeops turns SIGTERM into an orderly exit (components/cli.py); -15 if the signal is re-raised
    assert process.returncode in (0, 143, -signal.SIGTERM), (tmp_path / "serve.log").read_text()[-2000:]


def _serving(url: str) -> bool:
    try:
        return httpx.get(f"{url}/models", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def _outcome(url: str, model: str) -> str:
    try:
        return str(ask(url, model=model, max_tokens=1000, timeout=60).status_code)
    except httpx.TransportError as error:
        return type(error).__name__


# -- logprobs ----------------------------------------------------------------------------------------


def test_logprobs_are_the_models_own_distribution_in_openai_shape(server, tiny_model):
    import torch

    model, tokenizer = tiny_model
    body = {"model": NAME, "messages": HELLO, "max_tokens": 4, "logprobs": True, "top_logprobs": 3}
    choice = httpx.post(f"{server}/chat/completions", json=body, timeout=30).json()["choices"][0]
    content = choice["logprobs"]["content"]
    assert 1 <= len(content) <= 4 and "".join(t["token"] for t in content).strip() == choice["message"]["content"]
    for token in content:
        assert token["bytes"] == list(token["token"].encode()) and len(token["top_logprobs"]) == 3
        listed = [t["logprob"] for t in token["top_logprobs"]]
        assert listed == sorted(listed, reverse=True)
        assert (token["token"], token["logprob"]) == (token["top_logprobs"][0]["token"], listed[0]), "greedy"
    ids = tokenizer(chat_prompt(tokenizer, HELLO), add_special_tokens=False, return_tensors="pt")["input_ids"]
    with torch.inference_mode():
        local = model(input_ids=ids).logits[0, -1].float().log_softmax(-1).topk(3)
    first = content[0]["top_logprobs"]
    assert [t["token"] for t in first] == tokenizer.batch_decode([[i] for i in local.indices.tolist()])
    assert [t["logprob"] for t in first] == pytest.approx(local.values.tolist(), abs=1e-4)

    plain = httpx.post(f"{server}/chat/completions", json=body | {"logprobs": False, "top_logprobs": None}).json()
    assert plain["choices"][0]["logprobs"] is None


@pytest.mark.parametrize(
    ("fields", "says"), [({"top_logprobs": 2}, "needs logprobs"), ({"logprobs": True, "top_logprobs": 21}, "20")]
)
def test_logprob_requests_beyond_openais_rules_are_400s(server, fields, says):
    assert says in assert_openai_error(ask(server, **fields), 400)["message"]


def test_logprobs_stop_with_the_text_a_stop_string_cuts():
    from components.serving.batcher import tokens_within
    from components.textgen import TokenLogprob

    tokens = tuple(TokenLogprob(text, -0.1) for text in ["\n", "8", " ", "3", "\n", "Assistant"])
    assert [t.token for t in tokens_within(tokens, "8 3")] == ["\n", "8", " ", "3"]
    assert [t.token for t in tokens_within(tokens, "8")] == ["\n", "8"]
    assert tokens_within(tokens, "") == ()


@pytest.fixture(scope="module")
def scoring_judge(tiny_model_dir):
    """A fresh tiny model taught a score line for each of 4 pairs in each order under the judgelm template:
    "10 3", "3 10", "10 10" and "9 2", "2 9" -- 10 is written through the "1" it shares with 1."""
    from components.judges.hf import HFJudge
    from components.models import load_causal_lm
    from tests.teach import teach

    model, tokenizer = load_causal_lm(tiny_model_dir)
    template = HFJudge("t", "", template="judgelm", model=model, tokenizer=tokenizer)
    items = both_orders(arithmetic_pairs(4))
    lines = {}
    for index, item in enumerate(items):
        pair = item.shown
        high, low = (9, 2) if index >= 6 else (10, 3)
        scores = [high if score == 9 else low for score in (pair.score1, pair.score2)]
        lines[template.prompt(pair)[0]] = f"{scores[0]} {scores[1]}\n"
    return teach(model, tokenizer, lines, steps=60, lr=1e-2), tokenizer, items


def test_the_openai_judge_in_logprob_mode_through_the_server_judges_as_the_local_logprob_judge(scoring_judge, tmp_path):
    """Same lines, verdicts and confidences. An expected score agrees where the endpoint's line went through
    the "1" that 1 and 10 share (a written 10); elsewhere the split of that "1" is not shown and the API
    reading counts it as 1 (components/judges/top_logprobs.py), so the expected scores may differ a little."""
    from components.judges.hf import HFJudge

    model, tokenizer, items = scoring_judge
    local = HFJudge("local", "", template="judgelm", mode="logprob", model=model, tokenizer=tokenizer).judge(items)
    assert all(not j.failed for j in local), [j.failure for j in local]
    assert {j.verdict for j in local} == {0, 1, 2}
    with running(create_app(model, tokenizer, "judge@champion")) as url:
        client = LLMClient(url, "judge@champion", cache=tmp_path / "responses.jsonl", timeout_s=30)
        served = OpenAIJudge("served", client, template="judgelm", mode="logprob").judge(items)
    assert [(j.raw, j.verdict, j.failed) for j in served] == [(j.raw, j.verdict, j.failed) for j in local]
    assert [j.confidence for j in served] == pytest.approx([j.confidence for j in local], rel=1e-3)
    tens = [
        (getattr(got, field), getattr(want, field))
        for got, want in zip(served, local, strict=True)
        for field, written in zip(("score1", "score2"), want.raw.split(), strict=True)
        if written == "10"
    ]
    assert len(tens) >= 6
    assert [got for got, _ in tens] == pytest.approx([want for _, want in tens], rel=1e-3)


def test_the_openai_sdk_streams_and_completes_against_the_server(server, tiny_model):
    """What a chat front end does, through OpenAI's own Python client: list the models, complete, and stream
    with logprobs; the streamed deltas spell the completed answer, every chunk with the completion's fingerprint."""
    from openai import OpenAI

    client = OpenAI(base_url=server, api_key="unused", max_retries=0)
    assert [model.id for model in client.models.list()] == [NAME]
    done = client.chat.completions.create(model=NAME, messages=HELLO, max_tokens=8)
    assert done.choices[0].message.content == local_greedy(tiny_model, HELLO, 8)
    stream = client.chat.completions.create(
        model=NAME,
        messages=HELLO,
        max_tokens=8,
        stream=True,
        logprobs=True,
        top_logprobs=2,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    text = "".join(chunk.choices[0].delta.content or "" for chunk in chunks if chunk.choices)
    assert text == done.choices[0].message.content
    tokens = [
        t for chunk in chunks if chunk.choices and chunk.choices[0].logprobs for t in chunk.choices[0].logprobs.content
    ]
    assert tokens and all(len(token.top_logprobs) == 2 for token in tokens)
    assert chunks[-1].usage.completion_tokens == done.usage.completion_tokens
    assert {chunk.system_fingerprint for chunk in chunks} == {done.system_fingerprint}
