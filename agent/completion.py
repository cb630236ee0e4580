"""Parse what a policy wrote: ``<think>...</think>`` then exactly one action in the canonical form.

Anything else is a format error (the SRL reward turns it into -1): no ``</think>``, no call, two
calls, text around the call, an unknown tool, a missing required argument or a malformed value
(for instance ``view_range`` that is not JSON). The opening ``<think>`` may be missing because some
chat templates put it into the prompt themselves.
"""

from __future__ import annotations

from dataclasses import dataclass

from agent.actions import Action, ActionFormatError, find_function_calls, parse_action

THINK_OPEN = "<think>"
THINK_CLOSE = "</think>"


class CompletionFormatError(ValueError):
    """The completion does not follow think-then-one-action; the message says which rule broke."""


@dataclass(frozen=True)
class ParsedCompletion:
    thought: str
    answer: str  # everything after </think>, stripped


def split_thought(text: str) -> ParsedCompletion:
    """Separate the private reasoning from the answer; only the answer is ever scored."""
    if text.count(THINK_CLOSE) != 1:
        problem = "no </think>" if THINK_CLOSE not in text else "more than one </think>"
        raise CompletionFormatError(problem)
    head, answer = text.split(THINK_CLOSE)
    head = head.strip()
    if head.startswith(THINK_OPEN):
        head = head[len(THINK_OPEN) :]
    elif THINK_OPEN in head:
        raise CompletionFormatError("text before <think>")
    if THINK_OPEN in head:
        raise CompletionFormatError("nested <think>")
    return ParsedCompletion(thought=head.strip(), answer=answer.strip())


def parse_completion(text: str) -> tuple[str, Action]:
    """``(thought, action)`` of a well-formed completion, else :class:`CompletionFormatError`."""
    parsed = split_thought(text)
    spans = find_function_calls(parsed.answer)
    if not spans:
        raise CompletionFormatError("no <function=...> call after </think>")
    if len(spans) > 1:
        raise CompletionFormatError(f"{len(spans)} calls; exactly one action is allowed")
    start, end = spans[0]
    if end == -1:
        raise CompletionFormatError("the call is not closed with </function>")
    if parsed.answer[:start].strip() or parsed.answer[end:].strip():
        raise CompletionFormatError("text outside the call after </think>")
    try:
        action = parse_action(parsed.answer, strict=True)
    except ActionFormatError as error:
        raise CompletionFormatError(str(error)) from None
    return parsed.thought, action
