"""Math benchmark evaluation: generate with a model (Qwen2.5-Math prompt), grade with math-verify.

Generations are saved one JSON line per sample (``benchmark, problem_id, sample_index, output,
extracted, correct``). Grading always re-derives the verdict from ``output``, so a file written by
any other system can be scored the same way (``--predictions``). With one sample per problem the
decoding is greedy; with K samples the accuracy is avg@K (mean over all samples).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from srl_trainer.evaluation.math_benchmarks import MathProblem
from srl_trainer.evaluation.math_grading import answer_span, extract_answer, is_math_answer_correct

QWEN_MATH_SYSTEM = "Please reason step by step, and put your final answer within \\boxed{}."


@dataclass
class Generation:
    benchmark: str
    problem_id: str
    sample_index: int
    output: str


def qwen_math_messages(question: str) -> list[dict[str, str]]:
    return [{"role": "system", "content": QWEN_MATH_SYSTEM}, {"role": "user", "content": question}]


def generate(
    model_path: str,
    problems: list[MathProblem],
    samples: int,
    max_new_tokens: int,
    temperature: float,
    batch_size: int,
) -> Iterable[Generation]:
    """Yield ``samples`` generations per problem from a transformers checkpoint (greedy if 1)."""
    from tqdm import tqdm

    from srl_trainer.models import generate_completions, load_model

    model, tokenizer = load_model(model_path)
    model.eval()
    greedy = samples == 1
    conversations = [qwen_math_messages(p.question) for p in problems]
    batches = generate_completions(
        model,
        tokenizer,
        conversations,
        max_new_tokens,
        batch_size,
        0 if greedy else samples,
        temperature=temperature if not greedy else None,
        top_p=0.95 if not greedy else None,
    )
    with tqdm(total=len(problems) * samples, desc="generating", unit="sample") as progress:
        for start, decoded in zip(range(0, len(problems), batch_size), batches, strict=True):
            batch = problems[start : start + batch_size]
            for index, text in enumerate(decoded):
                problem = batch[index // samples]
                yield Generation(problem.benchmark, problem.problem_id, index % samples, text)
                progress.update(1)


def read_generations(path: Path) -> list[Generation]:
    """A predictions file of any system: one JSON object per line with the four fields."""
    generations = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            generations.append(
                Generation(
                    str(row["benchmark"]),
                    str(row["problem_id"]),
                    int(row.get("sample_index", 0)),
                    str(row["output"]),
                )
            )
        except (json.JSONDecodeError, KeyError, TypeError, ValueError):
            raise ValueError(
                f"{path}:{number}: expected JSON with benchmark, problem_id, sample_index, output"
            ) from None
    return generations


def grade(generations: Iterable[Generation], problems: list[MathProblem]) -> tuple[list[dict], dict]:
    """Graded rows (one per generation) and per-benchmark accuracy; unknown problem ids are counted."""
    gold = {(p.benchmark, p.problem_id): p.gold for p in problems}
    rows = []
    unknown: dict[str, int] = defaultdict(int)
    for generation in generations:
        key = (generation.benchmark, generation.problem_id)
        if key not in gold:
            unknown[generation.benchmark] += 1
            continue
        rows.append(
            {
                "benchmark": generation.benchmark,
                "problem_id": generation.problem_id,
                "sample_index": generation.sample_index,
                "output": generation.output,
                "extracted": extract_answer(generation.output),
                "correct": is_math_answer_correct(generation.output, gold[key]),
            }
        )
    report: dict[str, dict] = {}
    for benchmark in sorted({p.benchmark for p in problems}):
        mine = [r for r in rows if r["benchmark"] == benchmark]
        total = sum(1 for p in problems if p.benchmark == benchmark)
        samples = max((r["sample_index"] for r in mine), default=-1) + 1
        report[benchmark] = {
            "problems": total,
            "graded_samples": len(mine),
            "samples_per_problem": samples,
            "accuracy": round(100 * sum(r["correct"] for r in mine) / len(mine), 2) if mine else None,
            "unknown_problem_ids": unknown.get(benchmark, 0),
        }
    return rows, report


WRONG_ANSWER = "9876543"


def alter_answer(output: str) -> str:
    """``output`` with the answer the grader reads replaced by a wrong one (unchanged if it has none)."""
    span = answer_span(output)
    return output[: span[0]] + WRONG_ANSWER + output[span[1] :] if span else output


def self_check(problems: list[MathProblem]) -> dict[str, int]:
    """Grade each problem's own reference solution, as written and with its answer altered.

    A sound grader scores the first near 100% and the second near 0%; ``answered`` counts the
    solutions where the grader found any answer at all (``answer_span``)."""
    with_solution = [p for p in problems if p.reference_solution]
    return {
        "solutions": len(with_solution),
        "answered": sum(answer_span(p.reference_solution) is not None for p in with_solution),
        "correct": sum(is_math_answer_correct(p.reference_solution, p.gold) for p in with_solution),
        "altered_correct": sum(
            is_math_answer_correct(alter_answer(p.reference_solution), p.gold) for p in with_solution
        ),
    }


def format_table(report: dict) -> str:
    lines = [f"{'benchmark':<15}{'problems':>9}{'samples':>9}{'accuracy':>10}"]
    for name, row in report.items():
        accuracy = "n/a" if row["accuracy"] is None else f"{row['accuracy']:.1f}"
        lines.append(f"{name:<15}{row['problems']:>9}{row['samples_per_problem']:>9}{accuracy:>10}")
    scored = [r["accuracy"] for r in report.values() if r["accuracy"] is not None]
    if scored:
        lines.append(f"{'average':<15}{'':>9}{'':>9}{sum(scored) / len(scored):>10.1f}")
    return "\n".join(lines)
