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

Memory and time follow the budget, not the record: a text is cut by characters (a generous multiple
of its token limit) before it is tokenized, each turn is tokenized once and the history is a window
that slides over the turns (no step re-tokenizes the history before it), one solution string is
shared by a record's examples, and a record with more than ``max_steps_per_trajectory`` steps or
more than ``max_solution_chars`` characters of actions (every example repeats its whole solution) is
skipped (:func:`too_long`), never half used.

Every text from the record (problem, observations, actions) is neutralised with the tokenizer's
special tokens (:mod:`agent.untrusted`) before it is tokenized: a ``<|im_start|>`` in an
observation stays text in the prompt, in the tokens counted here and in the rows train reads.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from agent.actions import render_action
from agent.prompts import MATH_SYSTEM_PROMPT, action_turn, math_problem_message, swe_first_messages
from agent.trajectory import Trajectory
from agent.untrusted import neutralise
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
    max_steps_per_trajectory: int = field(
        default=200,
        metadata={
            "help": "Records with more steps are skipped and counted (each step is an example that "
            "repeats the whole solution); 0: no limit."
        },
    )


@dataclass
class TruncationStats:
    """What the budget cut, over a whole dataset."""

    observations_cut: int = 0
    problems_cut: int = 0
    examples_with_dropped_steps: int = 0
    steps_dropped: int = 0
    examples_skipped_over_budget: int = 0
    records_too_long: int = 0  # over max_steps_per_trajectory steps or MAX_SOLUTION_CHARS of actions

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


# A text is cut to this many characters per token of its limit (at least MIN_CUT_CHARS) before it is
# tokenized: no token is 64 characters long in practice, so the cut is only ever a bound on memory
# and time (a 200 MB observation is never tokenized whole), not a second, coarser budget.
CHARS_PER_TOKEN_BOUND = 64
MIN_CUT_CHARS = 1 << 16


def _char_cut(text: str, limit: int) -> tuple[str, str, int]:
    """(head, tail, characters dropped between them) of ``text`` cut to the character bound of a
    ``limit``-token cut; (text, "", 0) when it is within the bound."""
    bound = max(CHARS_PER_TOKEN_BOUND * limit, MIN_CUT_CHARS)
    if len(text) <= bound:
        return text, "", 0
    half = bound // 2
    return text[:half], text[-half:], len(text) - 2 * half


