"""Evaluate a model: math benchmarks (--domain math) with the Qwen2.5-Math protocol.

Math: generates with --model (greedy for --samples 1, avg@K sampling otherwise), or grades an
existing --predictions file from any system, with math-verify answer equivalence. Writes
OUT/generations.jsonl (benchmark, problem_id, sample_index, output, extracted, correct) and
OUT/report.json, and prints a per-benchmark accuracy table. SWE-bench evaluation (--domain swe)
is not available yet.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass, field
from pathlib import Path

from srl_trainer.config_flags import CliError, add_config_arguments, config_from_args

DEFAULT_BENCHMARKS = ["aime24", "aime25", "amc23", "minerva_math", "math500", "gsm8k", "olympiadbench"]


@dataclass
class MathEvalConfig:
    """What to evaluate, with which model, and where results go."""

    domain: str = field(default="math", metadata={"help": "math or swe.", "choices": ["math", "swe"]})
    benchmarks: list[str] = field(
        default_factory=lambda: list(DEFAULT_BENCHMARKS),
        metadata={"help": "Comma-separated benchmark names."},
    )
    benchmark_dir: str = field(
        default="",
        metadata={"help": "Folder with <name>/test.jsonl per benchmark. Empty: load hub datasets."},
    )
    model: str = field(default="", metadata={"help": "Model path or hub id to generate with."})
    predictions: str = field(
        default="",
        metadata={
            "help": "Grade this generations .jsonl (benchmark, problem_id, sample_index, output) "
            "instead of generating."
        },
    )
    samples: int = field(default=1, metadata={"help": "Samples per problem: 1 = greedy, K > 1 = avg@K."})
    temperature: float = field(default=0.6, metadata={"help": "Sampling temperature when samples > 1."})
    max_new_tokens: int = field(default=2048, metadata={"help": "Generation limit per sample."})
    batch_size: int = field(default=8, metadata={"help": "Problems per generation batch."})
    limit: int = field(default=0, metadata={"help": "Evaluate only the first N problems per benchmark."})
    out: str = field(default="runs/eval-math", metadata={"help": "Output folder."})


def register(parser: argparse.ArgumentParser) -> None:
    add_config_arguments(parser, MathEvalConfig)


def run(args: argparse.Namespace) -> int:
    config = config_from_args(MathEvalConfig, args)
    if config.domain == "swe":
        raise CliError("SWE-bench evaluation (--domain swe) is not available yet; use --domain math")
    if not config.model and not config.predictions:
        raise CliError("give --model to generate or --predictions FILE to grade existing outputs")
    predictions = Path(config.predictions) if config.predictions else None
    if predictions is not None and not predictions.is_file():
        raise CliError(f"{predictions}: no such predictions file")

    from srl_trainer.math_benchmarks import BenchmarkError, load_benchmark
    from srl_trainer.math_eval import format_table, generate, grade, read_generations

    root = Path(config.benchmark_dir) if config.benchmark_dir else None
    try:
        problems = [p for name in config.benchmarks for p in load_benchmark(name, root, config.limit)]
    except BenchmarkError as error:
        raise CliError(str(error)) from None
    if predictions is not None:
        try:
            generations = read_generations(predictions)
        except ValueError as error:
            raise CliError(str(error)) from None
    else:
        generations = generate(
            config.model,
            problems,
            config.samples,
            config.max_new_tokens,
            config.temperature,
            config.batch_size,
        )
    rows, report = grade(generations, problems)
    out = Path(config.out)
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "generations.jsonl", "w") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    source = {"model": config.model, "predictions": config.predictions, "samples": config.samples}
    (out / "report.json").write_text(json.dumps({"source": source, "benchmarks": report}, indent=2) + "\n")
    print(format_table(report))
    print(f"written to {out}")
    return 0
