"""A small OpenAI-compatible chat server for a local transformers checkpoint (bound to 127.0.0.1).

``python -m srl_trainer.swe serve --model PATH [--port 8000]`` (or ``python -m
srl_trainer.workflows.serve``, the same flags) serves ``GET /v1/models`` and ``POST
/v1/chat/completions`` (``messages``, ``max_tokens`` or ``max_completion_tokens``, ``temperature``,
``stream`` with ``stream_options.include_usage``; one choice). It generates with the checkpoint's own
chat template (the one training used), greedily at temperature 0 (the default), one request at a time.
``"stream": true`` answers with server-sent events in OpenAI's ``chat.completion.chunk`` format, ended
by ``data: [DONE]``. A malformed request gets HTTP 400 with an OpenAI-style JSON error body.

It is what the tests and offline users point ``collect --policy openai``, ``solve --base-url`` or any
OpenAI client at when no vLLM is around.

Every input is bounded (:class:`ServeLimits`), whoever sends it:

- the body: read only with a ``Content-Length`` of digits (none: 411; negative, not a number, or two
  that differ: 400; above ``max_body_bytes``: 413), within ``body_seconds``, and never before the
  request is admitted; answers sent before the body was read are followed by a short bounded drain,
  so the client reads the answer instead of a connection reset;
- the queue: a listen backlog of 128 (the standard library's 5 reset clients that connect together)
  and at most ``max_queue`` requests admitted at once, the rest answered 503 at once; generation is
  serialized behind the model's lock, the admitted requests wait for it in their own threads;
- the reply: ``max_tokens`` at most ``--max-tokens`` (default 4096), and the prompt plus
  ``max_tokens`` within the model's context, else 400;
- the client's patience: a client that closes its connection (or whose stream write fails) stops
  its generation at the next token, and one that left while queued is never generated for;
- every bad value (NaN, Infinity, a bool, a string or a negative number where a number goes, a
  non-object or too deeply nested body, messages of the wrong shape) is one 400 with a JSON error;
  anything unexpected is one 500 and one line on stderr, never a traceback and a dropped connection.

Why its own server and not ``transformers serve`` (transformers 5.24 ships one, checked offline):
that one needs FastAPI and Uvicorn, which the project does not install; it rejects a ``model`` field
other than the served one (``collect`` and ``solve`` send their own names) and ignores
``stream_options``; it takes ``max_tokens`` as ``int(body["max_tokens"])`` with no cap (1e9 is
accepted, NaN is an error 500); and it stops generation for a client that left only when streaming.
What a user of this project wants from ``serve`` is the trained folder behind the endpoint with the
template training used, nothing else to install, and these bounds; for throughput, ``vllm serve`` on
the same folder is the tool (it reads the same chat template).

SIGINT and SIGTERM stop the server (exit status 0), even where the shell started it with SIGINT
ignored (a background job of a script): an explicit ``kill -INT`` should stop a server as it stops
the project's other commands and as ``vllm serve`` / Uvicorn stop, rather than leave it holding
the port and the model's memory.
"""

from __future__ import annotations

import argparse
import json
import math
import queue
import re
import select
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from srl_trainer.errors import CliError

ROLES = ("system", "user", "assistant", "tool")
MAX_BODY_BYTES = 32 * 1024 * 1024
DEFAULT_MAX_TOKENS = 256  # a request that names no max_tokens (capped by ServeLimits.max_tokens)
LISTEN_BACKLOG = 128
LINGER_SECONDS = 2.0  # the drain after an answer sent before the body was read
LINGER_BYTES = 16 * 1024 * 1024


@dataclass
class ServeLimits:
    """What one request may ask of the server; above any of them it is answered at once."""

    max_tokens: int = 4096
    """The most tokens one reply may ask for; a larger max_tokens is a 400."""
    max_queue: int = 32
    """Requests admitted at once (reading their body, waiting for the model, generating); one more: 503."""
    max_body_bytes: int = MAX_BODY_BYTES
    """The largest request body read; a larger Content-Length is a 413 and the body is not read."""
    body_seconds: float = 120.0
    """Seconds a client may take to send its whole body (a slow one is answered 408)."""


class RequestError(ValueError):
    """A request answered with an error status (400 unless said) and this message; ``param`` names the
    bad field."""

    def __init__(self, message: str, param: str | None = None, status: int = 400) -> None:
        super().__init__(message)
        self.param = param
        self.status = status


