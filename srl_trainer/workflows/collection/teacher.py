"""The teacher policy: any OpenAI-compatible ``/v1/chat/completions`` endpoint (vLLM, SGLang, hosted).

The conversation is the shared loop's context (agent.loop, keeping whole replies): the system prompt,
the problem, then each completion followed by its observation. Every reply must be
think-then-one-action (agent.completion.parse_completion). Network errors, timeouts and 5xx answers
are retried with backoff; what still fails, and any malformed reply, raises :class:`PolicyError` so
the collector reports the instance and moves on.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
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
    retries: int = field(default=2, metadata={"help": "Retries of a failed request (timeouts, 5xx)."})


def chat_url(base_url: str) -> str:
    base = base_url.rstrip("/")
    if base.endswith("/chat/completions"):
        return base
    return base + ("/chat/completions" if base.endswith("/v1") else "/v1/chat/completions")


def chat_completion(config: TeacherConfig, messages: list[dict]) -> str:
    """The first choice's content; :class:`PolicyError` ``endpoint`` after the retries are spent."""
    import os

    body = json.dumps(
        {
            "model": config.model,
            "messages": messages,
            "temperature": config.temperature,
            "max_tokens": config.max_tokens,
        }
    ).encode()
    headers = {"Content-Type": "application/json"}
    key = config.api_key or os.environ.get("OPENAI_API_KEY", "")
    if key:
        headers["Authorization"] = f"Bearer {key}"
    last = ""
    for attempt in range(config.retries + 1):
        if attempt:
            time.sleep(min(8.0, 0.5 * 2**attempt))
        request = urllib.request.Request(chat_url(config.base_url), data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=config.request_timeout) as response:
                payload = json.loads(response.read().decode("utf-8"))
        except urllib.error.HTTPError as error:
            last = f"HTTP {error.code}"
            if error.code < 500 and error.code != 429:
                raise PolicyError("endpoint", f"{last} from {config.base_url}") from None
            continue
        except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as error:
            last = f"{type(error).__name__}: {getattr(error, 'reason', error)}"
            continue
        except json.JSONDecodeError:
            raise PolicyError("garbage", "the endpoint answered with something that is not JSON") from None
        try:
            return str(payload["choices"][0]["message"]["content"] or "")
        except (KeyError, IndexError, TypeError):
            raise PolicyError("garbage", "the reply has no choices[0].message.content") from None
    raise PolicyError("endpoint", f"{last} after {config.retries + 1} attempt(s) to {config.base_url}")


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
