"""The whole-solution math rollout: the model writes step k after its own steps, graded by the answer."""

from __future__ import annotations

import re

from srl_trainer.data.math_steps import MathRecord
from srl_trainer.evaluation.math_rollout import roll_out_solutions, solution_scores, step_prompt


def _record(record_id: str, question: str, answer: str) -> MathRecord:
    return MathRecord(record_id, question, "", [], answer)


def _chain_solver(wrong_at: int | None = None):
    """A scripted policy for 'Compute a + b + c': reads its own steps from the prompt, writes the next."""

    def generate(prompts: list[list[dict]]) -> list[str]:
        replies = []
        for messages in prompts:
            text = messages[-1]["content"]
            numbers = [int(n) for n in re.findall(r"\d+", text.split("from left")[0])]
            done = re.findall(r"= (\d+)", text.split("Steps so far")[1])
            k = len(done)
            value = int(done[-1]) if done else numbers[0]
            result = value + numbers[k + 1] + (1 if wrong_at == k else 0)
            last = k + 2 == len(numbers)
            step = f"{k + 1}. {value} + {numbers[k + 1]} = {result}"
            ending = f", so \\boxed{{{result}}}." if last else "."
            replies.append(f"<think>\nadd\n</think>\n{step}{ending}")
        return replies

    return generate


def test_rollout_feeds_the_models_own_steps_back_and_grades_the_boxed_answer():
    records = [_record("a", "Compute 1 + 2 + 3 from left to right.", "6")]
    [rollout] = roll_out_solutions(records, _chain_solver(), max_steps=5)
    assert rollout.steps == ["1. 1 + 2 = 3.", "2. 3 + 3 = 6, so \\boxed{6}."]
    assert (rollout.ended_by, rollout.answer, rollout.correct) == ("answer", "6", True)


def test_a_wrong_step_carries_into_a_wrong_answer():
    records = [_record("a", "Compute 1 + 2 + 3 from left to right.", "6")]
    [rollout] = roll_out_solutions(records, _chain_solver(wrong_at=0), max_steps=5)
    assert rollout.steps[1].startswith("2. 4 + 3 = 7")  # built on its own wrong step 1
    assert (rollout.answer, rollout.correct) == ("7", False)


def test_format_error_and_step_limit_end_a_rollout_without_an_answer():
    records = [_record("a", "Compute 1 + 2 + 3 + 4 from left to right.", "10")]
    [broken] = roll_out_solutions(records, lambda prompts: ["no think block"] * len(prompts), max_steps=5)
    assert (broken.ended_by, broken.correct, broken.steps) == ("format_error", False, [])
    [cut] = roll_out_solutions(records, _chain_solver(), max_steps=2)
    assert (cut.ended_by, cut.correct, len(cut.steps)) == ("step_limit", False, 2)


def test_scores_report_greedy_accuracy_and_avg_and_pass_at_k():
    records = [
        _record("a", "Compute 1 + 2 + 3 from left to right.", "6"),
        _record("b", "Compute 2 + 2 + 2 from left to right.", "7"),  # gold deliberately unreachable
    ]
    calls = []

    def every_other_wrong(prompts):
        calls.append(len(prompts))
        right = _chain_solver()(prompts)
        return [r if k % 2 == 0 else r.replace("= ", "= 9") for k, r in enumerate(right)]

    scores = solution_scores(records, _chain_solver(), 4, sampled=every_other_wrong, samples=2)
    assert scores["greedy_accuracy"] == 0.5
    assert scores["avg@2"] == 0.25  # a: one of two samples right; b: none
    assert scores["pass@2"] == 0.5
    assert calls[0] == 4  # K rollouts per problem, all advanced in one generation call per step


def test_step_prompt_is_the_step_data_layout():
    from agent.prompts import MATH_SYSTEM_PROMPT, math_problem_message

    assert step_prompt("Q?", ["1. a."]) == [
        {"role": "system", "content": MATH_SYSTEM_PROMPT},
        {"role": "user", "content": math_problem_message("Q?", ["1. a."])},
    ]


def test_rollout_runs_a_real_tiny_model_through_batched_generation(tmp_path):
    from srl_trainer.models import build_tiny_model, generate_texts, load_model

    build_tiny_model(tmp_path / "m", seed=0)
    model, tokenizer = load_model(str(tmp_path / "m"))

    def greedy(prompts):
        return generate_texts(model, tokenizer, prompts, 16, 8)

    records = [_record(str(k), f"Compute {k} + 1 + 1 from left to right.", str(k + 2)) for k in range(3)]
    rollouts = roll_out_solutions(records, greedy, max_steps=3)
    # An untrained model answers garbage: every rollout ends, none is right, nothing crashes.
    assert all(r.ended_by in ("format_error", "step_limit", "answer") for r in rollouts)
    assert not any(r.correct for r in rollouts)
