"""Task-level math score: the model writes a whole solution step after step, graded by its answer.

SRL trains on single steps (the expert's steps 1..k-1 in the prompt, step k the target). What a user
wants is the whole solution: here step k is written after the model's *own* steps 1..k-1, in the
same prompt layout the step data uses (system prompt, problem, "Steps so far"), until a step holds a
``\\boxed{}`` answer, a reply breaks the think-then-step format, or ``max_steps`` steps are written.
The final answer (last ``\\boxed{}`` of the written steps) is graded against the gold answer with
math-verify (:func:`srl_trainer.evaluation.math_grading.is_math_answer_correct`).

Scores: greedy accuracy (one rollout per problem), and with K samples per problem avg@K (mean
accuracy over all K rollouts) and pass@K (share of problems with at least one right rollout).
Generation is a callable, so the loop is the same for a local model, vLLM or a test script.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from agent.completion import CompletionFormatError, split_thought
from srl_trainer.data.math_steps import MathRecord, last_boxed
from srl_trainer.data.stepwise import step_prompt  # the step data's prompt, written step by step
from srl_trainer.evaluation.math_grading import is_math_answer_correct

# chat prompts -> one reply text per prompt (greedy or sampled, as the caller decides)
GenerateReplies = Callable[[list[list[dict[str, str]]]], list[str]]


@dataclass
class SolutionRollout:
    """One whole solution the model wrote, and how it ended."""

    record_id: str
    steps: list[str] = field(default_factory=list)
    ended_by: str = ""  # answer | format_error | step_limit
    answer: str = ""
    correct: bool = False


def roll_out_solutions(
    records: Sequence[MathRecord], generate: GenerateReplies, max_steps: int
) -> list[SolutionRollout]:
    """One rollout per record, all records advanced together (one generation call per step)."""
    rollouts = [SolutionRollout(r.record_id) for r in records]
    live = list(range(len(records)))
    for _ in range(max_steps):
        if not live:
            break
        replies = generate([step_prompt(records[i].question, rollouts[i].steps) for i in live])
        still = []
        for i, reply in zip(live, replies, strict=True):
            rollout = rollouts[i]
            try:
                step = split_thought(reply).answer.strip()
            except CompletionFormatError:
                rollout.ended_by = "format_error"
                continue
            if not step:
                rollout.ended_by = "format_error"
                continue
            rollout.steps.append(step)
            if last_boxed(step):
                rollout.ended_by = "answer"
            else:
                still.append(i)
        live = still
    for i in live:
        rollouts[i].ended_by = "step_limit"
    for rollout, record in zip(rollouts, records, strict=True):
        text = "\n\n".join(rollout.steps)
        rollout.answer = last_boxed(text)
        rollout.correct = bool(rollout.answer) and is_math_answer_correct(text, record.answer)
    return rollouts


def _accuracy(rollouts: Sequence[SolutionRollout]) -> float:
    return sum(r.correct for r in rollouts) / max(len(rollouts), 1)


def solution_scores(
    records: Sequence[MathRecord],
    greedy: GenerateReplies,
    max_steps: int,
    sampled: GenerateReplies | None = None,
    samples: int = 0,
) -> dict:
    """Greedy accuracy, and with ``samples`` K: avg@K and pass@K over K sampled rollouts each; the
    same per number of expert steps (``by_steps``: the difficulty) from the same rollouts."""
    rollouts = roll_out_solutions(records, greedy, max_steps)
    n = max(len(records), 1)
    result: dict = {
        "problems": len(records),
        "greedy_accuracy": _accuracy(rollouts),
        "greedy_answered": sum(r.ended_by == "answer" for r in rollouts) / n,
        "greedy_mean_steps": sum(len(r.steps) for r in rollouts) / n,
    }
    groups: list[list[SolutionRollout]] = []
    if samples and sampled is not None:
        many = roll_out_solutions([r for r in records for _ in range(samples)], sampled, max_steps)
        groups = [many[k * samples : (k + 1) * samples] for k in range(len(records))]
        result.update(
            {
                f"avg@{samples}": _accuracy(many),
                f"pass@{samples}": sum(any(r.correct for r in g) for g in groups) / n,
                "samples_per_problem": samples,
            }
        )
    by_steps: dict[str, dict] = {}
    for level in sorted({len(r.steps) for r in records}):
        index = [k for k, r in enumerate(records) if len(r.steps) == level]
        entry: dict = {"problems": len(index), "greedy_accuracy": _accuracy([rollouts[k] for k in index])}
        if groups:
            entry[f"avg@{samples}"] = _accuracy([r for k in index for r in groups[k]])
            entry[f"pass@{samples}"] = sum(any(r.correct for r in groups[k]) for k in index) / len(index)
        by_steps[str(level)] = entry
    result["by_steps"] = by_steps
    return result


def pick_problems(records: Sequence[MathRecord], count: int) -> list[MathRecord]:
    """``count`` records spread evenly over the number of expert steps (the difficulty), in file order
    within each level, so a short report still covers easy and hard problems."""
    levels: dict[int, list[MathRecord]] = {}
    for record in records:
        levels.setdefault(len(record.steps), []).append(record)
    picked: list[MathRecord] = []
    rank = 0
    while len(picked) < min(count, len(records)):
        for level in sorted(levels):
            if rank < len(levels[level]) and len(picked) < count:
                picked.append(levels[level][rank])
        rank += 1
    return picked


def model_solution_scores(
    model,
    tokenizer,
    records: Sequence[MathRecord],
    max_steps: int,
    max_new_tokens: int,
    samples: int = 0,
    temperature: float = 1.0,
    batch_size: int = 64,
) -> dict:
    """:func:`solution_scores` of a local model, overall and per number of expert steps (``by_steps``)."""
    from srl_trainer.models import generate_texts

    def replies(sampled: bool):
        decoding = {"temperature": temperature, "top_p": 1.0, "top_k": 0} if sampled else {}
        decoding["eos_token_id"] = tokenizer.eos_token_id  # end of turn, as the step scores stop

        def generate(prompts: list[list[dict[str, str]]]) -> list[str]:
            return generate_texts(
                model, tokenizer, prompts, max_new_tokens, batch_size, samples=int(sampled), **decoding
            )

        return generate

    model.eval()
    return solution_scores(records, replies(False), max_steps, replies(True), samples)