class TokenCounter:
    """Counts and cuts text in the tokens of one tokenizer, with the chat template's overhead."""

    def __init__(self, tokenizer: Any):
        self.tokenizer = tokenizer
        empty = [{"role": "user", "content": ""}]
        self.per_message = self.count_chat(empty, generation_prompt=False)

    def safe(self, text: str) -> str:
        """``text`` (from a record) with this tokenizer's special-token strings neutralised."""
        return neutralise(text, self.tokenizer)

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
        """``text`` (from a record) neutralised, its first and last ``limit/2`` tokens kept with a
        marker between; (text, was_cut).

        A text over the character bound is cut by characters first (head and tail kept, only they
        are neutralised and tokenized); its marker then counts characters, as the agent loop's does."""
        head_text, tail_text, dropped = _char_cut(text, limit)
        if not dropped:
            text = self.safe(text)
            ids = self.encode(text)
            if len(ids) <= limit:
                return text, False
            head, tail = limit // 2, limit - limit // 2
            cut = len(ids) - head - tail
            marker = f"\n[... {cut} tokens cut ...]\n"
            return self.tokenizer.decode(ids[:head]) + marker + self.tokenizer.decode(ids[-tail:]), True
        head_ids, tail_ids = self.encode(self.safe(head_text)), self.encode(self.safe(tail_text))
        head = self.tokenizer.decode(head_ids[: limit // 2])
        tail = self.tokenizer.decode(tail_ids[max(0, len(tail_ids) - (limit - limit // 2)) :])
        marker = f"\n[... {len(text) - len(head) - len(tail)} characters cut ...]\n"
        return head + marker + tail, True


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


# A record's examples each carry its whole solution (the holistic reward's column), so the actions
# of one record are bounded in characters as its steps are in number.
MAX_SOLUTION_CHARS = 1 << 17


def too_long(item: Trajectory | MathRecord, budget: BudgetConfig) -> str:
    """Why ``item`` is skipped whole (``too_many_steps``, ``actions_too_long``), or "" to use it."""
    steps = len(item.steps)
    if budget.max_steps_per_trajectory and steps > budget.max_steps_per_trajectory:
        return "too_many_steps"
    if isinstance(item, MathRecord):
        written = sum(len(step) for step in item.steps)
    else:
        written = sum(len(render_action(step.action)) for step in item.steps)
    return "actions_too_long" if written > MAX_SOLUTION_CHARS else ""


class _Window:
    """The most recent items (with their token costs) that fit a room that only shrinks as more
    items arrive: items enter on the right and leave on the left for good, each counted once, so
    step k costs the items that enter or leave, not the k steps before it, and only the items
    shown are held."""

    def __init__(self) -> None:
        self.shown: deque[tuple[Any, int]] = deque()
        self.first = 0  # how many items have left (the index of the oldest one shown)
        self.used = 0  # tokens of the items shown

    def add(self, item: Any, cost: int) -> None:
        self.shown.append((item, cost))
        self.used += cost

    def fit(self, room: int) -> None:
        while self.shown and self.used > room:
            self.used -= self.shown.popleft()[1]
            self.first += 1

    def items(self) -> list[Any]:
        return [item for item, _ in self.shown]


def swe_step_examples(
    trajectory: Trajectory, counter: TokenCounter, budget: BudgetConfig, stats: TruncationStats
) -> list[StepExample]:
    """One example per action of ``trajectory`` (N actions give N examples, fewer when a prompt
    cannot fit the budget)."""
    if too_long(trajectory, budget):
        stats.records_too_long += 1
        return []
    room = _problem_room(counter, _empty_head("swe"), budget)
    if not room:
        stats.examples_skipped_over_budget += len(trajectory.steps)
        return []
    problem, cut = counter.cut_middle(trajectory.problem, room)
    stats.problems_cut += cut
    targets = [counter.safe(render_action(step.action)) for step in trajectory.steps]
    solution = "\n".join(targets)  # one string, shared by every example of the record
    head_cost = counter.count_chat(swe_first_messages(problem))
    window = _Window()  # of turn pairs (assistant action, user observation)
    examples = []
    for k, step in enumerate(trajectory.steps):
        # The note is sized for k dropped steps, the most it can say, so the window never grows back.
        window.fit(budget.max_prompt_tokens - head_cost - counter.count(_dropped_note(k)))
        dropped = window.first
        head = swe_first_messages(problem)
        head[1]["content"] += _dropped_note(dropped)
        messages = head + [m for pair in window.items() for m in pair]
        tokens = counter.count_chat(messages)
        if tokens > budget.max_prompt_tokens:
            stats.examples_skipped_over_budget += 1
        else:
            if dropped:
                stats.examples_with_dropped_steps += 1
                stats.steps_dropped += dropped
            examples.append(
                StepExample(
                    prompt=messages,
                    target=targets[k],
                    solution=solution,
                    answer="",
                    domain="swe",
                    instance_id=trajectory.instance_id or "",
                    step_index=k,
                    num_steps=len(targets),
                    kind=step.action.tool,
                    prompt_tokens=tokens,
                )
            )
        # This step's turn pair joins the history of the next ones; its observation is cut (by
        # characters, then tokens) before anything else reads it.
        observation, cut = counter.cut_middle(step.observation, budget.max_observation_tokens)
        stats.observations_cut += cut
        pair = action_turn(targets[k], observation)
        cost = 2 * counter.per_message + counter.count(pair[0]["content"]) + counter.count(pair[1]["content"])
        window.add(pair, cost)
    return examples


def _math_prompt(
    counter: TokenCounter, question: str, steps: list[str], first: int, k: int
) -> tuple[list[dict[str, str]], int]:
    """(messages, tokens) of the prompt for step ``k`` that shows steps ``first`` .. ``k-1``."""
    note = _dropped_note(first).strip()
    messages = step_prompt(question, ([note] if note else []) + steps[first:k])
    return messages, counter.count_chat(messages)


def math_step_examples(
    record: MathRecord, counter: TokenCounter, budget: BudgetConfig, stats: TruncationStats
) -> list[StepExample]:
    """One example per written step; earlier steps appear in the prompt, oldest dropped first."""
    if too_long(record, budget):
        stats.records_too_long += 1
        return []
    room = _problem_room(counter, _empty_head("math"), budget)
    if not room:
        stats.examples_skipped_over_budget += len(record.steps)
        return []
    question, cut = counter.cut_middle(record.question, room)
    stats.problems_cut += cut
    steps = [counter.safe(step) for step in record.steps]
    base = counter.count_chat(step_prompt(question, [_dropped_note(len(steps)).strip() or "x"]))
    window = _Window()
    examples = []
    for k, target in enumerate(steps):
        # An estimate from each step's own count (joined steps tokenize a token or two apart), then
        # the exact count decides: fewer steps shown while over budget, one more while it fits.
        window.fit(budget.max_prompt_tokens - base)
        first = window.first
        messages, tokens = _math_prompt(counter, question, steps, first, k)
        while tokens > budget.max_prompt_tokens and first < k:
            first += 1
            messages, tokens = _math_prompt(counter, question, steps, first, k)
        while first > 0:
            wider, wider_tokens = _math_prompt(counter, question, steps, first - 1, k)
            if wider_tokens > budget.max_prompt_tokens:
                break
            first, messages, tokens = first - 1, wider, wider_tokens
        window.add(None, counter.count(target) + 2)  # the step and its "\n\n" separator
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
                num_steps=len(steps),
                kind="step",
                prompt_tokens=tokens,
            )
        )
    return examples


def step_examples(
    item: Trajectory | MathRecord, counter: TokenCounter, budget: BudgetConfig, stats: TruncationStats
) -> list[StepExample]:
    """The step examples of one record (SWE trajectory or math record)."""
    if isinstance(item, MathRecord):
        return math_step_examples(item, counter, budget, stats)
    return swe_step_examples(item, counter, budget, stats)


def build_step_examples(
    items: Iterable[Trajectory | MathRecord], tokenizer: Any, budget: BudgetConfig
) -> tuple[list[StepExample], TruncationStats]:
    """Every step example of ``items`` and what the budget cut."""
    counter = TokenCounter(tokenizer)
    stats = TruncationStats()
    examples: list[StepExample] = []
    for item in items:
        examples.extend(step_examples(item, counter, budget, stats))
    return examples, stats
