"""Evaluate: SWE-bench resolve rate in Docker (--domain swe), or math benchmarks (--domain math).

SWE: each prediction's patch is applied in a fresh container of its instance image (built offline
from --repos, or an official image by name), FAIL_TO_PASS and PASS_TO_PASS run, and the log is graded
with swebench's own grading code. Writes OUT/logs/<run>/<model>/<instance>/ (patch.diff, eval.sh,
test_output.txt, report.json) and OUT/<model>.<run_id>.json in the official schema (a model or
instance name that is not a safe folder name is escaped there, env.results.path_name; the report
keeps it as given); finished instances are skipped when the run is repeated with the same patch and
instance record (errors are tried again), also after Ctrl-C or SIGTERM, which stop the run within
seconds. One run at a time per OUT: a second one stops at once naming the first. Unusable input
records are skipped with one line each (file and line) and counted in the report (skipped_records).
Predictions that change test infrastructure are listed (tampered_ids); --strict grades them with
those changes reverted. A prediction whose test log was forged by its test-time code (status lines
after pytest's summary, counts or exit status that contradict pytest's;
env.grading.forged_log_reasons) is unresolved and listed (forged_ids).
--harness official hands the same run to swebench.harness.run_evaluation with the same local
images (which has no such check).

Math: generates with --model (greedy for --samples 1, avg@K sampling otherwise), or grades an
existing --predictions file from any system, with math-verify answer equivalence. Writes
OUT/generations.jsonl (benchmark, problem_id, sample_index, output, extracted, correct) and
OUT/report.json, and prints a per-benchmark accuracy table that says how many of each benchmark's
problems were graded ("5 of 30"). A --predictions line naming no problem of the selected benchmarks
(and --limit) is an error: it would be left out of the accuracy unnoticed.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass, field
from pathlib import Path

from env.images import IMAGE_SOURCES
from srl_trainer.cli.flags import add_config_arguments, config_from_args
from srl_trainer.engine import docker_client
from srl_trainer.errors import CliError

DEFAULT_BENCHMARKS = ["aime24", "aime25", "amc23", "minerva_math", "math500", "gsm8k", "olympiadbench"]


@dataclass
class EvaluateConfig:
    """What to evaluate, with which model, and where results go."""

    domain: str = field(default="swe", metadata={"help": "swe or math.", "choices": ["swe", "math"]})
    instances: str = field(
        default="",
        metadata={
            "help": "SWE: SWE-bench-format instances (.json/.jsonl). Empty: the embedded corpus's "
            "held-out instances (data/corpus/instances.heldout.jsonl) and its task repositories."
        },
    )
    repos: str = field(
        default="", metadata={"help": "SWE: folder of task repos (owner__name clones or .bundle files)."}
    )
    image_source: str = field(
        default="build",
        metadata={
            "help": "SWE: build images offline from --repos, or use official swebench/swegym images.",
            "choices": IMAGE_SOURCES,
        },
    )
    harness: str = field(
        default="srl",
        metadata={
            "help": "SWE: srl (this project) or official (swebench.harness).",
            "choices": ["srl", "official"],
        },
    )
    workers: int = field(default=1, metadata={"help": "SWE: instances evaluated in parallel."})
    timeout: int = field(default=1800, metadata={"help": "SWE: seconds the tests of one instance may run."})
    run_id: str = field(
        default="srl", metadata={"help": "SWE: run name (log folder, report name): letters, digits, . _ -."}
    )
    strict: bool = field(
        default=False,
        metadata={
            "help": "SWE: grade predictions that change test infrastructure (test-patch files, any "
            "conftest.py, pytest.ini/tox.ini/setup.cfg/pyproject.toml) with those changes reverted. "
            "Without it they get the official harness's verdict and are listed as tampering."
        },
    )
    benchmarks: list[str] = field(
        default_factory=lambda: list(DEFAULT_BENCHMARKS),
        metadata={"help": "Comma-separated benchmark names."},
    )
    benchmark_dir: str = field(
        default="",
        metadata={"help": "Folder with <name>/test.jsonl per benchmark. Empty: load hub datasets."},
    )
    model: str = field(
        default="", metadata={"help": "Model path, hub id or smollm2-135m-instruct to generate with."}
    )
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
    out: str = field(default="", metadata={"help": "Output folder (default runs/eval-<domain>)."})


def register(parser: argparse.ArgumentParser) -> None:
    add_config_arguments(parser, EvaluateConfig)


def run(args: argparse.Namespace) -> int:
    config = config_from_args(EvaluateConfig, args)
    config.out = config.out or f"runs/eval-{config.domain}"
    return run_swe(config) if config.domain == "swe" else run_math(config)


def run_swe(config: EvaluateConfig) -> int:
    from env.results import path_name
    from srl_trainer.cli.folder_lock import folder_lock

    if not config.predictions:
        raise CliError("--predictions is required for --domain swe")
    predictions_path = Path(config.predictions)
    if not predictions_path.is_file():
        raise CliError(f"{predictions_path}: no such predictions file")
    if path_name(config.run_id) != config.run_id:  # it names a folder and the report file
        raise CliError(f"--run-id {config.run_id!r}: use only letters, digits, '.', '_' and '-'")
    # One run per output folder: a second one on it would mix its evidence with the first's.
    with folder_lock(config.out):
        return _run_swe(config, predictions_path)


def _run_swe(config: EvaluateConfig, predictions_path: Path) -> int:
    if not config.instances:  # the embedded corpus's held-out instances
        from srl_trainer.data.corpus import with_corpus_defaults

        config.instances, config.repos = with_corpus_defaults("", config.repos, "heldout")

    import sys

    from tqdm import tqdm

    from agent.json_input import JsonInputError
    from env.images import ImageConfig, instance_image
    from env.instances import InstanceError, read_instances
    from env.results import path_name
    from srl_trainer.cli.interrupts import stop_on_signals
    from srl_trainer.evaluation.swe import (
        SweEvalConfig,
        evaluate_predictions,
        format_outcomes,
        model_folder,
        read_predictions,
        run_official_harness,
        run_report,
    )

    # Unusable records (bad JSON or UTF-8, too deep, a field of the wrong type) are skipped with one
    # line each naming file and line, and counted; the rest is graded.
    instance_notes: list[str] = []
    try:
        instances = read_instances(config.instances, instance_notes)
    except InstanceError as error:
        raise CliError(str(error)) from None
    try:
        predictions, notes = read_predictions(predictions_path)
    except JsonInputError as error:
        raise CliError(str(error)) from None
    except ValueError as error:
        raise CliError(f"{predictions_path}: {str(error).splitlines()[0]}") from None
    for note in instance_notes + notes:
        print(note, file=sys.stderr)
    skipped = {
        "instances": len(instance_notes),
        "predictions": sum(note.endswith("; skipped") for note in notes),
    }
    if any(skipped.values()):
        print(
            f"skipped {skipped['instances']} instance record(s) and {skipped['predictions']} "
            "prediction(s), each named above; grading the rest",
            file=sys.stderr,
        )
    client = docker_client()
    out = Path(config.out)
    eval_config = SweEvalConfig(
        config.timeout, config.workers, config.run_id, str(out / "logs"), str(out), config.strict
    )
    image_config = ImageConfig(repos=config.repos, image_source=config.image_source)
    image_for = lambda instance: instance_image(client, instance, image_config)  # noqa: E731
    model = str(predictions[0].get("model_name_or_path") or "model") if predictions else "model"
    if config.harness == "official":
        for prediction in predictions:
            if path_name(prediction["instance_id"]) != prediction["instance_id"]:
                print(
                    f"{prediction['instance_id']!r}: not a safe folder name, which the official harness "
                    "makes of it; not handed to it",
                    file=sys.stderr,
                )
        verdicts = run_official_harness(instances, predictions, image_for, eval_config, out / "official")
        for instance_id, resolved in sorted(verdicts.items()):
            print(f"{instance_id:<40}{'resolved' if resolved else 'unresolved'}")
        print(f"official harness: resolved {sum(verdicts.values())}/{len(predictions)}")
        return 0
    progress = tqdm(total=len(predictions), desc="evaluating", unit="instance")

    def finished() -> str:  # the line Ctrl-C / SIGTERM end with (exit status 130)
        return (
            f"{progress.n} of {len(predictions)} instances finished, their outcomes kept in "
            f"{out / 'logs' / config.run_id}; run the same command again to resume"
        )

    with progress, stop_on_signals(finished):
        outcomes = evaluate_predictions(client, instances, predictions, image_for, eval_config, progress)
    report = run_report(model, config.run_id, instances, predictions, outcomes)
    report["skipped_records"] = skipped
    out.mkdir(parents=True, exist_ok=True)  # also when no prediction needed a container
    report_path = out / f"{model_folder(model)}.{config.run_id}.json"  # the report keeps the name
    report_path.write_text(json.dumps(report, indent=2) + "\n")
    print(format_outcomes(outcomes))
    print(f"report: {report_path}")
    return 0


def run_math(config: EvaluateConfig) -> int:
    if not config.model and not config.predictions:
        raise CliError("give --model to generate or --predictions FILE to grade existing outputs")
    predictions = Path(config.predictions) if config.predictions else None
    if predictions is not None and not predictions.is_file():
        raise CliError(f"{predictions}: no such predictions file")

    from srl_trainer.evaluation.math import format_table, generate, grade, read_generations
    from srl_trainer.evaluation.math_benchmarks import BenchmarkError, load_benchmark

    root = Path(config.benchmark_dir) if config.benchmark_dir else None
    problems, sizes = [], {}
    try:
        for name in config.benchmarks:
            whole = load_benchmark(name, root)
            sizes[name] = len(whole)  # the table says "5 of 30", not only the graded part
            problems += whole[: config.limit] if config.limit else whole
    except BenchmarkError as error:
        raise CliError(str(error)) from None
    if predictions is not None:
        try:
            generations = read_generations(predictions)
        except ValueError as error:
            raise CliError(str(error)) from None
        _reject_unknown_predictions(predictions, generations, problems, config)
    else:
        generations = generate(
            config.model,
            problems,
            config.samples,
            config.max_new_tokens,
            config.temperature,
            config.batch_size,
        )
    rows, report = grade(generations, problems, sizes)
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


def _reject_unknown_predictions(
    path: Path, generations: list, problems: list, config: EvaluateConfig
) -> None:
    """A prediction naming no selected problem would be skipped and its benchmark shown as n/a or
    with a wrong count; the user is told which lines and what to change instead."""
    from srl_trainer.evaluation.math import unknown_predictions

    unknown = unknown_predictions(generations, problems)
    if not unknown:
        return
    names = ", ".join(f"{g.benchmark}/{g.problem_id}" for g in unknown[:5])
    more = f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
    limit = f" --limit {config.limit}" if config.limit else ""
    raise CliError(
        f"{path}: {len(unknown)} of {len(generations)} predictions name no problem of --benchmarks "
        f"{','.join(config.benchmarks)}{limit}: {names}{more}; fix their benchmark/problem_id fields, "
        "or choose the --benchmarks (and --limit) they were generated for"
    )
