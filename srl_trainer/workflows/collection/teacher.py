"""The teacher policy: any OpenAI-compatible ``/v1/chat/completions`` endpoint (vLLM, SGLang, hosted).

The conversation is the shared loop's context (agent.loop, keeping whole replies): the system prompt,
the problem, then each completion followed by its observation. Every reply must be
think-then-one-action (agent.completion.parse_completion). The ``openai`` client makes the requests,
with its timeouts and its retries (backoff on network errors, timeouts, 429 and 5xx answers); what
still fails, and any malformed reply, raises :class:`PolicyError` so the collector reports the
instance and moves on.
"""

from __future__ import annotations

import functools
import json
import os
from dataclasses import dataclass, field

from agent.completion import CompletionFormatError, parse_completion
from agent.loop import PolicyError
from agent.prompts import swe_first_messages


@dataclass
class TeacherConfig:
    """How the teacher endpoint is called."""

    base_url: str = field(
        default="", metadata={"help": "OpenAI-compatible server, e.g. http://127.0.0.1:8000/v1."}
    )
    model: str = field(default="", metadata={"help": "Model name the endpoint serves."})
    api_key: str = field(default="", metadata={"help": "Bearer token (default: $OPENAI_API_KEY if set)."})
    temperature: float = field(default=0.0, metadata={"help": "Sampling temperature of the teacher."})
    max_tokens: int = field(default=1024, metadata={"help": "Most tokens per teacher reply."})
    request_timeout: float = field(default=120.0, metadata={"help": "Seconds one request may take."})
    retries: int = field(
        default=2, metadata={"help": "Retries of a failed request (connection errors, timeouts, 429, 5xx)."}
    )


def api_base(base_url: str) -> str:
    """The client's base URL (ending /v1) from what a user may paste: host, .../v1 or the full route."""
    base = base_url.rstrip("/").removesuffix("/chat/completions")
    return base if base.endswith("/v1") else base + "/v1"


@functools.lru_cache(maxsize=8)
def _client(base_url: str, api_key: str, timeout: float, retries: int):
    """One ``openai.OpenAI`` per endpoint setting: its connection pool is reused across calls."""
    import openai

    # The client refuses to start without a key; local servers (vLLM, serve) accept any.
    return openai.OpenAI(
        base_url=api_base(base_url), api_key=api_key or "EMPTY", timeout=timeout, max_retries=retries
    )


def chat_completion(config: TeacherConfig, messages: list[dict]) -> str:
    """The first choice's content; :class:`PolicyError` ``endpoint`` once the client's retries are spent.

    The ``openai`` client does the HTTP: it retries connection errors, timeouts, 408/409/429 and 5xx
    answers with exponential backoff (``config.retries`` times); other 4xx answers fail at once.
    """
    import openai

    key = config.api_key or os.environ.get("OPENAI_API_KEY", "")
    client = _client(config.base_url, key, config.request_timeout, config.retries)
    attempts = f"after {config.retries + 1} attempt(s) to {config.base_url}"
    try:
        response = client.chat.completions.create(
            model=config.model,
            messages=messages,
            temperature=config.temperature,
            max_tokens=config.max_tokens,
        )
    except openai.APITimeoutError:
        raise PolicyError("endpoint", f"timed out ({config.request_timeout:g} s) {attempts}") from None
    except openai.APIConnectionError as error:
        raise PolicyError("endpoint", f"{_cause(error)} {attempts}") from None
    except openai.APIStatusError as error:
        retried = error.status_code >= 500 or error.status_code in (408, 409, 429)
        where = attempts if retried else f"from {config.base_url}"
        raise PolicyError("endpoint", f"HTTP {error.status_code} {where}") from None
    except (openai.APIResponseValidationError, json.JSONDecodeError):
        raise PolicyError(
            "garbage", "the endpoint answered with something that is not a chat completion"
        ) from None
    try:
        return str(response.choices[0].message.content or "")
    except (AttributeError, IndexError, TypeError):
        raise PolicyError("garbage", "the reply has no choices[0].message.content") from None


def _cause(error: Exception) -> str:
    """The innermost cause of a connection error (e.g. ``ConnectError: [Errno 111] Connection refused``)."""
    while error.__cause__ is not None:
        error = error.__cause__
    return f"{type(error).__name__}: {error}"


class TeacherPolicy:
    """Asks the endpoint for each next reply, with the whole episode so far as the conversation."""

    def __init__(self, config: TeacherConfig) -> None:
        self.config = config
        self.messages: list[dict] = []  # the last conversation sent, and the reply once it is well-formed

    def reset(self, instance) -> None:
        self.messages = swe_first_messages(instance.problem_statement)

    def act(self, context: list[dict], observation: str) -> str:
        reply = chat_completion(self.config, context)
        try:
            parse_completion(reply)
        except CompletionFormatError as error:
            raise PolicyError("garbage", f"{error} (reply starts {reply[:60]!r})") from None
        self.messages = [*context, {"role": "assistant", "content": reply}]
        return reply
