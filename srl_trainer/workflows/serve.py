"""A small OpenAI-compatible chat server for a local transformers checkpoint (bound to 127.0.0.1).

``python -m srl_trainer.workflows.serve --model PATH [--port 8000]`` serves ``GET /v1/models`` and ``POST
/v1/chat/completions`` (``messages``, ``max_tokens``, ``temperature``; one choice). It is what the
tests and offline users point ``collect --policy openai`` or an agent at when no vLLM is around; it
generates with the model's chat template, greedily at temperature 0, one request at a time.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class ChatModel:
    """A causal LM and its tokenizer, generating one chat reply at a time."""

    def __init__(self, path: str, name: str = "") -> None:
        from srl_trainer.models import load_model

        self.model, self.tokenizer = load_model(path)
        self.model.eval()
        self.name = name or path
        self.lock = threading.Lock()

    def reply(self, messages: list[dict], max_tokens: int, temperature: float) -> tuple[str, int, int]:
        """(text, prompt tokens, completion tokens)."""
        import torch

        prompt = self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        inputs = self.tokenizer(prompt, return_tensors="pt")
        sampling = (
            {"do_sample": True, "temperature": temperature} if temperature > 0 else {"do_sample": False}
        )
        with self.lock, torch.no_grad():
            output = self.model.generate(
                **inputs, max_new_tokens=max_tokens, pad_token_id=self.tokenizer.pad_token_id, **sampling
            )
        new = output[0, inputs["input_ids"].shape[1] :]
        return self.tokenizer.decode(new, skip_special_tokens=True), inputs["input_ids"].shape[1], len(new)


def make_handler(model: ChatModel):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format, *args):  # noqa: A002 - quiet by default
            pass

        def _send(self, code: int, payload: dict) -> None:
            body = json.dumps(payload).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):  # noqa: N802
            if self.path.rstrip("/") == "/v1/models":
                self._send(200, {"object": "list", "data": [{"id": model.name, "object": "model"}]})
            else:
                self._send(404, {"error": {"message": f"no route {self.path}"}})

        def do_POST(self):  # noqa: N802
            if self.path.rstrip("/") != "/v1/chat/completions":
                self._send(404, {"error": {"message": f"no route {self.path}"}})
                return
            try:
                request = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                messages = request["messages"]
                max_tokens = int(request.get("max_tokens") or 256)
                temperature = float(request.get("temperature") or 0.0)
            except (ValueError, KeyError, TypeError) as error:
                self._send(400, {"error": {"message": f"bad request: {error}"}})
                return
            text, prompt_tokens, completion_tokens = model.reply(messages, max_tokens, temperature)
            self._send(
                200,
                {
                    "id": f"chatcmpl-{time.monotonic_ns()}",
                    "object": "chat.completion",
                    "created": int(time.time()),
                    "model": model.name,
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": text},
                            "finish_reason": "length" if completion_tokens >= max_tokens else "stop",
                        }
                    ],
                    "usage": {
                        "prompt_tokens": prompt_tokens,
                        "completion_tokens": completion_tokens,
                        "total_tokens": prompt_tokens + completion_tokens,
                    },
                },
            )

    return Handler


def start_server(model: ChatModel, port: int = 0) -> ThreadingHTTPServer:
    """Serve ``model`` on 127.0.0.1 (``port`` 0: any free port) in a daemon thread."""
    server = ThreadingHTTPServer(("127.0.0.1", port), make_handler(model))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m srl_trainer.workflows.serve", description=__doc__)
    parser.add_argument("--model", required=True, help="Checkpoint folder (save_pretrained) or hub id.")
    parser.add_argument("--name", default="", help="Model name the server reports (default: --model).")
    parser.add_argument("--port", type=int, default=8000, help="Port on 127.0.0.1.")
    args = parser.parse_args(argv)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), make_handler(ChatModel(args.model, args.name)))
    print(f"serving {args.model} at http://127.0.0.1:{server.server_address[1]}/v1", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