class ClientGone(Exception):
    """The client closed its connection before or during generation: there is no one to answer."""


@dataclass
class ChatRequest:
    """The parts of a ``/v1/chat/completions`` body this server uses, checked."""

    messages: list[dict]
    max_tokens: int = DEFAULT_MAX_TOKENS
    temperature: float = 0.0
    stream: bool = False
    include_usage: bool = False


def _content(message: dict, index: int) -> str:
    """A message's text: a string, or OpenAI's list of ``{"type": "text", "text": ...}`` parts joined."""
    content = message.get("content")
    if isinstance(content, str):
        return content
    if content is None and message["role"] == "assistant":
        return ""  # an assistant turn that only called tools
    if isinstance(content, list) and all(
        isinstance(part, dict) and part.get("type") == "text" and isinstance(part.get("text"), str)
        for part in content
    ):
        return "".join(part["text"] for part in content)
    raise RequestError(f"messages[{index}].content must be a string or a list of text parts", "messages")


def _number(request: dict, name: str, kind: type, default, low: float, high: float | None = None):
    """``request[name]`` as ``kind`` within [low, high], or ``default`` when absent or null."""
    value = request.get(name)
    if value is None:
        return default
    # bool is an int in Python, but `"max_tokens": true` is a client bug, not 1; JSON's NaN and
    # Infinity (which Python's json reads) are numbers no bound compares with.
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if not number or not math.isfinite(value) or (kind is int and value != int(value)):
        what = "an integer" if kind is int else "a number"
        raise RequestError(f"{name} must be {what}, got {json.dumps(value)[:40]}", name)
    if value < low or (high is not None and value > high):
        bounds = f"at least {low}" if high is None else f"between {low} and {high}"
        raise RequestError(f"{name} must be {bounds}, got {value}", name)
    return kind(value)


def parse_request(body: bytes, max_tokens: int = ServeLimits.max_tokens) -> ChatRequest:
    """The checked request (``max_tokens`` the cap); :class:`RequestError` (a 400) saying what is
    wrong with it."""
    try:
        request = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise RequestError(f"the body is not JSON: {error}") from None
    except RecursionError:
        raise RequestError("the body is nested too deeply") from None
    if not isinstance(request, dict):
        raise RequestError("the body must be a JSON object")
    messages = request.get("messages")
    if messages is None:
        raise RequestError("messages is required", "messages")
    if not isinstance(messages, list) or not messages:
        raise RequestError("messages must be a non-empty list of {role, content} objects", "messages")
    checked = []
    for index, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("role") not in ROLES:
            raise RequestError(f"messages[{index}] must be an object with a role in {ROLES}", "messages")
        checked.append({"role": message["role"], "content": _content(message, index)})
    if request.get("n") not in (None, 1) or isinstance(request.get("n"), bool):
        raise RequestError("only n=1 is served", "n")
    stream = request.get("stream", False)
    options = request.get("stream_options") or {}
    if not isinstance(stream, bool) or not isinstance(options, dict):
        raise RequestError("stream must be true or false and stream_options an object", "stream")
    include_usage = options.get("include_usage", False)
    if not isinstance(include_usage, bool):
        raise RequestError("stream_options.include_usage must be true or false", "stream_options")
    tokens = "max_completion_tokens" if request.get("max_completion_tokens") is not None else "max_tokens"
    return ChatRequest(
        messages=checked,
        max_tokens=_number(request, tokens, int, min(DEFAULT_MAX_TOKENS, max_tokens), 1, max_tokens),
        temperature=_number(request, "temperature", float, 0.0, 0.0, 2.0),
        stream=stream,
        include_usage=include_usage,
    )


def peer_closed(connection: socket.socket) -> bool:
    """Whether the client closed (or reset) its side of ``connection``: readable with nothing to read.

    Only the socket is looked at (no byte is consumed): a client that sent more after its request
    is still there. A client that shuts down its sending side after the request (``nc -N``; no HTTP
    library does) reads as gone.
    """
    try:
        readable, _, _ = select.select([connection], [], [], 0)
        return bool(readable) and connection.recv(1, socket.MSG_PEEK) == b""
    except (OSError, ValueError):  # reset, or already closed here
        return True


