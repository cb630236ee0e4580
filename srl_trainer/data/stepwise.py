"""Step-wise SRL data: one training example per expert action (or per written math step).

For step k the prompt is the system prompt, the problem, and the k-1 previous actions with their
observations as alternating assistant/user turns; the target is the canonical text of action k.
A prompt-token budget keeps the system prompt, the problem and the most recent steps: long
observations are cut head+tail with a visible marker, older steps are dropped (the prompt says how
many), and a long problem is cut head+tail, to ``max_problem_tokens`` or to what the budget leaves
beside the system prompt, whichever is less. The budget cuts the prompt only, never the target (it is
the completion). An example whose prompt still does not fit (a system prompt longer than the budget)
is skipped, not truncated: a trainer that truncated it would cut the target off and train on
nothing. Everything that was cut or skipped is counted in ``TruncationStats``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from agent.actions import render_action
from agent.prompts import MATH_SYSTEM_PROMPT, action_turn, math_problem_message, swe_first_messages
from agent.trajectory import Trajectory
from srl_trainer.data.math_steps import MathRecord

# The SFT target of a step. The warm-up teaches the format, not a monologue: the policy is free to
# fill <think> later.
WARMUP_THOUGHT = {"swe": "I take the next action.", "math": "I write the next step."}


def think_then_act(domain: str, action: str) -> str:
    return f"<think>\n{WARMUP_THOUGHT[domain]}\n</think>\n{action}"


def step_prompt(question: str, steps: Sequence[str]) -> list[dict[str, str]]:
    """The prompt for writing the math step after ``steps``: the step examples' layout, and the one
    whole-solution rollouts and mid-training's ``steps:`` source write in."""
    return [
        {"role": "system", "content": MATH_SYSTEM_PROMPT},
        {"role": "user", "content": math_problem_message(question, list(steps))},
    ]


@dataclass
class BudgetConfig:
    """How much of a trajectory fits in one prompt."""

    max_prompt_tokens: int = field(
        default=2048, metadata={"help": "Token budget of one prompt (system + problem + history)."}
    )
    max_observation_tokens: int = field(
        default=384,
        metadata={"help": "Longer observations are cut to this many tokens, keeping head and tail."},
    )
    max_problem_tokens: int = field(
        default=768,
        metadata={"help": "Longer problem statements are cut to this many tokens (head and tail)."},
    )


@dataclass
class TruncationStats:
    """What the budget cut, over a whole dataset."""

    observations_cut: int = 0
    problems_cut: int = 0
    examples_with_dropped_steps: int = 0
    steps_dropped: int = 0
    examples_skipped_over_budget: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


@dataclass
class StepExample:
    """One SRL training example; ``prompt`` is a chat (list of role/content messages)."""

    prompt: list[dict[str, str]]
    target: str
    solution: str
    answer: str
    domain: str
    instance_id: str
    step_index: int
    num_steps: int
    kind: str  # the tool of a SWE action, "step" for math
    prompt_tokens: int

    def as_row(self) -> dict[str, Any]:
        return asdict(self)


class TokenCounter:
    """Counts and cuts text in the tokens of one tokenizer, with the chat template's overhead."""

    def __init__(self, tokenizer: Any):
        self.tokenizer = tokenizer
        empty = [{"role": "user", "content": ""}]
        self.per_message = self.count_chat(empty, generation_prompt=False)

    def encode(self, text: str) -> list[int]:
        return self.tokenizer(text, add_special_tokens=False)["input_ids"]

    def count(self, text: str) -> int:
        return len(self.encode(text))

    def count_chat(self, messages: list[dict[str, str]], generation_prompt: bool = True) -> int:
        text = self.tokenizer.apply_chat_template(
            messages, tokenize=False, add_generation_prompt=generation_prompt
        )
        return self.count(text)

    def cut_middle(self, text: str, limit: int) -> tuple[str, bool]:
        """Keep the first and last ``limit/2`` tokens with a marker between; (text, was_cut)."""
        ids = self.encode(text)
        if len(ids) <= limit:
            return text, False
        head, tail = limit // 2, limit - limit // 2
        cut = len(ids) - head - tail
        marker = f"\n[... {cut} tokens cut ...]\n"
        return self.tokenizer.decode(ids[:head]) + marker + self.tokenizer.decode(ids[-tail:]), True


# The fewest problem tokens worth a prompt: below this the problem statement says nothing.
MIN_PROBLEM_TOKENS = 16
# Room kept for the "[... N tokens cut ...]" marker and the "[N earlier steps not shown]" note.
MARKER_TOKENS = 24


def _problem_room(counter: TokenCounter, empty_head: list[dict[str, str]], budget: BudgetConfig) -> int:
    """Tokens the problem may take: ``max_problem_tokens``, or less when the system prompt and the
    chat template leave less of the prompt budget (0: not even a short problem fits)."""
    room = budget.max_prompt_tokens - counter.count_chat(empty_head) - MARKER_TOKENS
    room = min(budget.max_problem_tokens, room)
    return room if room >= MIN_PROBLEM_TOKENS else 0


def _empty_head(domain: str) -> list[dict[str, str]]:
    """The messages every prompt of ``domain`` starts with, around an empty problem."""
    return step_prompt("", []) if domain == "math" else swe_first_messages("")


