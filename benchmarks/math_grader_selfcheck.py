"""Grader self-check: each benchmark's own reference solutions, graded as written and with the answer
the grader reads replaced by a wrong one.

The >= 98% bar (and <= 2% altered) applies where the reference solution states its final answer
(aime24, math500, minerva_math) and to OlympiadBench with its ``final_answer`` written as a model
would (its solution text, then ``\\boxed{final_answer}``); the script exits 1 if one of those misses
it. OlympiadBench's solution texts are proofs that often do not end on their answer: their level is
reported as measured, with how many of the missed solutions contain their gold answer anywhere
(literally, or as a math segment / number math-verify finds equal): an upper bound for any grader
that reads one value (a number or a math segment) from the text as the answer without knowing it,
and how many missed solutions state the answer in their first sentence.

    python benchmarks/math_grader_selfcheck.py [--benchmark-dir ../shared/benchmarks/math]
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

from srl_trainer.evaluation.math import SOLUTIONS_STATE_THE_ANSWER, boxed_gold, passes_self_check, self_check
from srl_trainer.evaluation.math_benchmarks import MathProblem, load_benchmark
from srl_trainer.evaluation.math_grading import (
    MATH_SEGMENT,
    WRAPPERS,
    format_gold,
    is_math_answer_correct,
    normalize_answer,
    parse_answer,
)


def _squash(text: str) -> str:
    text = WRAPPERS.sub(r"\1", text)
    text = re.sub(r"(?<=\d) +(?=\d)", "", text)
    text = re.sub(r"[\s$]|\\[,;!: ]|\\left|\\right", "", text)
    return text.replace("\\dfrac", "\\frac").replace("\\tfrac", "\\frac")


def contains_gold(problem: MathProblem) -> tuple[bool, bool]:
    """(literally, literally or symbolically): is the gold answer written anywhere in the solution?"""
    from math_verify import verify

    solution = problem.reference_solution
    if _squash(normalize_answer(format_gold(problem.gold))) in _squash(solution):
        return True, True
    gold = parse_answer(normalize_answer(format_gold(problem.gold)))
    pieces = []
    for match in MATH_SEGMENT.finditer(solution):
        segment = match.group(match.lastindex)
        pieces += [segment, *re.split(r"=|\\quad|\\\\|\\text\{\s*and\s*\}", segment)]
    pieces += re.findall(r"-?\d+(?:\.\d+)?", solution)
    for piece in dict.fromkeys(pieces):
        try:
            if verify(gold, parse_answer(normalize_answer(piece))):
                return False, True
        except Exception:  # math-verify raises on some pieces; that piece is no match
            continue
    return False, False


def _first_sentence(text: str) -> str:
    return re.split(r"(?<=\.)\s|\n", text.strip(), maxsplit=1)[0]


def _row(label: str, problems: list[MathProblem], barred: bool) -> bool:
    """Print one self-check line (seconds: grading only); whether it passes the bar (True where none
    applies)."""
    start = time.time()
    result = self_check(problems)
    n = result["solutions"]
    passed = passes_self_check(result)
    verdict = ("pass" if passed else "FAIL") if barred else "as measured"
    print(
        f"{label:<30}{n:>10}{result['correct']:>7} = {100 * result['correct'] / n:5.1f}%"
        f"{result['altered_correct']:>9} = {100 * result['altered_correct'] / n:5.1f}%"
        f"{time.time() - start:>9.0f}  {verdict}",
        flush=True,
    )
    return passed or not barred


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--benchmark-dir", default=str(Path(__file__).parents[1].parent / "shared/benchmarks/math")
    )
    args = parser.parse_args()
    root = Path(args.benchmark_dir)
    if not root.is_dir():
        print(
            f"{root}: no benchmark folder; pass --benchmark-dir with <name>/test.jsonl files", file=sys.stderr
        )
        return 1
    print(
        f"{'benchmark':<30}{'solutions':>10}{'correct':>16}{'altered correct':>18}{'seconds':>9}  >= 98% bar"
    )
    passed = True
    for name in SOLUTIONS_STATE_THE_ANSWER:
        passed &= _row(name, load_benchmark(name, root), barred=True)
    problems = load_benchmark("olympiadbench", root)
    passed &= _row("olympiadbench boxed answer", boxed_gold(problems), barred=True)
    _row("olympiadbench solution text", problems, barred=False)
    missed = [p for p in problems if not is_math_answer_correct(p.reference_solution, p.gold)]
    first_sentence = sum(
        is_math_answer_correct(_first_sentence(p.reference_solution), p.gold) for p in missed
    )
    found = [contains_gold(p) for p in missed]
    literal, anywhere = sum(f[0] for f in found), sum(f[1] for f in found)
    correct = len(problems) - len(missed)
    print(
        f"olympiadbench: {len(missed)} solutions graded wrong; the gold answer is written in {literal} "
        f"of them literally, in {anywhere} literally or symbolically, in {len(missed) - anywhere} not as one "
        f"value.\n"
        f"{first_sentence} of the {len(missed)} state it in their first sentence (the grader's rules on that "
        f"sentence alone).\n"
        f"upper bound for a grader that reads one value from the text: {correct + anywhere}/{len(problems)}"
        " = "
        f"{100 * (correct + anywhere) / len(problems):.1f}%"
    )
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
