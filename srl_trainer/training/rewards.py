"""Reward functions with the signature TRL's GRPOTrainer calls: ``f(prompts, completions, **columns)``.

- :func:`step_similarity`: the SRL reward. The action after ``</think>`` is parsed, rendered in the
  canonical form and compared with the expert's canonical action by
  ``difflib.SequenceMatcher(None, predicted, expert).ratio()`` (= 2M/T); a format error is -1.
- :func:`math_step_similarity`: the same for one written math step (no tool call to parse);
  :func:`step_reward` picks one of the two by domain.
- :func:`holistic_similarity`: the ablation that scores a whole solution against the whole expert
  solution (every action of the trajectory, or the full math solution).
- :func:`math_answer_correct`: RLVR's verifiable reward, final-answer equivalence with math-verify.

The dataset columns they read: ``target`` (canonical expert action or math step), ``solution``
(whole expert solution) and ``answer`` (math final answer).
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from typing import Any

from agent.actions import find_function_calls, parse_action, render_action
from agent.completion import CompletionFormatError, parse_completion, split_thought
from srl_trainer.evaluation.math_grading import is_math_answer_correct

FORMAT_ERROR_REWARD = -1.0


def completion_text(completion: Any) -> str:
    """TRL passes plain strings or, for chat data, a list of messages; take the assistant text."""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, list):
        return "".join(m.get("content") or "" for m in completion if m.get("role") == "assistant")
    if isinstance(completion, dict):
        return completion.get("content") or ""
    return str(completion)


def similarity(predicted: str, expert: str) -> float:
    """The paper's R = 2M/T: difflib's ratio, with its default settings."""
    return difflib.SequenceMatcher(None, predicted, expert).ratio()


def score_action(completion: str, target: str) -> float:
    """SRL reward of one completion against one canonical expert action."""
    try:
        _, action = parse_completion(completion)
    except CompletionFormatError:
        return FORMAT_ERROR_REWARD
    return similarity(render_action(action), target)


def score_math_step(completion: str, target: str) -> float:
    """SRL reward of one written math step; -1 without ``</think>`` or with an empty step."""
    try:
        answer = split_thought(completion).answer
    except CompletionFormatError:
        return FORMAT_ERROR_REWARD
    if not answer:
        return FORMAT_ERROR_REWARD
    return similarity(answer, target.strip())


def step_similarity(
    prompts: Sequence[Any], completions: Sequence[Any], target: Sequence[str], **_: Any
) -> list[float]:
    """SRL reward for SWE steps (GRPOTrainer reward function)."""
    return [score_action(completion_text(c), t) for c, t in zip(completions, target, strict=True)]


def math_step_similarity(
    prompts: Sequence[Any], completions: Sequence[Any], target: Sequence[str], **_: Any
) -> list[float]:
    """SRL reward for math steps (GRPOTrainer reward function)."""
    return [score_math_step(completion_text(c), t) for c, t in zip(completions, target, strict=True)]


def step_reward(domain: str):
    """The SRL step-similarity reward of ``domain``: what SRL trains on and held-out steps are scored by."""
    return math_step_similarity if domain == "math" else step_similarity


def holistic_action_text(completion: str) -> str | None:
    """All actions of a whole-solution completion, canonical and newline-joined; None if malformed."""
    try:
        answer = split_thought(completion).answer
    except CompletionFormatError:
        return None
    rendered = []
    for start, end in find_function_calls(answer):
        if end == -1:
            return None
        try:
            rendered.append(render_action(parse_action(answer[start:end], strict=True)))
        except ValueError:
            return None
    return "\n".join(rendered) if rendered else None


def holistic_similarity(
    prompts: Sequence[Any],
    completions: Sequence[Any],
    solution: Sequence[str],
    domain: Sequence[str] | None = None,
    **_: Any,
) -> list[float]:
    """Ablation reward: the whole predicted solution against the whole expert solution."""
    rewards = []
    for index, (completion, expert) in enumerate(zip(completions, solution, strict=True)):
        text = completion_text(completion)
        if domain is not None and domain[index] == "math":
            rewards.append(score_math_step(text, expert))
            continue
        predicted = holistic_action_text(text)
        rewards.append(FORMAT_ERROR_REWARD if predicted is None else similarity(predicted, expert))
    return rewards


def math_answer_correct(
    prompts: Sequence[Any], completions: Sequence[Any], answer: Sequence[str], **_: Any
) -> list[float]:
    """RLVR reward for math: 1.0 when the final answer is equivalent to the gold one, else 0.0."""
    return [
        1.0 if is_math_answer_correct(completion_text(c), str(a)) else 0.0
        for c, a in zip(completions, answer, strict=True)
    ]
