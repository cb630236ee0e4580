"""The rewards are exactly the paper's: difflib ratio on canonical actions, -1 for format errors."""

from __future__ import annotations

import difflib

import pytest

from agent.actions import render_action
from agent.formats import read_trajectories
from srl_trainer.training.rewards import (
    holistic_similarity,
    math_answer_correct,
    math_step_similarity,
    step_similarity,
)

MALFORMED = [
    "<think>x <function=finish>\n</function>",
    "<think>x</think> I am done.",
    "<think>x</think><function=finish>\n</function><function=finish>\n</function>",
    "<think>x</think><function=open_file>\n<parameter=path>/a</parameter>\n</function>",
    "<think>x</think><function=str_replace_editor>\n<parameter=command>create</parameter>\n"
    "<parameter=path>/a</parameter>\n</function>",
    "<think>x</think><function=str_replace_editor>\n<parameter=command>view</parameter>\n"
    "<parameter=path>/a</parameter>\n<parameter=view_range>[1,</parameter>\n</function>",
]


def _real_action_pairs(samples) -> list[tuple[str, str]]:
    """Consecutive expert actions of the real samples: realistic near and far misses."""
    pairs = []
    for trajectory in read_trajectories(str(samples)).trajectories:
        texts = [render_action(step.action) for step in trajectory.steps]
        pairs.extend(zip(texts, texts[1:], strict=False))
    return pairs


def test_step_reward_equals_difflib_ratio_on_real_action_pairs(samples):
    pairs = _real_action_pairs(samples)
    assert len(pairs) > 50
    completions = [f"<think>reasoning</think>\n{predicted}" for predicted, _ in pairs]
    targets = [expert for _, expert in pairs]
    rewards = step_similarity(prompts=[None] * len(pairs), completions=completions, target=targets)
    expected = [difflib.SequenceMatcher(None, p, e).ratio() for p, e in pairs]
    assert rewards == expected
    assert min(rewards) < 0.5 < max(rewards)  # the pairs span near and far misses


def test_identical_action_scores_one_even_with_other_json_order_and_whitespace():
    target = (
        "<function=str_replace_editor>\n<parameter=command>view</parameter>\n"
        "<parameter=path>/testbed/a.py</parameter>\n<parameter=view_range>[1, 5]</parameter>\n</function>"
    )
    completion = (
        "<think>\nread it\n</think>\n\n<function=str_replace_editor>\n<parameter=path>/testbed/a.py"
        "</parameter>\n<parameter=view_range>[1,5]</parameter>\n<parameter=command>view</parameter>\n"
        "</function>\n"
    )
    assert step_similarity([None], [completion], target=[target]) == [1.0]


@pytest.mark.parametrize("completion", MALFORMED)
def test_malformed_answer_gets_minus_one(completion):
    assert step_similarity([None], [completion], target=["<function=finish>\n</function>"]) == [-1.0]


def test_chat_style_completions_are_read():
    completion = [{"role": "assistant", "content": "<think>x</think><function=finish>\n</function>"}]
    assert step_similarity([None], [completion], target=["<function=finish>\n</function>"]) == [1.0]


def test_math_step_reward():
    target = "2. **Divide**: x = 15 / 3 = 5."
    good = f"<think>divide both sides</think>\n{target}"
    near = "<think>divide</think> 2. **Divide**: x = 15 / 3 = 6."
    rewards = math_step_similarity([None] * 3, [good, near, "x = 5"], target=[target] * 3)
    assert rewards[0] == 1.0
    assert rewards[1] == difflib.SequenceMatcher(None, near.split("</think>")[1].strip(), target).ratio()
    assert rewards[2] == -1.0


def test_holistic_reward_compares_all_actions():
    expert = (
        "<function=execute_bash>\n<parameter=command>ls</parameter>\n</function>\n"
        "<function=finish>\n</function>"
    )
    whole = (
        "<think>plan</think><function=execute_bash>\n<parameter=command>ls</parameter>\n</function>\n"
        "<function=finish>\n</function>"
    )
    assert holistic_similarity([None, None], [whole, "<think>x</think>nothing"], solution=[expert] * 2) == [
        1.0,
        -1.0,
    ]


def test_math_answer_correct_uses_symbolic_equivalence():
    completions = ["so the answer is \\boxed{\\frac{1}{2}}", "\\boxed{0.5}", "\\boxed{3}", "no answer"]
    assert math_answer_correct([None] * 4, completions, answer=["1/2"] * 4) == [1.0, 1.0, 0.0, 0.0]
