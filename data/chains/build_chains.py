"""Generate the chain-arithmetic problem family: difficulty is the number of steps.

    python data/chains/build_chains.py [--out DIR] [--seed 7]

A problem is an expression of small numbers evaluated from the left, one operation per step:

    question: Compute 7 + 3 - 5 + 4 from left to right, one operation per step.
    solution: 1. 7 + 3 = 10.
              2. 10 - 5 = 5.
              3. 5 + 4 = 9, so the answer is \\boxed{9}.

Every running value stays in 0..MAX_VALUE and every operand is 1..MAX_OPERAND, so one step is a
fact a tiny model can learn (``10 - 5 = 5``) while a whole solution needs every step right: a model
that gets one step right with probability p solves an n-step problem with about p**n. That is the
regime the SRL paper argues from (single steps learnable, whole chains rarely right).

Files (s1K-1.1 layout: ``question``, ``solution``, ``answer``, plus ``id`` and ``steps``):

- ``train.jsonl``       expert solutions of 1..8 steps for SFT / SRL / RLVR training
- ``validation.jsonl``  problems of 2, 4, 6 and 8 steps for choosing settings
- ``test.jsonl``        held-out problems of 2, 4, 6 and 8 steps for the reported numbers
- ``midtrain.txt``      the mid-training corpus: single arithmetic facts and one-step worked lines
                        (the single-step skill and the notation), never a multi-step problem
- ``midtrain_qa.jsonl`` the mid-training decay mix's question-answer text: 8,000 more problems of
                        2..8 steps with worked solutions, drawn after (so distinct from) every
                        problem above; the held-out splits never appear in it

No expression appears in two files. Output is deterministic for a given seed.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

HERE = Path(__file__).resolve().parent
MAX_VALUE = 20
MAX_OPERAND = 5
TRAIN_STEPS = range(1, 9)
EVAL_STEPS = (2, 4, 6, 8)


def random_chain(rng: random.Random, steps: int) -> tuple[int, list[tuple[str, int]]]:
    """A start value and ``steps`` operations that keep every running value within 0..MAX_VALUE."""
    value = start = rng.randint(0, MAX_VALUE)
    operations = []
    for _ in range(steps):
        choices = [("+", d) for d in range(1, MAX_OPERAND + 1) if value + d <= MAX_VALUE]
        choices += [("-", d) for d in range(1, MAX_OPERAND + 1) if value - d >= 0]
        op, operand = rng.choice(choices)
        value = value + operand if op == "+" else value - operand
        operations.append((op, operand))
    return start, operations


def expression(start: int, operations: list[tuple[str, int]]) -> str:
    return " ".join([str(start), *(f"{op} {d}" for op, d in operations)])


def solution_steps(start: int, operations: list[tuple[str, int]]) -> tuple[list[str], int]:
    value, steps = start, []
    for k, (op, operand) in enumerate(operations, 1):
        result = value + operand if op == "+" else value - operand
        line = f"{k}. {value} {op} {operand} = {result}"
        last = k == len(operations)
        steps.append(line + (f", so the answer is \\boxed{{{result}}}." if last else "."))
        value = result
    return steps, value


def question(start: int, operations: list[tuple[str, int]], counted: bool) -> str:
    """The problem statement; ``counted`` also says how many steps the solution has, so a student that
    writes one step at a time can tell its last step (the step number reaches the count) and end there."""
    count = f" in {len(operations)} step{'s' if len(operations) > 1 else ''}" if counted else ""
    return f"Compute {expression(start, operations)} from left to right{count}, one operation per step."


def record(start: int, operations: list[tuple[str, int]], record_id: str, counted: bool = False) -> dict:
    steps, answer = solution_steps(start, operations)
    # A second computation of the answer: Python's own left-to-right evaluation of the expression.
    assert eval(expression(start, operations)) == answer  # noqa: S307 - digits and +/- only
    text = "\n".join(steps)
    return {
        "id": record_id,
        "question": question(start, operations, counted),
        "solution": text,
        "answer": str(answer),
        "steps": len(operations),
    }


def build(
    seed: int,
    train_per_level: int = 100,
    eval_per_level: int = 40,
    midtrain_problems: int = 8000,
    counted: bool = False,
) -> dict[str, list]:
    rng = random.Random(seed)
    seen: set[str] = set()

    def fresh(steps: int) -> tuple[int, list[tuple[str, int]]]:
        while True:
            start, operations = random_chain(rng, steps)
            key = expression(start, operations)
            if key not in seen:
                seen.add(key)
                return start, operations

    # Held-out problems are drawn first, so no training problem can repeat one of them.
    splits: dict[str, list] = {"test": [], "validation": [], "train": [], "midtrain_qa": []}
    for name, count in (("test", eval_per_level), ("validation", eval_per_level // 2)):
        for steps in EVAL_STEPS:
            for k in range(count):
                splits[name].append(record(*fresh(steps), f"chain-{name}-{steps}-{k:03d}", counted))
    # One-step expressions are few (about 200 in all): a third of them is enough.
    for steps in TRAIN_STEPS:
        for k in range(train_per_level if steps > 1 else train_per_level // 2):
            splits["train"].append(record(*fresh(steps), f"chain-train-{steps}-{k:03d}", counted))
    rng.shuffle(splits["train"])
    # Drawn last, so the splits above stay what they were before this corpus existed.
    for k in range(midtrain_problems):
        steps = 2 + k % 7  # 2..8: one-step expressions are all used up (and in midtrain.txt)
        splits["midtrain_qa"].append(record(*fresh(steps), f"chain-midtrain-{steps}-{k:05d}", counted))
    return splits


def midtrain_text() -> str:
    """Every single-step fact of the family, as a fact line and as a one-step worked line."""
    lines = []
    for value in range(MAX_VALUE + 1):
        for operand in range(1, MAX_OPERAND + 1):
            if value + operand <= MAX_VALUE:
                lines.append(f"{value} + {operand} = {value + operand}.")
            if value - operand >= 0:
                lines.append(f"{value} - {operand} = {value - operand}.")
    worked = [f"Compute {line[:-1].split(' =')[0]}: {line}" for line in lines]
    return "\n\n".join(lines + worked) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out",
        default="",
        help="output folder (default: next to this script; --counted: data/chains-counted)",
    )
    parser.add_argument("--seed", type=int, default=7, help="random seed")
    parser.add_argument(
        "--counted",
        action="store_true",
        help="state the number of steps in each question (data/chains-counted: the pretrained student's "
        "family); the same expressions as without it, and no mid-training files",
    )
    args = parser.parse_args(argv)
    out = Path(args.out or (HERE.parent / "chains-counted" if args.counted else HERE))
    out.mkdir(parents=True, exist_ok=True)
    for name, rows in build(args.seed, counted=args.counted).items():
        if args.counted and name == "midtrain_qa":
            continue  # the student needs no mid-training corpus
        (out / f"{name}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
        print(f"{name}: {len(rows)} problems")
    if not args.counted:
        (out / "midtrain.txt").write_text(midtrain_text(), encoding="utf-8")
        print("midtrain.txt written")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
