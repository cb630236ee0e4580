"""The test side of ``serve``: run a ChatModel behind a real HTTP server on localhost, and POST to it.

Shared by the serve tests and benchmarks/fault_bench.py, which ask the same server the same way."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def serving(chat) -> Iterator[str]:
    """The base URL (``http://127.0.0.1:PORT/v1``) of ``chat`` served for the ``with`` block."""
    from srl_trainer.workflows.serve import start_server

    server = start_server(chat)
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()


def post(url: str, body: bytes | dict, timeout: float = 60) -> tuple[int, dict]:
    """Status and JSON body of a raw POST; ``body`` as bytes for what the openai client cannot send."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)