class _PieceStreamer:
    """``generate``'s streamer: queues each newly decoded piece of the reply, then None at the end.

    The reply so far is decoded whole at each token and only the text before any U+FFFD is released
    (a character's bytes may span tokens), so the pieces join to exactly the reply decoded at once,
    which is what the non-streamed answer is.
    """

    def __init__(self, tokenizer) -> None:
        self.tokenizer = tokenizer
        self.ids: list[int] = []
        self.sent = 0
        self.prompt_seen = False
        self.pieces: queue.Queue[str | None] = queue.Queue()

    def put(self, value) -> None:
        if not self.prompt_seen:  # generate's first put is the prompt
            self.prompt_seen = True
            return
        self.ids.extend(value.reshape(-1).tolist())
        self._release(self.tokenizer.decode(self.ids, skip_special_tokens=True).split("\ufffd", 1)[0])

    def end(self) -> None:
        self._release(self.tokenizer.decode(self.ids, skip_special_tokens=True))
        self.pieces.put(None)

    def _release(self, text: str) -> None:
        if len(text) > self.sent:
            self.pieces.put(text[self.sent :])
            self.sent = len(text)


class StreamedReply:
    """One reply generated in a worker thread; iterating yields its text pieces as they come.

    ``completion_tokens`` is final once iteration ends; an error in ``generate`` (ClientGone
    included) is raised from the iteration. :meth:`cancel` stops generation at the next token (a
    client that went away must not hold the model).
    """

    def __init__(
        self,
        chat: ChatModel,
        inputs: dict,
        sampling: dict,
        max_tokens: int,
        client_gone: Callable[[], bool] | None = None,
    ) -> None:
        self.inputs, self.sampling = inputs, sampling
        self.prompt_tokens = int(self.inputs["input_ids"].shape[1])
        self.completion_tokens = 0
        self.max_tokens = max_tokens
        self._chat = chat
        self._streamer = _PieceStreamer(chat.tokenizer)
        self._cancelled = threading.Event()
        self._client_gone = client_gone or (lambda: False)
        self._error: Exception | None = None
        self._thread = threading.Thread(target=self._generate, name="serve-generate", daemon=True)
        self._thread.start()

    def _generate(self) -> None:
        try:
            output = self._chat.generate(
                self.inputs,
                self.max_tokens,
                self.sampling,
                client_gone=lambda: self._cancelled.is_set() or self._client_gone(),
                streamer=self._streamer,
            )
            self.completion_tokens = int(output.shape[1]) - self.prompt_tokens
        except Exception as error:  # raised to the reader, who answers it
            self._error = error
            self._streamer.pieces.put(None)

    def __iter__(self) -> Iterator[str]:
        yield from iter(self._streamer.pieces.get, None)
        self._thread.join()
        if self._error is not None:
            raise self._error

    @property
    def finish_reason(self) -> str:
        return "length" if self.completion_tokens >= self.max_tokens else "stop"

    def cancel(self) -> None:
        self._cancelled.set()


class ChatModel:
    """A causal LM and its tokenizer, generating one chat reply at a time.

    ``generated_tokens`` counts every token generated since loading and ``stopped_early`` the
    generations ended (or never started) because their client left: what the tests and the fault
    bench read.
    """

    def __init__(self, path: str, name: str = "") -> None:
        from srl_trainer.models import load_model

        self.model, self.tokenizer = load_model(path)
        self.model.eval()
        self.name = name or path
        self.lock = threading.Lock()
        self.generated_tokens = 0
        self.stopped_early = 0

    @property
    def context(self) -> int | None:
        """The model's context length in tokens (None where its config does not say)."""
        return getattr(self.model.config, "max_position_embeddings", None)

    def encode(self, messages: list[dict], temperature: float) -> tuple[dict, dict]:
        """(model inputs of the chat-templated prompt, sampling arguments of ``generate``).

        The one place where a request's messages become the prompt (serve and ``solve``).
        """
        from agent.untrusted import neutralise_messages

        # Contents are the client's text (repository files, replies fed back): a special-token string
        # in them stays text, only the chat template adds control tokens.
        safe = neutralise_messages(messages, self.tokenizer)
        prompt = self.tokenizer.apply_chat_template(safe, tokenize=False, add_generation_prompt=True)
        inputs = self.tokenizer(prompt, return_tensors="pt")
        sampling = (
            {"do_sample": True, "temperature": temperature} if temperature > 0 else {"do_sample": False}
        )
        return inputs, sampling

    def generate(
        self,
        inputs: dict,
        max_tokens: int,
        sampling: dict,
        client_gone: Callable[[], bool] | None = None,
        **kwargs,
    ):
        """``model.generate`` under the model's lock: one request at a time. ``client_gone`` is asked
        once the lock is held and after every token: true ends generation (:class:`ClientGone`)."""
        import torch
        from transformers import StoppingCriteria, StoppingCriteriaList

        chat = self
        gone = threading.Event()

        class CountAndStop(StoppingCriteria):
            """Called once per generated token: counts it, and stops a generation nobody waits for."""

            def __call__(self, input_ids, scores, **kwargs):
                chat.generated_tokens += input_ids.shape[0]
                if client_gone is not None and client_gone():
                    gone.set()
                return torch.full((input_ids.shape[0],), gone.is_set(), dtype=torch.bool)

        with self.lock, torch.no_grad():
            if client_gone is not None and client_gone():  # left while queued: nothing to generate
                self.stopped_early += 1
                raise ClientGone()
            output = self.model.generate(
                **inputs,
                max_new_tokens=max_tokens,
                pad_token_id=self.tokenizer.pad_token_id,
                stopping_criteria=StoppingCriteriaList([CountAndStop()]),
                **sampling,
                **kwargs,
            )
        if gone.is_set():
            self.stopped_early += 1
            raise ClientGone()
        return output

    def reply(self, messages: list[dict], max_tokens: int, temperature: float) -> tuple[str, int, int]:
        """(text, prompt tokens, completion tokens)."""
        inputs, sampling = self.encode(messages, temperature)
        output = self.generate(inputs, max_tokens, sampling)
        new = output[0, inputs["input_ids"].shape[1] :]
        return self.tokenizer.decode(new, skip_special_tokens=True), inputs["input_ids"].shape[1], len(new)