def smallest_prompt(tokenizer: Any, domain: str) -> int:
    """The fewest tokens a prompt of ``domain`` can have (system prompt, a minimal problem, the
    markers): a budget below it skips every step, which callers say before building anything."""
    return TokenCounter(tokenizer).count_chat(_empty_head(domain)) + MARKER_TOKENS + MIN_PROBLEM_TOKENS


def budget_error(budget: int, smallest: int, domain: str, flag: str = "--max-prompt-tokens") -> str:
    """The one line for a prompt budget no step of ``domain`` fits in."""
    return (
        f"{flag} {budget} leaves no room for a step: the {domain} system prompt and a minimal problem "
        f"take {smallest} tokens; raise {flag} (the target is never cut to fit)"
    )


def _dropped_note(dropped: int) -> str:
    return f"\n\n[{dropped} earlier step{'s' if dropped != 1 else ''} not shown]" if dropped else ""


def _fit_history(
    counter: TokenCounter, head: list[dict[str, str]], turn_costs: list[int], budget: int
) -> int:
    """How many of the most recent turn pairs (costs in tokens) fit after ``head``."""
    used = counter.count_chat(head) + counter.count(_dropped_note(len(turn_costs)))
    kept = 0
    for cost in reversed(turn_costs):
        if used + cost > budget:
            break
        used += cost
        kept += 1
    return kept


def swe_step_examples(
    trajectory: Trajectory, counter: TokenCounter, budget: BudgetConfig, stats: TruncationStats
) -> list[StepExample]:
    """One example per action of ``trajectory`` (N actions give N examples, fewer when a prompt
    cannot fit the budget)."""
    room = _problem_room(counter, _empty_head("swe"), budget)
    if not room:
        stats.examples_skipped_over_budget += len(trajectory.steps)
        return []
    problem, cut = counter.cut_middle(trajectory.problem, room)
    stats.problems_cut += cut
    targets = [render_action(step.action) for step in trajectory.steps]
    turns = []
    for step, target in zip(trajectory.steps, targets, strict=True):
        observation, cut = counter.cut_middle(step.observation, budget.max_observation_tokens)
        stats.observations_cut += cut
        turns.append(action_turn(target, observation))
    # Each turn pair is tokenised once; prompts for later steps reuse the counts.
    turn_costs = [
        2 * counter.per_message + counter.count(a["content"]) + counter.count(u["content"]) for a, u in turns
    ]
    examples = []
    for k, step in enumerate(trajectory.steps):
        history = turns[:k]
        head = swe_first_messages(problem)
        kept = _fit_history(counter, head, turn_costs[:k], budget.max_prompt_tokens)
        dropped = len(history) - kept
        head[1]["content"] += _dropped_note(dropped)
        messages = head + [m for pair in history[len(history) - kept :] for m in pair]
        tokens = counter.count_chat(messages)
        if tokens > budget.max_prompt_tokens:
            stats.examples_skipped_over_budget += 1
            continue
        if dropped:
            stats.examples_with_dropped_steps += 1
            stats.steps_dropped += dropped
        examples.append(
            StepExample(
                prompt=messages,
                target=targets[k],
                solution="\n".join(targets),
                answer="",
                domain="swe",
                instance_id=trajectory.instance_id or "",
                step_index=k,
                num_steps=len(targets),
                kind=step.action.tool,
                prompt_tokens=tokens,
            )
        )
    return examples


def math_step_examples(
    record: MathRecord, counter: TokenCounter, budget: BudgetConfig, stats: TruncationStats
) -> list[StepExample]:
    """One example per written step; earlier steps appear in the prompt, oldest dropped first."""
    room = _problem_room(counter, _empty_head("math"), budget)
    if not room:
        stats.examples_skipped_over_budget += len(record.steps)
        return []
    question, cut = counter.cut_middle(record.question, room)
    stats.problems_cut += cut
    examples = []
    for k, target in enumerate(record.steps):
        previous = record.steps[:k]
        first = 0
        while True:
            note = _dropped_note(first).strip()
            shown = ([note] if note else []) + previous[first:]
            messages = step_prompt(question, shown)
            tokens = counter.count_chat(messages)
            if tokens <= budget.max_prompt_tokens or first >= len(previous):
                break
            first += 1
        if tokens > budget.max_prompt_tokens:
            stats.examples_skipped_over_budget += 1
            continue
        if first:
            stats.examples_with_dropped_steps += 1
            stats.steps_dropped += first
        examples.append(
            StepExample(
                prompt=messages,
                target=target,
                solution=record.solution,
                answer=record.answer,
                domain="math",
                instance_id=record.record_id,
                step_index=k,
                num_steps=len(record.steps),
                kind="step",
                prompt_tokens=tokens,
            )
        )
    return examples


def build_step_examples(
    items: Iterable[Trajectory | MathRecord], tokenizer: Any, budget: BudgetConfig
) -> tuple[list[StepExample], TruncationStats]:
    """Every step example of ``items`` and what the budget cut."""
    counter = TokenCounter(tokenizer)
    stats = TruncationStats()
    examples: list[StepExample] = []
    for item in items:
        if isinstance(item, MathRecord):
            examples.extend(math_step_examples(item, counter, budget, stats))
        else:
            examples.extend(swe_step_examples(item, counter, budget, stats))
    return examples, stats
