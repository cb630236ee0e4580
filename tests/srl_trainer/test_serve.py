"""The OpenAI-compatible server (srl_trainer.workflows.serve) through the real ``openai`` client: a real
tiny model behind a real HTTP server on localhost."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import openai
import pytest

from srl_trainer.workflows.serve import ChatModel, ServeLimits, main, start_server
from tests.conftest import REPO
from tests.srl_trainer.http_client import post, serving

MESSAGES = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Fix the failing test."}]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    from srl_trainer.models import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("tiny"), seed=0)


@pytest.fixture(scope="module")
def chat(model_dir):
    return ChatModel(str(model_dir), name="tiny")


@pytest.fixture(scope="module")
def server(chat):
    with serving(chat) as base:
        yield base


@pytest.fixture
def client(server):
    with openai.OpenAI(base_url=server, api_key="unused", max_retries=0, timeout=120) as client:
        yield client


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
        ({"model": "tiny", "messages": MESSAGES, "max_tokens": 0}, "max_tokens must be between 1 and 4096"),
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


@pytest.mark.parametrize(
    ("inherited", "signum"),
    [(signal.SIG_IGN, signal.SIGINT), (signal.SIG_DFL, signal.SIGTERM)],
    ids=["SIGINT-from-a-shell-that-ignores-it", "SIGTERM"],
)
def test_serve_command_serves_until_ctrl_c(model_dir, inherited, signum):
    """`python -m srl_trainer.swe serve` as a user starts it: a free port, a real request, a signal,
    exit 0. The child's SIGINT disposition is set here, not inherited from whatever shell runs the
    tests: ignored is what a script's background job (`serve &`) gets, and serve still stops."""
    command = [sys.executable, "-m", "srl_trainer.swe", "serve", "--model", str(model_dir), "--port", "0"]
    process = subprocess.Popen(
        command,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, inherited),
    )
    try:
        line = process.stdout.readline()  # printed once the port is bound
        assert line.startswith(f"serving {model_dir} at http://127.0.0.1:"), line + process.stderr.read()
        url = line.split(" at ")[1].strip()
        with openai.OpenAI(base_url=url, api_key="unused", max_retries=0, timeout=120) as client:
            reply = client.chat.completions.create(model="m", messages=MESSAGES, max_tokens=4)
        assert reply.choices[0].message.content is not None
        process.send_signal(signum)
        assert process.wait(timeout=30) == 0
        assert "Traceback" not in process.stderr.read()
    finally:
        process.kill()
        process.wait()


def test_serve_command_with_a_folder_that_is_no_model_is_one_line_and_exit_1(tmp_path):
    command = [sys.executable, "-m", "srl_trainer.swe", "serve", "--model", str(tmp_path), "--port", "0"]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.startswith(f"error: cannot load model {tmp_path}: ") and done.stderr.count("\n") == 1


# ---------------------------------------------------------------------------------------------
# Limits (issue 20 item 7), over real sockets: what a hostile or careless client cannot make the
# server do.


def port_of(url: str) -> int:
    return int(url.split(":")[2].split("/")[0])


def answer_of(connection: socket.socket, timeout: float = 10) -> tuple[int, dict]:
    """Status and JSON body of the answer on ``connection``, read until the server closes its side;
    the client's own side stays open (it has not finished sending, as far as the server knows)."""
    connection.settimeout(timeout)
    data = b""
    while chunk := connection.recv(65536):
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(body)


def chat_request(body: bytes, headers: str | None = None) -> bytes:
    """A POST to the chat route: ``headers`` replaces the Content-Length line when given."""
    length = f"Content-Length: {len(body)}\r\n" if headers is None else headers
    head = f"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n{length}\r\n"
    return head.encode() + body


