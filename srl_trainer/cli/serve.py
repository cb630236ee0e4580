"""Serve a checkpoint behind an OpenAI-compatible chat endpoint on 127.0.0.1 (``/v1/chat/completions``,
``/v1/models``), with the checkpoint's own chat template: the one training used.

Any OpenAI client works against it: ``collect --policy openai --base-url``, ``solve --base-url``, the
``openai`` Python package. ``"stream": true`` answers with server-sent events (OpenAI's chunk format,
ended by ``data: [DONE]``); a malformed request gets HTTP 400 with a JSON error. Greedy at temperature
0 (the default), one request at a time, every request bounded (``--max-tokens``, ``--max-queue``, the
body's size and time; see srl_trainer.workflows.serve): a tool for local runs and tests; for throughput
serve the same folder with ``vllm serve`` (it reads the same chat template).
"""

from __future__ import annotations

import argparse


def register(parser: argparse.ArgumentParser) -> None:
    from srl_trainer.workflows.serve import add_arguments

    add_arguments(parser)


def run(args: argparse.Namespace) -> int:
    from srl_trainer.workflows.serve import limits_of, serve

    return serve(args.model, args.name, args.port, limits_of(args))
