"""The teacher policy against a real local OpenAI-compatible server serving a real tiny model, and its
``openai`` client against scripted endpoints (errors, retries, routes, keys)."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from agent.actions import FinishAction
from agent.completion import parse_completion
from agent.loop import PolicyError
from env.instances import Instance
from srl_trainer.workflows.collection.teacher import TeacherConfig, TeacherPolicy, api_base, chat_completion
from tests.srl_trainer.http_client import serving

INSTANCE = Instance("acme__calc-1", "acme/calc", "0" * 40, problem_statement="add(2, 3) returns -1.")
WELL_FORMED = "<think>\nNothing to change.\n</think>\n<function=finish>\n</function>"


@pytest.fixture(scope="module")
def tiny_model_dir(tmp_path_factory):
    from srl_trainer.models import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("tiny"), seed=0)


def serve(model_dir):
    """``model_dir`` behind the real serve endpoint, for a ``with`` block: its base URL."""
    from srl_trainer.workflows.serve import ChatModel

    return serving(ChatModel(str(model_dir), name="tiny"))


def test_random_tiny_model_output_is_reported_as_garbage(tiny_model_dir):
    with serve(tiny_model_dir) as url:
        with urllib.request.urlopen(f"{url}/models", timeout=10) as response:
            assert json.load(response)["data"][0]["id"] == "tiny"
        config = TeacherConfig(base_url=url, model="tiny", max_tokens=24)
        reply = chat_completion(config, [{"role": "user", "content": "hello"}])
        assert isinstance(reply, str) and reply  # real generated tokens came back
        policy = TeacherPolicy(config)
        policy.reset(INSTANCE)
        with pytest.raises(PolicyError) as caught:
            policy.act(policy.messages, INSTANCE.problem_statement)
        assert caught.value.reason == "garbage"


def test_well_formed_reply_becomes_an_action(tiny_model_dir, tmp_path):
    """Teach the tiny model one reply (a few optimiser steps), serve it, and get that action back."""
    import torch

    from srl_trainer.models import load_model

    model, tokenizer = load_model(str(tiny_model_dir))
    policy = TeacherPolicy(TeacherConfig(base_url="http://unused", model="tiny", max_tokens=40))
    policy.reset(INSTANCE)
    prompt = tokenizer.apply_chat_template(policy.messages, tokenize=False, add_generation_prompt=True)
    prompt_ids = tokenizer(prompt, return_tensors="pt")["input_ids"]
    target_ids = tokenizer(WELL_FORMED + tokenizer.eos_token, return_tensors="pt", add_special_tokens=False)[
        "input_ids"
    ]
    ids = torch.cat([prompt_ids, target_ids], dim=1)
    labels = ids.clone()
    labels[:, : prompt_ids.shape[1]] = -100
    torch.manual_seed(0)
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    model.train()
    for _ in range(60):
        loss = model(input_ids=ids, labels=labels).loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.save_pretrained(str(tmp_path / "taught"))
    tokenizer.save_pretrained(str(tmp_path / "taught"))

    with serve(tmp_path / "taught") as url:
        policy = TeacherPolicy(TeacherConfig(base_url=url, model="tiny", max_tokens=40))
        policy.reset(INSTANCE)
        thought, action = parse_completion(policy.act(policy.messages, INSTANCE.problem_statement))
        assert action == FinishAction() and thought == "Nothing to change."
        assert policy.messages[-1] == {"role": "assistant", "content": WELL_FORMED}


def test_endpoint_timeout_is_retried_then_reported():
    calls = []

    class Slow(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):  # noqa: N802
            calls.append(time.monotonic())
            time.sleep(2)
            self.send_response(200)
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        config = TeacherConfig(
            base_url=f"http://127.0.0.1:{server.server_address[1]}", model="m", request_timeout=0.3, retries=1
        )
        with pytest.raises(PolicyError) as caught:
            chat_completion(config, [{"role": "user", "content": "hi"}])
        assert caught.value.reason == "endpoint" and "2 attempt(s)" in str(caught.value)
        assert len(calls) == 2
    finally:
        server.shutdown()


class Scripted:
    """An endpoint on 127.0.0.1 answering every POST with ``(status, body)``; records paths and headers."""

    def __init__(self, status: int, body: bytes) -> None:
        self.requests: list[tuple[str, str]] = []
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):  # noqa: N802
                self.rfile.read(int(self.headers["Content-Length"]))
                endpoint.requests.append((self.path, self.headers.get("Authorization", "")))
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def ask(self, base_url: str = "", **config) -> str:
        config = {"model": "m", "retries": 1, **config}
        return chat_completion(
            TeacherConfig(base_url=base_url or self.url, **config), [{"role": "user", "content": "hi"}]
        )


@pytest.fixture
def scripted():
    made: list[Scripted] = []
    yield lambda status, body: made.append(Scripted(status, body)) or made[-1]
    for endpoint in made:
        endpoint.server.shutdown()
        endpoint.server.server_close()


REPLY = json.dumps({"choices": [{"message": {"role": "assistant", "content": "ok"}}]}).encode()


def test_client_error_is_reported_at_once_without_a_retry(scripted):
    endpoint = scripted(400, b'{"error": {"message": "unknown model"}}')
    with pytest.raises(PolicyError) as caught:
        endpoint.ask()
    assert caught.value.reason == "endpoint" and "HTTP 400 from" in str(caught.value)
    assert len(endpoint.requests) == 1


def test_server_error_is_retried_then_reported(scripted):
    endpoint = scripted(503, b'{"error": {"message": "overloaded"}}')
    with pytest.raises(PolicyError) as caught:
        endpoint.ask(retries=2)
    assert caught.value.reason == "endpoint" and "HTTP 503 after 3 attempt(s)" in str(caught.value)
    assert len(endpoint.requests) == 3


def test_unreachable_endpoint_is_an_endpoint_error_naming_the_cause(scripted):
    endpoint = scripted(200, REPLY)
    url = endpoint.url
    endpoint.server.shutdown()
    endpoint.server.server_close()  # nothing listens on the port now
    with pytest.raises(PolicyError) as caught:
        endpoint.ask(base_url=url)
    assert caught.value.reason == "endpoint" and "Connect" in str(caught.value)
    assert "after 2 attempt(s)" in str(caught.value)


@pytest.mark.parametrize("body", [b"not json", b'{"choices": []}', b'{"id": "x"}'])
def test_reply_that_is_no_chat_completion_is_garbage(scripted, body):
    with pytest.raises(PolicyError) as caught:
        scripted(200, body).ask()
    assert caught.value.reason == "garbage"


@pytest.mark.parametrize("suffix", ["", "/", "/v1", "/v1/", "/v1/chat/completions"])
def test_every_base_url_form_reaches_the_chat_route(scripted, suffix):
    endpoint = scripted(200, REPLY)
    assert endpoint.ask(base_url=endpoint.url + suffix) == "ok"
    assert endpoint.requests[0][0] == "/v1/chat/completions"
    assert api_base(endpoint.url + suffix) == endpoint.url + "/v1"


def test_api_key_from_config_or_environment_is_sent_as_bearer(scripted, monkeypatch):
    endpoint = scripted(200, REPLY)
    endpoint.ask(api_key="sk-config")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env")
    endpoint.ask()
    assert [auth for _, auth in endpoint.requests] == ["Bearer sk-config", "Bearer sk-env"]


def test_ctrl_c_during_a_request_stops_it_at_once_and_is_not_retried():
    """The client retries errors, never KeyboardInterrupt (what Ctrl-C and, in collect and solve,
    SIGTERM raise): an interrupt mid-request reaches the caller within a moment."""
    calls = []

    class Hanging(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):  # noqa: N802
            calls.append(time.monotonic())
            os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C while the client waits for this answer
            time.sleep(5)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hanging)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    config = TeacherConfig(base_url=f"http://127.0.0.1:{server.server_address[1]}", model="m", retries=3)
    # Ctrl-C as an interactive Python has it, set here: a test run started from a shell that ignores
    # SIGINT (a background job) inherits SIG_IGN, and the signal would never arrive.
    inherited = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(KeyboardInterrupt):
            chat_completion(config, [{"role": "user", "content": "hi"}])
        assert time.monotonic() - calls[0] < 3 and len(calls) == 1
    finally:
        signal.signal(signal.SIGINT, inherited)
        server.shutdown()
        server.server_close()