def wait_for(condition, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


@pytest.mark.parametrize(
    ("headers", "status", "says"),
    [
        ("Content-Length: -1\r\n", 400, "Content-Length must be a number of bytes"),
        ("", 411, "Content-Length header is required"),
        ("Transfer-Encoding: chunked\r\n", 411, "chunked bodies are not read"),
        ("Content-Length: 12abc\r\n", 400, "Content-Length must be a number of bytes"),
        ("Content-Length: +5\r\n", 400, "Content-Length must be a number of bytes"),
        ("Content-Length: 5\r\nContent-Length: 7\r\n", 400, "two different Content-Length"),
        (f"Content-Length: {10**12}\r\n", 413, "the body is over 33554432 bytes"),
    ],
    ids=["negative", "missing", "chunked", "garbled", "signed", "two", "oversize"],
)
def test_a_body_length_that_cannot_bound_the_read_is_answered_at_once_without_reading_on(
    server, client, headers, status, says
):
    """Before, Content-Length -1 read the body until the client closed (300 MB before the 400): here
    the client keeps its side open and goes on sending, and the answer comes anyway."""
    with socket.create_connection(("127.0.0.1", port_of(server))) as connection:
        connection.sendall(chat_request(b'{"messages": [' + b" " * 100_000, headers))
        started = time.monotonic()
        code, payload = answer_of(connection)
    assert (code, payload["error"]["type"]) == (status, "invalid_request_error") and says in str(payload)
    assert time.monotonic() - started < 5
    assert client.chat.completions.create(model="tiny", messages=MESSAGES, max_tokens=2).choices


def test_twenty_clients_at_once_are_all_answered_without_a_reset(server):
    """The standard library's listen backlog of 5 reset 2-6 of 20 clients connecting together."""
    url, start, answers = f"{server}/chat/completions", threading.Barrier(20), {}

    def ask(index: int) -> None:
        body = {"messages": [{"role": "user", "content": f"hi {index}"}], "max_tokens": 3}
        body["stream"] = index % 2 == 0
        request = urllib.request.Request(url, json.dumps(body).encode(), {"Content-Type": "application/json"})
        start.wait()
        try:
            with urllib.request.urlopen(request, timeout=300) as response:
                answers[index] = (response.status, response.read()[-14:])
        except Exception as error:  # a reset is what this test is about: recorded, not raised
            answers[index] = (type(error).__name__, str(error))

    threads = [threading.Thread(target=ask, args=(index,)) for index in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers) == list(range(20))
    assert {answers[i][0] for i in answers} == {200}, answers
    assert all(answers[i][1] == b"data: [DONE]\n\n" for i in range(0, 20, 2))


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b'{"messages": MSG, "max_tokens": NaN}', "max_tokens must be an integer, got NaN"),
        (b'{"messages": MSG, "max_tokens": Infinity}', "max_tokens must be an integer, got Infinity"),
        (b'{"messages": MSG, "max_tokens": -Infinity}', "max_tokens must be an integer"),
        (b'{"messages": MSG, "max_tokens": 1e999}', "max_tokens must be an integer"),
        (b'{"messages": MSG, "max_tokens": -1}', "max_tokens must be between 1 and 4096, got -1"),
        (b'{"messages": MSG, "max_tokens": 1000000000}', "max_tokens must be between 1 and 4096"),
        (b'{"messages": MSG, "max_tokens": 4097}', "max_tokens must be between 1 and 4096"),
        (b'{"messages": MSG, "max_tokens": 2.5}', "max_tokens must be an integer"),
        (b'{"messages": MSG, "max_tokens": true}', "max_tokens must be an integer, got true"),
        (b'{"messages": MSG, "max_tokens": "10"}', "max_tokens must be an integer"),
        (b'{"messages": MSG, "max_tokens": [10]}', "max_tokens must be an integer"),
        (b'{"messages": MSG, "max_completion_tokens": NaN}', "max_completion_tokens must be an integer"),
        (b'{"messages": MSG, "max_tokens": 4096}', "over the model's context of 4096 tokens"),
        (b'{"messages": MSG, "temperature": NaN}', "temperature must be a number"),
        (b'{"messages": MSG, "temperature": -0.1}', "temperature must be between 0.0 and 2.0"),
        (b'{"messages": MSG, "temperature": 2.5}', "temperature must be between 0.0 and 2.0"),
        (b'{"messages": MSG, "temperature": false}', "temperature must be a number"),
        (b'{"messages": MSG, "temperature": {"t": 1}}', "temperature must be a number"),
        (b'{"messages": MSG, "n": true}', "only n=1"),
        (b'{"messages": MSG, "stream_options": [1]}', "stream_options an object"),
        (b'{"messages": MSG, "stream_options": {"include_usage": "yes"}}', "include_usage must be true or"),
        (b'{"messages": {"role": "user", "content": "hi"}}', "messages must be a non-empty list"),
        (b'{"messages": [1]}', "messages[0] must be an object"),
        (b'{"messages": [[{"role": "user", "content": "hi"}]]}', "messages[0] must be an object"),
        (b'{"messages": [{"role": ["user"], "content": "hi"}]}', "messages[0] must be an object"),
        (b'{"messages": [{"role": "user", "content": {"text": "hi"}}]}', "messages[0].content"),
        (b'{"messages": [{"role": "user", "content": [{"type": "image"}]}]}', "messages[0].content"),
        (b'{"messages": [{"role": "user"}]}', "messages[0].content"),
        (b'{"messages": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "nested too deeply"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        (b'"messages"', "the body must be a JSON object"),
        (b"null", "the body must be a JSON object"),
        (b"3", "the body must be a JSON object"),
        (b"\xff\xfe{}", "the body is not JSON"),
    ],
)
def test_every_bad_value_is_one_400_and_no_traceback(server, client, capfd, body, says):
    code, payload = post(f"{server}/chat/completions", body.replace(b"MSG", json.dumps(MESSAGES).encode()))
    assert code == 400 and says in payload["error"]["message"], payload
    assert payload["error"]["type"] == "invalid_request_error"
    assert client.chat.completions.create(model="tiny", messages=MESSAGES, max_tokens=2).choices
    assert "Traceback" not in capfd.readouterr().err


