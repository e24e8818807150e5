"""`judgeops serve` with the tiny model on 127.0.0.1: OpenAI's response and error shapes, greedy
output equal to local generation, and our own openai backend judging through it end to end."""

from __future__ import annotations

import json
import shutil
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import uvicorn

from components.judges.base import both_orders
from components.judges.openai import OpenAIJudge
from components.llm_client import LLMClient
from components.serving import loading
from components.serving.server import create_app, serve_command
from components.textgen import Decoding, chat_prompt, generate
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


@pytest.mark.parametrize(
    ("content", "status", "says"),
    [
        (b'{"model": "tiny-judge", "messages": [', 400, "not valid JSON"),
        (json.dumps({"model": NAME}).encode(), 400, "messages"),
        (json.dumps({"model": NAME, "messages": HELLO, "stream": True}).encode(), 400, "stream"),
        (json.dumps({"model": NAME, "messages": HELLO, "max_tokens": 5000}).encode(), 400, "context"),
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


def test_model_refs_resolve_to_base_and_adapter_folders(adapter_dir, tiny_model_dir, tmp_path, monkeypatch):
    assert loading.resolve(str(tiny_model_dir), None, tmp_path) == loading.ModelSource(
        tiny_model_dir, None, tiny_model_dir.name
    )
    assert loading.resolve(str(adapter_dir), None, tmp_path).base == tiny_model_dir, "from adapter_config.json"

    def download(uri, dst):
        assert uri == "models:/judge@champion"
        return Path(shutil.copytree(adapter_dir, Path(dst) / "judge_adapter"))

    monkeypatch.setattr(loading, "download_model", download)
    registered = loading.resolve("models:/judge@champion", None, tmp_path)
    assert registered == loading.ModelSource(tiny_model_dir, tmp_path / "judge_adapter", "judge@champion")

    monkeypatch.chdir(tmp_path)  # no data/base_model here
    moved = tmp_path / "moved"
    shutil.copytree(adapter_dir, moved)
    config = json.loads((moved / "adapter_config.json").read_text())
    (moved / "adapter_config.json").write_text(json.dumps(config | {"base_model_name_or_path": "gone"}))
    with pytest.raises(FileNotFoundError, match="pass --base"):
        loading.resolve(str(moved), None, tmp_path)
    assert loading.resolve(str(moved), str(tiny_model_dir), tmp_path).base == tiny_model_dir
    with pytest.raises(ValueError, match="only for adapter"):
        loading.resolve(str(tiny_model_dir), str(tiny_model_dir), tmp_path)
    with pytest.raises(FileNotFoundError, match="neither a model folder"):
        loading.resolve(str(tmp_path), None, tmp_path)


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
