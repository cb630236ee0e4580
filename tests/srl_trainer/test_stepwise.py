"""One example per expert action; the prompt budget keeps the problem and the latest steps."""

from __future__ import annotations

import pytest

from agent.actions import BashAction, FinishAction, render_action
from agent.formats import read_trajectories
from agent.trajectory import Step, Trajectory
from srl_trainer.data.math_steps import parse_math_record, split_solution
from srl_trainer.data.stepwise import BudgetConfig, build_step_examples


def _trajectory(observation: str = "ok", steps: int = 4) -> Trajectory:
    body = [Step(f"t{i}", BashAction(f"echo {i}"), f"{observation} {i}") for i in range(steps - 1)]
    return Trajectory("Fix the bug in parse().", body + [Step("done", FinishAction(), "")], "repo__x-1")


def test_one_example_per_action_with_previous_steps_as_turns(tokenizer):
    trajectory = _trajectory()
    examples, stats = build_step_examples([trajectory], tokenizer, BudgetConfig())
    assert [e.step_index for e in examples] == [0, 1, 2, 3]
    assert [e.target for e in examples] == [render_action(s.action) for s in trajectory.steps]
    third = examples[2].prompt
    assert [m["role"] for m in third] == ["system", "user", "assistant", "user", "assistant", "user"]
    assert third[2]["content"] == render_action(BashAction("echo 0"))
    assert third[3]["content"] == "OBSERVATION:\nok 0"
    assert "Fix the bug" in third[1]["content"]
    assert "t0" not in str(third)  # expert thoughts are never shown; only actions
    assert stats.steps_dropped == 0 and examples[3].kind == "finish"
    assert examples[0].solution == "\n".join(e.target for e in examples)


def test_long_observation_is_cut_head_and_tail_with_marker(tokenizer):
    long = "HEAD " + "noise " * 3000 + " TAIL"
    examples, stats = build_step_examples(
        [_trajectory(observation=long)], tokenizer, BudgetConfig(max_observation_tokens=64)
    )
    shown = examples[1].prompt[3]["content"]
    assert shown.startswith("OBSERVATION:\nHEAD") and shown.rstrip().endswith("TAIL 0")
    assert "tokens cut ..." in shown
    assert stats.observations_cut == 3


def test_budget_drops_oldest_steps_and_says_so(tokenizer):
    trajectory = _trajectory(observation="line\n" * 50, steps=12)
    budget = BudgetConfig(max_prompt_tokens=900, max_observation_tokens=200)
    examples, stats = build_step_examples([trajectory], tokenizer, budget)
    last = examples[-1]
    assert last.prompt_tokens <= 900
    assert stats.examples_skipped_over_budget == 0 and stats.steps_dropped > 0
    assert "earlier steps not shown]" in last.prompt[1]["content"]
    # The most recent step is the one kept.
    assert last.prompt[-2]["content"] == render_action(BashAction("echo 10"))
    assert last.prompt[-1]["content"].startswith("OBSERVATION:\nline")


def test_prompt_tokens_are_counted_with_the_chat_template(tokenizer):
    [example], _ = build_step_examples([_trajectory(steps=1)], tokenizer, BudgetConfig())
    text = tokenizer.apply_chat_template(example.prompt, tokenize=False, add_generation_prompt=True)
    assert example.prompt_tokens == len(tokenizer(text, add_special_tokens=False)["input_ids"])


def test_numbered_solution_splits_into_steps():
    solution = "We set up.\n1. **First**: a.\n2. **Second**: b,\n   still b.\n3. **Answer**: \\boxed{7}."
    steps = split_solution(solution)
    assert steps == [
        "We set up.\n1. **First**: a.",
        "2. **Second**: b,\n   still b.",
        "3. **Answer**: \\boxed{7}.",
    ]


def test_unnumbered_solution_falls_back_to_paragraphs():
    assert split_solution("First part.\n\nSecond part, 1.5 units.\n\nSo \\boxed{2}.") == [
        "First part.",
        "Second part, 1.5 units.",
        "So \\boxed{2}.",
    ]


def test_math_examples_show_previous_steps(tokenizer):
    record = parse_math_record(
        {"question": "Solve 3x + 7 = 22.", "deepseek_attempt": "1. 3x = 15.\n2. x = 5, so \\boxed{5}."}, 0
    )
    assert record.answer == "5"
    examples, _ = build_step_examples([record], tokenizer, BudgetConfig())
    assert [e.target for e in examples] == ["1. 3x = 15.", "2. x = 5, so \\boxed{5}."]
    assert "1. 3x = 15." in examples[1].prompt[1]["content"]
    assert "1. 3x = 15." not in examples[0].prompt[1]["content"]
    assert examples[0].domain == "math" and examples[0].answer == "5"


def test_budget_cuts_a_long_problem_to_fit_and_never_the_target(tokenizer):
    long_problem = "START " + "The parser fails on nested input. " * 400 + " END"
    trajectory = _trajectory(observation="out\n" * 80, steps=6)
    trajectory.problem = long_problem
    examples, stats = build_step_examples([trajectory], tokenizer, BudgetConfig(max_prompt_tokens=640))
    assert [e.target for e in examples] == [render_action(s.action) for s in trajectory.steps]
    assert all(e.prompt_tokens <= 640 for e in examples)
    problem = examples[0].prompt[1]["content"]
    assert "START" in problem and "END" in problem and "tokens cut ..." in problem
    assert stats.problems_cut == 1 and stats.examples_skipped_over_budget == 0


@pytest.mark.parametrize(
    "name",
    [
        "swegym_openhands_sampled.json",  # OpenHands native tool calls
        "openhands_textfc.jsonl",  # OpenHands text function calls
        "swesmith_textfc.jsonl",
        "sweagent_pydicom-1458.traj",
    ],
)
def test_real_records_fit_the_embedded_640_token_budget_step_for_step(samples, tokenizer, name):
    trajectories = read_trajectories(str(samples / name)).trajectories
    examples, stats = build_step_examples(trajectories, tokenizer, BudgetConfig(max_prompt_tokens=640))
    assert len(examples) == sum(len(t.steps) for t in trajectories)  # every step trainable
    assert max(e.prompt_tokens for e in examples) <= 640
    expected = [render_action(step.action) for t in trajectories for step in t.steps]
    assert [e.target for e in examples] == expected  # the targets whole
    assert stats.examples_skipped_over_budget == 0 and stats.steps_dropped > 0


def test_a_budget_below_the_system_prompt_skips_and_counts_every_step(tokenizer):
    record = parse_math_record(
        {"question": "Solve x + 1 = 2.", "deepseek_attempt": "1. x = 1.\n2. \\boxed{1}."}, 0
    )
    examples, stats = build_step_examples(
        [_trajectory(steps=3), record], tokenizer, BudgetConfig(max_prompt_tokens=60)
    )
    assert examples == []
    assert stats.examples_skipped_over_budget == 3 + 2