@pytest.mark.parametrize("stream", [False, True], ids=["complete", "stream"])
def test_a_client_that_disconnects_stops_its_generation(server, chat, stream):
    """Before, max_tokens 1e9 ran on after the client left; now generation ends at the next token,
    read from the server's own counter of generated tokens."""
    tokens, stopped = chat.generated_tokens, chat.stopped_early
    body = json.dumps({"messages": MESSAGES, "max_tokens": 3000, "stream": stream}).encode()
    connection = socket.create_connection(("127.0.0.1", port_of(server)))
    connection.sendall(chat_request(body))
    wait_for(lambda: chat.generated_tokens >= tokens + 10)  # generating for this client
    connection.close()
    wait_for(lambda: chat.stopped_early == stopped + 1, seconds=30)
    wait_for(lambda: not chat.lock.locked(), seconds=30)
    assert chat.generated_tokens - tokens < 1000  # of the 3000 it asked for


def test_a_client_that_left_while_queued_is_never_generated_for(server, chat):
    tokens, stopped = chat.generated_tokens, chat.stopped_early
    with chat.lock:  # another request is generating
        connection = socket.create_connection(("127.0.0.1", port_of(server)))
        body = json.dumps({"messages": MESSAGES, "max_tokens": 3000}).encode()
        connection.sendall(chat_request(body))
        time.sleep(0.5)  # the body is read and the request waits for the model
        connection.close()
    wait_for(lambda: chat.stopped_early == stopped + 1, seconds=30)
    assert chat.generated_tokens == tokens


def test_requests_beyond_the_queue_are_503_at_once_with_retry_after(chat):
    server = start_server(chat, limits=ServeLimits(max_queue=1))
    port = server.server_address[1]
    waiting = socket.create_connection(("127.0.0.1", port))
    try:
        with chat.lock:  # another request is generating
            waiting.sendall(chat_request(json.dumps({"messages": MESSAGES, "max_tokens": 2}).encode()))
            time.sleep(0.5)  # admitted, waiting for the model
            with socket.create_connection(("127.0.0.1", port)) as extra:
                extra.sendall(chat_request(json.dumps({"messages": MESSAGES}).encode()))
                code, payload = answer_of(extra)
        assert code == 503 and "holds 1 requests already: retry later" in payload["error"]["message"]
        code, payload = answer_of(waiting, timeout=60)  # the admitted one is answered once the model is free
        assert code == 200 and payload["choices"][0]["message"]["role"] == "assistant"
    finally:
        waiting.close()
        server.shutdown()
        server.server_close()


def test_max_tokens_cap_is_a_flag_and_zero_is_refused(tmp_path, capsys):
    with pytest.raises(SystemExit) as exited:
        main(["--model", str(tmp_path), "--max-tokens", "0"])
    assert exited.value.code == 2 and "--max-tokens: must be at least 1, got 0" in capsys.readouterr().err
