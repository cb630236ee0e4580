"""A stand-in for a model behind an OpenAI-compatible endpoint, served from the test process.

It replies by turn from a script (the n-th assistant turn gets ``script[n]``, the last entry
repeats), except that while ``slow`` is on, the first turn of an instance whose problem says SLOW
runs ``sleep 30`` in the sandbox: the moment an interrupt test signals the command.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from agent.actions import BashAction, EditorAction, FinishAction, render_action

SLEEP = "<think>wait</think>" + render_action(BashAction("sleep 30"))
FINISH = "<think>done</think>" + render_action(FinishAction())
FIX = "<think>add subtracts</think>" + render_action(
    EditorAction(
        command="str_replace",
        path="/testbed/calc/__init__.py",
        old_str='"""Sum of a and b."""\n    return a - b',
        new_str='"""Sum of a and b."""\n    return a + b',
    )
)  # the demo task's gold fix


class StandInModel:
    """``/v1/chat/completions`` on 127.0.0.1 with scripted replies; ``url`` is its base URL."""

    def __init__(self, script: list[str]) -> None:
        self.script = script
        self.slow = True
        self.slept = threading.Event()  # set once a SLOW instance got its `sleep 30`
        model = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                messages = json.loads(self.rfile.read(int(self.headers["Content-Length"])))["messages"]
                body = json.dumps(
                    {"choices": [{"message": {"role": "assistant", "content": model.reply(messages)}}]}
                )
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body.encode())

            def log_message(self, *args) -> None:  # keep the test output clean
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/v1"

    def reply(self, messages: list[dict]) -> str:
        turn = sum(m["role"] == "assistant" for m in messages)
        problem = next(m["content"] for m in messages if m["role"] == "user")
        if self.slow and turn == 0 and "SLOW" in problem:
            self.slept.set()
            return SLEEP
        return self.script[min(turn, len(self.script) - 1)]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
