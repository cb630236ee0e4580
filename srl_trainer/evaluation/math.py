"""Math benchmark evaluation: generate with a model (Qwen2.5-Math prompt), grade with math-verify.

Generations are saved one JSON line per sample (``benchmark, problem_id, sample_index, output,
extracted, correct``). Grading always re-derives the verdict from ``output``, so a file written by
any other system can be scored the same way (``--predictions``). With one sample per problem the
decoding is greedy; with K samples the accuracy is avg@K (mean over all samples).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from agent.json_input import parse_json
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
            row = parse_json(line)  # agent.json_input: NaN or a deeply nested line is a ValueError too
            generations.append(
                Generation(
                    str(row["benchmark"]),
                    str(row["problem_id"]),
                    int(row.get("sample_index", 0)),
                    str(row["output"]),
                )
            )
        except (KeyError, TypeError, ValueError):
            raise ValueError(
                f"{path}:{number}: expected JSON with benchmark, problem_id, sample_index, output"
            ) from None
    return generations


def unknown_predictions(generations: list[Generation], problems: list[MathProblem]) -> list[Generation]:
    """The generations whose (benchmark, problem_id) names none of ``problems``: a file made for
    another benchmark, another --limit or another dataset version, which grading would skip."""
    known = {(p.benchmark, p.problem_id) for p in problems}
    return [g for g in generations if (g.benchmark, g.problem_id) not in known]


def grade(
    generations: Iterable[Generation], problems: list[MathProblem], sizes: dict[str, int] | None = None
) -> tuple[list[dict], dict]:
    """Graded rows (one per generation) and per-benchmark accuracy; unknown problem ids are counted.

    ``sizes``: each benchmark's whole problem count where ``problems`` is a part of it (--limit), so
    the report says how much of the benchmark was graded; default, the count in ``problems``."""
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
        loaded = sum(1 for p in problems if p.benchmark == benchmark)
        samples = max((r["sample_index"] for r in mine), default=-1) + 1
        report[benchmark] = {
            "problems": (sizes or {}).get(benchmark, loaded),
            "graded_problems": len({r["problem_id"] for r in mine}),
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


# Where a benchmark's reference solutions end on their answer, the grader must read it from >= 98% of
# them (and from <= 2% once altered). OlympiadBench's solutions are proofs that often do not end on
# their answer; it is held to the bar with its gold answer written as a model would (``boxed_gold``),
# and the level on its solution text is reported as measured.
SELF_CHECK_BAR = 0.98
SOLUTIONS_STATE_THE_ANSWER = ("aime24", "math500", "minerva_math")


def boxed_gold(problems: list[MathProblem]) -> list[MathProblem]:
    """``problems`` with a reference solution that ends as a Qwen2.5-Math-prompted model's does: the
    benchmark's solution text, then its gold answer in ``\\boxed{}`` (OlympiadBench's ``final_answer``)."""
    return [
        replace(p, reference_solution=f"{p.reference_solution}\n\nThe final answer is $\\boxed{{{p.gold}}}$.")
        for p in problems
    ]


def passes_self_check(result: dict[str, int]) -> bool:
    """The bar: >= 98% of reference solutions graded correct, <= 2% once their answer is altered."""
    solutions = result["solutions"]
    return (
        solutions > 0
        and result["correct"] >= SELF_CHECK_BAR * solutions
        and result["altered_correct"] <= (1 - SELF_CHECK_BAR) * solutions
    )


def format_table(report: dict) -> str:
    """One row per benchmark; "graded" is how many of its problems have a graded sample ("5 of 30"),
    so an accuracy over a few problems is not read as the whole benchmark's."""
    lines = [f"{'benchmark':<15}{'graded':>13}{'samples':>9}{'accuracy':>10}"]
    for name, row in report.items():
        accuracy = "n/a" if row["accuracy"] is None else f"{row['accuracy']:.1f}"
        graded = f"{row['graded_problems']} of {row['problems']}"
        lines.append(f"{name:<15}{graded:>13}{row['samples_per_problem']:>9}{accuracy:>10}")
    scored = [r["accuracy"] for r in report.values() if r["accuracy"] is not None]
    if scored:
        lines.append(f"{'average':<15}{'':>13}{'':>9}{sum(scored) / len(scored):>10.1f}")
    return "\n".join(lines)