def error_body(message: str, kind: str = "invalid_request_error", param: str | None = None) -> dict:
    """OpenAI's error object, which its clients turn into the matching exception."""
    return {"error": {"message": message, "type": kind, "param": param, "code": None}}


def _usage(prompt_tokens: int, completion_tokens: int) -> dict:
    total = prompt_tokens + completion_tokens
    return {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens, "total_tokens": total}


def _first_line(error: BaseException) -> str:
    return f"{type(error).__name__}: {(str(error).splitlines() or [''])[0]}"


_DIGITS = re.compile(r"[0-9]{1,20}")
_ERROR_KINDS = {404: "not_found_error", 503: "server_error"}


def make_handler(model: ChatModel, limits: ServeLimits | None = None):
    limits = limits or ServeLimits()
    admitted = threading.BoundedSemaphore(limits.max_queue)

    class Handler(BaseHTTPRequestHandler):
        timeout = 120  # seconds a client may take to send its request line and headers

        def log_message(self, format, *args):  # noqa: A002 - quiet by default
            pass

        def _send(self, code: int, payload: dict, headers: dict | None = None) -> None:
            body = json.dumps(payload).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)

        def _refuse(self, error: RequestError) -> None:
            """Answer ``error`` before (or without) reading the body, then drain what the client still
            sends for a moment: closing with unread bytes would reset the connection, and the client
            would see the reset instead of the answer."""
            kind = _ERROR_KINDS.get(error.status, "invalid_request_error")
            headers = {"Connection": "close"}
            if error.status == 503:
                headers["Retry-After"] = "1"
            self.close_connection = True
            self._send(error.status, error_body(str(error), kind, error.param), headers)
            try:
                self.connection.shutdown(socket.SHUT_WR)  # the answer is complete
                deadline, left = time.monotonic() + LINGER_SECONDS, LINGER_BYTES
                while left > 0 and (remaining := deadline - time.monotonic()) > 0:
                    self.connection.settimeout(remaining)
                    chunk = self.connection.recv(min(65536, left))
                    if not chunk:
                        break
                    left -= len(chunk)
            except OSError:
                pass  # reset, or the drain's time is up: the answer was sent

        def _body_length(self) -> int:
            """The body's length from the headers; RequestError when it cannot be read safely."""
            if self.headers.get("Transfer-Encoding") is not None:
                raise RequestError(
                    "send the body with a Content-Length (chunked bodies are not read)", status=411
                )
            values = self.headers.get_all("Content-Length") or []
            if not values:
                raise RequestError("a Content-Length header is required", status=411)
            if len(set(v.strip() for v in values)) > 1:
                raise RequestError("the request has two different Content-Length headers")
            value = values[0].strip()
            if not _DIGITS.fullmatch(value):
                raise RequestError(f"Content-Length must be a number of bytes, got {value[:40]!r}")
            if int(value) > limits.max_body_bytes:
                raise RequestError(f"the body is over {limits.max_body_bytes} bytes", status=413)
            return int(value)

        def _read_body(self, length: int) -> bytes:
            """``length`` bytes within ``limits.body_seconds``, read as they come (nothing allocated for a
            length the client does not send)."""
            deadline = time.monotonic() + limits.body_seconds
            chunks, left = [], length
            while left:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise RequestError(f"the body took over {limits.body_seconds:.0f} s", status=408)
                self.connection.settimeout(remaining)
                try:
                    chunk = self.rfile.read1(min(left, 1 << 20))
                except TimeoutError:
                    raise RequestError(
                        f"the body took over {limits.body_seconds:.0f} s", status=408
                    ) from None
                if not chunk:
                    raise ClientGone()  # closed before sending the whole body
                chunks.append(chunk)
                left -= len(chunk)
            self.connection.settimeout(self.timeout)
            return b"".join(chunks)

        def _client_gone(self) -> bool:
            return peer_closed(self.connection)

        def do_GET(self):  # noqa: N802
            if self.path.rstrip("/") == "/v1/models":
                self._send(200, {"object": "list", "data": [{"id": model.name, "object": "model"}]})
            else:
                self._send(404, error_body(f"no route {self.path}", "not_found_error"))

        def do_POST(self):  # noqa: N802
            try:
                self._post()
            except (BrokenPipeError, ConnectionResetError, ClientGone):
                pass  # the client went away; nothing left to answer
            except Exception as error:  # a bug here must cost one request, not a traceback and the socket
                print(f"serve: request failed: {_first_line(error)}", file=sys.stderr, flush=True)
                try:
                    self._send(500, error_body(f"internal error: {_first_line(error)}", "server_error"))
                except OSError:
                    pass

        def _post(self) -> None:
            if self.path.rstrip("/") != "/v1/chat/completions":
                self._refuse(RequestError(f"no route {self.path}", status=404))
                return
            try:
                length = self._body_length()
            except RequestError as error:
                self._refuse(error)
                return
            if not admitted.acquire(blocking=False):
                busy = f"the server holds {limits.max_queue} requests already: retry later"
                self._refuse(RequestError(busy, status=503))
                return
            try:
                try:
                    request = parse_request(self._read_body(length), limits.max_tokens)
                except RequestError as error:
                    self._refuse(error)
                    return
                self._answer(request)
            finally:
                admitted.release()

        def _answer(self, request: ChatRequest) -> None:
            completion_id = f"chatcmpl-{time.monotonic_ns()}"
            try:
                inputs, sampling = model.encode(request.messages, request.temperature)
            except Exception as error:  # the prompt could not be built (the template refused it)
                self._send(500, self._failed(error))
                return
            prompt_tokens = int(inputs["input_ids"].shape[1])
            if model.context and prompt_tokens + request.max_tokens > model.context:
                message = (
                    f"the prompt ({prompt_tokens} tokens) plus max_tokens ({request.max_tokens}) is over the "
                    f"model's context of {model.context} tokens"
                )
                self._send(400, error_body(message, param="max_tokens"))
                return
            if request.stream:
                self._stream(request, completion_id, inputs, sampling)
            else:
                self._complete(request, completion_id, inputs, sampling)

        def _complete(self, request: ChatRequest, completion_id: str, inputs: dict, sampling: dict) -> None:
            prompt_tokens = int(inputs["input_ids"].shape[1])
            try:
                output = model.generate(inputs, request.max_tokens, sampling, client_gone=self._client_gone)
            except ClientGone:
                raise
            except Exception as error:  # the model failed on this request: say so, keep serving
                self._send(500, self._failed(error))
                return
            new = output[0, prompt_tokens:]
            text = model.tokenizer.decode(new, skip_special_tokens=True)
            finish = "length" if len(new) >= request.max_tokens else "stop"
            choice = {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": finish}
            self._send(
                200,
                {
                    "id": completion_id,
                    "object": "chat.completion",
                    "created": int(time.time()),
                    "model": model.name,
                    "choices": [choice],
                    "usage": _usage(prompt_tokens, len(new)),
                },
            )

        def _stream(self, request: ChatRequest, completion_id: str, inputs: dict, sampling: dict) -> None:
            """Server-sent events: a role chunk, one chunk per text piece, the finish chunk, [DONE]."""
            reply = StreamedReply(model, inputs, sampling, request.max_tokens, self._client_gone)
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.end_headers()
            self.close_connection = True  # no Content-Length: the stream ends with the connection
            created = int(time.time())

            def event(choices: list[dict], **extra) -> None:
                chunk = {"id": completion_id, "object": "chat.completion.chunk", "created": created}
                chunk.update(model=model.name, choices=choices, **extra)
                self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                self.wfile.flush()

            def delta(content: dict, finish: str | None = None) -> list[dict]:
                return [{"index": 0, "delta": content, "finish_reason": finish}]

            try:
                event(delta({"role": "assistant", "content": ""}))
                for piece in reply:
                    event(delta({"content": piece}))
            except (BrokenPipeError, ConnectionResetError, ClientGone):
                reply.cancel()
                raise
            except Exception as error:  # generation failed mid-stream: an error event, no [DONE]
                self.wfile.write(f"data: {json.dumps(self._failed(error))}\n\n".encode())
                return
            event(delta({}, reply.finish_reason))
            if request.include_usage:
                event([], usage=_usage(reply.prompt_tokens, reply.completion_tokens))
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()

        def _failed(self, error: Exception) -> dict:
            message = f"generation failed: {_first_line(error)}"
            print(f"serve: {message}", file=sys.stderr, flush=True)
            return error_body(message, "server_error")

    return Handler


class ChatServer(ThreadingHTTPServer):
    """ThreadingHTTPServer with a listen backlog that holds many clients connecting at once, and one
    line (not a traceback) for a connection that fails outside a request's own handling."""

    request_queue_size = LISTEN_BACKLOG
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        error = sys.exc_info()[1]
        if not isinstance(error, (BrokenPipeError, ConnectionResetError, TimeoutError)):
            print(f"serve: connection from {client_address[0]} failed: {_first_line(error)}", file=sys.stderr)


def start_server(model: ChatModel, port: int = 0, limits: ServeLimits | None = None) -> ChatServer:
    """Serve ``model`` on 127.0.0.1 (``port`` 0: any free port) in a daemon thread."""
    server = ChatServer(("127.0.0.1", port), make_handler(model, limits))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _stop(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def serve(model: str, name: str = "", port: int = 8000, limits: ServeLimits | None = None) -> int:
    """Load ``model`` and serve it on 127.0.0.1:``port`` until SIGINT or SIGTERM (exit status 0).

    A model that does not load and a port that cannot be bound are :class:`CliError` lines.
    """
    try:
        chat = ChatModel(model, name)
    except CliError:  # already one line (a packaged model that could not be fetched)
        raise
    except Exception as error:  # any load failure is the user's path or id
        raise CliError(f"cannot load model {model}: {(str(error).splitlines() or [''])[0]}") from None
    try:
        server = ChatServer(("127.0.0.1", port), make_handler(chat, limits))
    except OSError as error:
        raise CliError(f"cannot listen on 127.0.0.1:{port}: {error.strerror or error}") from None
    # Set, not inherited: a script's background job starts with SIGINT ignored (see the docstring).
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, _stop)
    print(f"serving {model} at http://127.0.0.1:{server.server_address[1]}/v1", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags of ``serve`` (this module's own command line and ``python -m srl_trainer.swe serve``)."""
    parser.add_argument(
        "--model", required=True, help="Checkpoint folder (save_pretrained), hub id or smollm2-135m-instruct."
    )
    parser.add_argument("--name", default="", help="Model name the server reports (default: --model).")
    parser.add_argument("--port", type=int, default=8000, help="Port on 127.0.0.1 (0: any free port).")
    parser.add_argument(
        "--max-tokens",
        type=_positive,
        default=ServeLimits.max_tokens,
        help="The most tokens one reply may ask for; a request above it gets 400 (default %(default)s).",
    )
    parser.add_argument(
        "--max-queue",
        type=_positive,
        default=ServeLimits.max_queue,
        help="Requests held at once (waiting or generating); one more gets 503 (default %(default)s).",
    )


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def limits_of(args: argparse.Namespace) -> ServeLimits:
    """The :class:`ServeLimits` of parsed ``serve`` flags."""
    return ServeLimits(max_tokens=args.max_tokens, max_queue=args.max_queue)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m srl_trainer.workflows.serve", description=__doc__)
    add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        return serve(args.model, args.name, args.port, limits_of(args))
    except CliError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
