"""The OpenAI-compatible server (srl_trainer.workflows.serve) through the real ``openai`` client: a real
tiny model behind a real HTTP server on localhost."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import urllib.error
import urllib.request

import openai
import pytest

from srl_trainer.workflows.serve import ChatModel, main, start_server
from tests.conftest import REPO

MESSAGES = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Fix the failing test."}]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    from srl_trainer.models import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("tiny"), seed=0)


@pytest.fixture(scope="module")
def server(model_dir):
    server = start_server(ChatModel(str(model_dir), name="tiny"))
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


@pytest.fixture
def client(server):
    with openai.OpenAI(base_url=server, api_key="unused", max_retries=0, timeout=120) as client:
        yield client


def post(url: str, body: bytes) -> tuple[int, dict]:
    """Status and JSON body of a raw POST (for bodies the openai client cannot send)."""
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def test_openai_client_lists_the_model_and_gets_a_chat_completion(client):
    assert [m.id for m in client.models.list().data] == ["tiny"]
    completion = client.chat.completions.create(model="tiny", messages=MESSAGES, max_tokens=16, temperature=0)
    choice = completion.choices[0]
    assert completion.object == "chat.completion" and choice.message.role == "assistant"
    assert isinstance(choice.message.content, str) and choice.message.content  # real generated tokens
    assert choice.finish_reason in ("stop", "length")
    assert 1 <= completion.usage.completion_tokens <= 16
    assert (
        completion.usage.total_tokens == completion.usage.prompt_tokens + completion.usage.completion_tokens
    )


def test_streamed_chunks_join_to_the_non_streamed_reply_at_temperature_0(client):
    whole = client.chat.completions.create(model="tiny", messages=MESSAGES, max_tokens=40, temperature=0)
    stream = client.chat.completions.create(
        model="tiny",
        messages=MESSAGES,
        max_tokens=40,
        temperature=0,
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    assert {chunk.object for chunk in chunks} == {"chat.completion.chunk"}
    assert len({chunk.id for chunk in chunks}) == 1
    with_choices = [chunk for chunk in chunks if chunk.choices]
    assert with_choices[0].choices[0].delta.role == "assistant"
    pieces = [chunk.choices[0].delta.content or "" for chunk in with_choices]
    assert sum(bool(piece) for piece in pieces) > 1  # streamed piece by piece, not one block
    assert "".join(pieces) == whole.choices[0].message.content
    assert with_choices[-1].choices[0].finish_reason == whole.choices[0].finish_reason
    assert [c.choices[0].finish_reason for c in with_choices[:-1]] == [None] * (len(with_choices) - 1)
    assert chunks[-1].choices == [] and chunks[-1].usage == whole.usage  # stream_options.include_usage


def test_stream_is_server_sent_events_ending_with_done(server):
    body = {"messages": MESSAGES, "max_tokens": 5, "stream": True}
    request = urllib.request.Request(
        f"{server}/chat/completions",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        assert response.headers["Content-Type"] == "text/event-stream"
        events = response.read().decode().split("\n\n")
    assert events[-2:] == ["data: [DONE]", ""]
    assert all(event.startswith("data: {") for event in events[:-2])


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"model": "tiny", "messages": "oops"}, "messages must be a non-empty list"),
        ({"model": "tiny", "messages": []}, "messages must be a non-empty list"),
        ({"model": "tiny", "messages": [{"role": "wizard", "content": "hi"}]}, "messages[0] must be"),
        ({"model": "tiny", "messages": [{"role": "user", "content": 3}]}, "messages[0].content"),
        ({"model": "tiny", "messages": MESSAGES, "max_tokens": 0}, "max_tokens must be at least 1"),
        ({"model": "tiny", "messages": MESSAGES, "max_tokens": "ten"}, "max_tokens must be an integer"),
        ({"model": "tiny", "messages": MESSAGES, "temperature": 5}, "temperature must be between"),
        ({"model": "tiny", "messages": MESSAGES, "n": 2}, "only n=1"),
        ({"model": "tiny", "messages": MESSAGES, "stream": "yes"}, "stream must be true or false"),
    ],
)
def test_malformed_request_is_bad_request_error_with_a_message(client, body, says):
    # client.post sends the body as given (create() would check some fields itself first).
    with pytest.raises(openai.BadRequestError) as caught:
        client.post("/chat/completions", body=body, cast_to=object)
    assert caught.value.status_code == 400 and says in caught.value.message
    assert caught.value.type == "invalid_request_error"


def test_missing_messages_and_bad_json_are_400_with_a_json_error_and_the_server_keeps_serving(
    server, client, capfd
):
    code, payload = post(f"{server}/chat/completions", json.dumps({"model": "tiny"}).encode())
    assert code == 400 and payload["error"]["message"] == "messages is required"
    assert payload["error"]["param"] == "messages"
    code, payload = post(f"{server}/chat/completions", b'{"messages": [')
    assert code == 400 and payload["error"]["message"].startswith("the body is not JSON")
    code, payload = post(f"{server}/chat/completions", b"[1, 2]")
    assert code == 400 and payload["error"]["message"] == "the body must be a JSON object"
    code, payload = post(f"{server}/nowhere", b"{}")
    assert code == 404 and "no route" in payload["error"]["message"]
    reply = client.chat.completions.create(model="tiny", messages=MESSAGES, max_tokens=3)
    assert reply.choices[0].message.content is not None
    assert "Traceback" not in capfd.readouterr().err


def test_text_parts_content_is_read_like_a_string(client):
    parts = [
        {"role": "user", "content": [{"type": "text", "text": "Fix the "}, {"type": "text", "text": "bug."}]}
    ]
    plain = [{"role": "user", "content": "Fix the bug."}]
    as_parts = client.chat.completions.create(model="tiny", messages=parts, max_tokens=8, temperature=0)
    as_text = client.chat.completions.create(model="tiny", messages=plain, max_tokens=8, temperature=0)
    assert as_parts.choices[0].message.content == as_text.choices[0].message.content


def test_main_with_a_folder_that_is_no_model_is_one_line_and_exit_1(tmp_path, capsys):
    assert main(["--model", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: cannot load model {tmp_path}: ") and err.count("\n") == 1


def test_serve_command_serves_until_ctrl_c(model_dir):
    """`python -m srl_trainer.swe serve` as a user starts it: a free port, a real request, Ctrl-C, exit 0."""
    command = [sys.executable, "-m", "srl_trainer.swe", "serve", "--model", str(model_dir), "--port", "0"]
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()  # printed once the port is bound
        assert line.startswith(f"serving {model_dir} at http://127.0.0.1:"), line + process.stderr.read()
        url = line.split(" at ")[1].strip()
        with openai.OpenAI(base_url=url, api_key="unused", max_retries=0, timeout=120) as client:
            reply = client.chat.completions.create(model="m", messages=MESSAGES, max_tokens=4)
        assert reply.choices[0].message.content is not None
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
    finally:
        process.kill()
        process.wait()


def test_serve_command_with_a_folder_that_is_no_model_is_one_line_and_exit_1(tmp_path):
    command = [sys.executable, "-m", "srl_trainer.swe", "serve", "--model", str(tmp_path), "--port", "0"]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.startswith(f"error: cannot load model {tmp_path}: ") and done.stderr.count("\n") == 1
