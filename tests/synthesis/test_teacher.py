"""The teacher policy against a real local OpenAI-compatible server serving a real tiny model."""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from agent.actions import FinishAction
from agent.completion import parse_completion
from agent.loop import PolicyError
from env.instances import Instance
from srl_trainer.workflows.collection.teacher import TeacherConfig, TeacherPolicy, chat_completion

INSTANCE = Instance("acme__calc-1", "acme/calc", "0" * 40, problem_statement="add(2, 3) returns -1.")
WELL_FORMED = "<think>\nNothing to change.\n</think>\n<function=finish>\n</function>"


@pytest.fixture(scope="module")
def tiny_model_dir(tmp_path_factory):
    from srl_trainer.models import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("tiny"), seed=0)


def serve(model_dir):
    from srl_trainer.workflows.serve import ChatModel, start_server

    server = start_server(ChatModel(str(model_dir), name="tiny"))
    return server, f"http://127.0.0.1:{server.server_address[1]}/v1"


def test_random_tiny_model_output_is_reported_as_garbage(tiny_model_dir):
    server, url = serve(tiny_model_dir)
    try:
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
    finally:
        server.shutdown()


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

    server, url = serve(tmp_path / "taught")
    try:
        policy = TeacherPolicy(TeacherConfig(base_url=url, model="tiny", max_tokens=40))
        policy.reset(INSTANCE)
        thought, action = parse_completion(policy.act(policy.messages, INSTANCE.problem_statement))
        assert action == FinishAction() and thought == "Nothing to change."
        assert policy.messages[-1] == {"role": "assistant", "content": WELL_FORMED}
    finally:
        server.shutdown()


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
