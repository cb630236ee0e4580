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
"""

from __future__ import annotations

import argparse
import json
import queue
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from srl_trainer.errors import CliError

ROLES = ("system", "user", "assistant", "tool")
MAX_BODY_BYTES = 32 * 1024 * 1024


class RequestError(ValueError):
    """A malformed request: answered with HTTP 400 and this message; ``param`` names the bad field."""

    def __init__(self, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.param = param


@dataclass
class ChatRequest:
    """The parts of a ``/v1/chat/completions`` body this server uses, checked."""

    messages: list[dict]
    max_tokens: int = 256
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
    # bool is an int in Python, but `"max_tokens": true` is a client bug, not 1.
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if not number or (kind is int and value != int(value)):
        raise RequestError(f"{name} must be {'an integer' if kind is int else 'a number'}", name)
    if value < low or (high is not None and value > high):
        bounds = f"at least {low}" if high is None else f"between {low} and {high}"
        raise RequestError(f"{name} must be {bounds}, got {value}", name)
    return kind(value)


def parse_request(body: bytes) -> ChatRequest:
    """The checked request; :class:`RequestError` (a 400) saying what is wrong with it."""
    try:
        request = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise RequestError(f"the body is not JSON: {error}") from None
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
    if request.get("n") not in (None, 1):
        raise RequestError("only n=1 is served", "n")
    stream = request.get("stream", False)
    options = request.get("stream_options") or {}
    if not isinstance(stream, bool) or not isinstance(options, dict):
        raise RequestError("stream must be true or false and stream_options an object", "stream")
    tokens = "max_completion_tokens" if request.get("max_completion_tokens") is not None else "max_tokens"
    return ChatRequest(
        messages=checked,
        max_tokens=_number(request, tokens, int, 256, 1),
        temperature=_number(request, "temperature", float, 0.0, 0.0, 2.0),
        stream=stream,
        include_usage=bool(options.get("include_usage", False)),
    )


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

    ``prompt_tokens`` / ``completion_tokens`` are final once iteration ends; an error in ``generate``
    is raised from the iteration. :meth:`cancel` stops generation at the next token (a client that
    went away must not hold the model).
    """

    def __init__(self, chat: ChatModel, messages: list[dict], max_tokens: int, temperature: float) -> None:
        self.inputs, self.sampling = chat.encode(messages, temperature)
        self.prompt_tokens = int(self.inputs["input_ids"].shape[1])
        self.completion_tokens = 0
        self.max_tokens = max_tokens
        self._chat = chat
        self._streamer = _PieceStreamer(chat.tokenizer)
        self._cancelled = threading.Event()
        self._error: Exception | None = None
        self._thread = threading.Thread(target=self._generate, name="serve-generate", daemon=True)
        self._thread.start()

    def _generate(self) -> None:
        import torch
        from transformers import StoppingCriteria, StoppingCriteriaList

        cancelled = self._cancelled

        class Cancelled(StoppingCriteria):
            def __call__(self, input_ids, scores, **kwargs):
                return torch.full((input_ids.shape[0],), cancelled.is_set(), dtype=torch.bool)

        try:
            output = self._chat.generate(
                self.inputs,
                self.max_tokens,
                self.sampling,
                streamer=self._streamer,
                stopping_criteria=StoppingCriteriaList([Cancelled()]),
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
    """A causal LM and its tokenizer, generating one chat reply at a time."""

    def __init__(self, path: str, name: str = "") -> None:
        from srl_trainer.models import load_model

        self.model, self.tokenizer = load_model(path)
        self.model.eval()
        self.name = name or path
        self.lock = threading.Lock()

    def encode(self, messages: list[dict], temperature: float) -> tuple[dict, dict]:
        """(model inputs of the chat-templated prompt, sampling arguments of ``generate``)."""
        prompt = self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        inputs = self.tokenizer(prompt, return_tensors="pt")
        sampling = (
            {"do_sample": True, "temperature": temperature} if temperature > 0 else {"do_sample": False}
        )
        return inputs, sampling

    def generate(self, inputs: dict, max_tokens: int, sampling: dict, **kwargs):
        """``model.generate`` under the model's lock: one request at a time."""
        import torch

        with self.lock, torch.no_grad():
            return self.model.generate(
                **inputs,
                max_new_tokens=max_tokens,
                pad_token_id=self.tokenizer.pad_token_id,
                **sampling,
                **kwargs,
            )

    def reply(self, messages: list[dict], max_tokens: int, temperature: float) -> tuple[str, int, int]:
        """(text, prompt tokens, completion tokens)."""
        inputs, sampling = self.encode(messages, temperature)
        output = self.generate(inputs, max_tokens, sampling)
        new = output[0, inputs["input_ids"].shape[1] :]
        return self.tokenizer.decode(new, skip_special_tokens=True), inputs["input_ids"].shape[1], len(new)

    def stream(self, messages: list[dict], max_tokens: int, temperature: float) -> StreamedReply:
        return StreamedReply(self, messages, max_tokens, temperature)


def error_body(message: str, kind: str = "invalid_request_error", param: str | None = None) -> dict:
    """OpenAI's error object, which its clients turn into the matching exception."""
    return {"error": {"message": message, "type": kind, "param": param, "code": None}}


def _usage(prompt_tokens: int, completion_tokens: int) -> dict:
    total = prompt_tokens + completion_tokens
    return {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens, "total_tokens": total}


def make_handler(model: ChatModel):
    class Handler(BaseHTTPRequestHandler):
        timeout = 120  # seconds a client may take to send its request (a lying Content-Length)

        def log_message(self, format, *args):  # noqa: A002 - quiet by default
            pass

        def _send(self, code: int, payload: dict) -> None:
            body = json.dumps(payload).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _body(self) -> bytes:
            try:
                length = int(self.headers.get("Content-Length") or 0)
            except ValueError:
                raise RequestError("Content-Length is not a number") from None
            if length > MAX_BODY_BYTES:
                raise RequestError(f"the body is over {MAX_BODY_BYTES} bytes")
            return self.rfile.read(length)

        def do_GET(self):  # noqa: N802
            if self.path.rstrip("/") == "/v1/models":
                self._send(200, {"object": "list", "data": [{"id": model.name, "object": "model"}]})
            else:
                self._send(404, error_body(f"no route {self.path}", "not_found_error"))

        def do_POST(self):  # noqa: N802
            if self.path.rstrip("/") != "/v1/chat/completions":
                self._send(404, error_body(f"no route {self.path}", "not_found_error"))
                return
            try:
                request = parse_request(self._body())
            except RequestError as error:
                self._send(400, error_body(str(error), param=error.param))
                return
            completion_id = f"chatcmpl-{time.monotonic_ns()}"
            try:
                if request.stream:
                    self._stream(request, completion_id)
                else:
                    self._complete(request, completion_id)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client went away; nothing left to answer

        def _complete(self, request: ChatRequest, completion_id: str) -> None:
            try:
                text, prompt_tokens, completion_tokens = model.reply(
                    request.messages, request.max_tokens, request.temperature
                )
            except Exception as error:  # the model failed on this request: say so, keep serving
                self._send(500, self._failed(error))
                return
            finish = "length" if completion_tokens >= request.max_tokens else "stop"
            choice = {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": finish}
            self._send(
                200,
                {
                    "id": completion_id,
                    "object": "chat.completion",
                    "created": int(time.time()),
                    "model": model.name,
                    "choices": [choice],
                    "usage": _usage(prompt_tokens, completion_tokens),
                },
            )

        def _stream(self, request: ChatRequest, completion_id: str) -> None:
            """Server-sent events: a role chunk, one chunk per text piece, the finish chunk, [DONE]."""
            try:
                reply = model.stream(request.messages, request.max_tokens, request.temperature)
            except Exception as error:  # the prompt could not be built: nothing sent yet
                self._send(500, self._failed(error))
                return
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
            except (BrokenPipeError, ConnectionResetError):
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
            first_line = (str(error).splitlines() or [""])[0]
            message = f"generation failed: {type(error).__name__}: {first_line}"
            print(f"serve: {message}", file=sys.stderr, flush=True)
            return error_body(message, "server_error")

    return Handler


def start_server(model: ChatModel, port: int = 0) -> ThreadingHTTPServer:
    """Serve ``model`` on 127.0.0.1 (``port`` 0: any free port) in a daemon thread."""
    server = ThreadingHTTPServer(("127.0.0.1", port), make_handler(model))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def serve(model: str, name: str = "", port: int = 8000) -> int:
    """Load ``model`` and serve it on 127.0.0.1:``port`` until Ctrl-C (exit status 0).

    A model that does not load and a port that cannot be bound are :class:`CliError` lines.
    """
    try:
        chat = ChatModel(model, name)
    except Exception as error:  # any load failure is the user's path or id
        raise CliError(f"cannot load model {model}: {(str(error).splitlines() or [''])[0]}") from None
    try:
        server = ThreadingHTTPServer(("127.0.0.1", port), make_handler(chat))
    except OSError as error:
        raise CliError(f"cannot listen on 127.0.0.1:{port}: {error.strerror or error}") from None
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
    parser.add_argument("--model", required=True, help="Checkpoint folder (save_pretrained) or hub id.")
    parser.add_argument("--name", default="", help="Model name the server reports (default: --model).")
    parser.add_argument("--port", type=int, default=8000, help="Port on 127.0.0.1 (0: any free port).")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m srl_trainer.workflows.serve", description=__doc__)
    add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        return serve(args.model, args.name, args.port)
    except CliError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
