"""Turn expert trajectories (or math solutions) into the step-wise SRL dataset.

Reads SWE-Gym / SWE-smith / SWE-agent trajectories (or s1K-style math records with --domain math)
from a hub dataset id, a saved dataset folder, or local .json/.jsonl/.traj files, and writes one
example per expert action: a chat prompt (system, problem, previous actions and observations) and
the canonical target action. Output: OUT/data/*.parquet with a dataset card OUT/README.md (so
``datasets.load_dataset(OUT)``, ``train --dataset OUT`` and ``trl grpo --dataset_name OUT`` read it),
OUT/dataset (datasets.save_to_disk), OUT/preview.jsonl and OUT/summary.json (with where every skipped
record is; the first few per reason are printed). With no --trajectories it uses the embedded corpus
(data/corpus, or data/math for --domain math).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

from srl_trainer.cli.flags import add_config_arguments, config_from_args
from srl_trainer.data.sources import Source, no_usable_records, read_items, source_path
from srl_trainer.data.step_dataset import write_hub_folder
from srl_trainer.data.stepwise import BudgetConfig
from srl_trainer.errors import CliError


@dataclass
class PrepareConfig(BudgetConfig):
    """Where the trajectories come from and where the step dataset goes."""

    out: str = field(default="", metadata={"help": "Output folder for the step dataset (required)."})
    trajectories: str = field(
        default="",
        metadata={
            "help": "Hub dataset id, saved dataset folder, or .json/.jsonl/.traj file or folder. "
            "Empty: the embedded corpus (data/corpus) or math step data (data/math) of the domain."
        },
    )
    format: str = field(
        default="auto",
        metadata={
            "help": "Trajectory format; auto detects it per record.",
            "choices": ["auto", "openhands_text", "openhands_native", "sweagent"],
        },
    )
    domain: str = field(
        default="swe",
        metadata={"help": "swe: agent trajectories; math: s1K-style solutions.", "choices": ["swe", "math"]},
    )
    split: str = field(default="", metadata={"help": "Dataset split for hub ids / saved DatasetDicts."})
    tokenizer: str = field(
        default="",
        metadata={"help": "Tokenizer (path or hub id) that counts prompt tokens. Empty: the embedded one."},
    )
    preview_rows: int = field(default=50, metadata={"help": "How many examples preview.jsonl shows."})
    overwrite: bool = field(default=False, metadata={"help": "Replace OUT if it already exists."})


def register(parser: argparse.ArgumentParser) -> None:
    add_config_arguments(parser, PrepareConfig)


def source_of(config: PrepareConfig) -> Source:
    """The flags that say where the records come from and how they are read."""
    return Source(config.trajectories, config.domain, config.format, config.split)


def _load_tokenizer(name: str):
    from transformers import AutoTokenizer

    from srl_trainer.data.embedded import default_tokenizer_dir
    from srl_trainer.hub import hub_error_line, is_local, offline_unless_reachable

    path = name or str(default_tokenizer_dir())
    if not is_local(path):
        offline_unless_reachable()
    try:
        return AutoTokenizer.from_pretrained(path)
    except Exception as error:  # transformers raises OSError, ValueError, HF errors...
        raise CliError(hub_error_line("tokenizer", path, error)) from None


def _percentiles(values: list[int]) -> dict[str, int]:
    if not values:
        return {}
    ordered = sorted(values)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * (len(ordered) - 1) + 0.5))]  # noqa: E731
    return {"p50": pick(0.5), "p90": pick(0.9), "p99": pick(0.99), "max": ordered[-1]}


def _write_dataset(out: Path, rows: list[dict], summary: dict, preview_rows: int) -> None:
    """Write into a sibling temp folder and rename, so an interrupted run leaves no 'complete' OUT."""
    from datasets import Dataset

    staging = out.with_name(f".{out.name}.partial-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        Dataset.from_list(rows).save_to_disk(str(staging / "dataset"))
        write_hub_folder(staging, rows, summary)
        with open(staging / "preview.jsonl", "w") as preview:
            for row in rows[:preview_rows]:
                preview.write(json.dumps(row, ensure_ascii=False) + "\n")
        (staging / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
        if out.exists():
            shutil.rmtree(out)
        staging.rename(out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


# Skipped records named on screen per reason; summary.json names every one.
SHOWN_SKIPPED = 5


def print_summary(summary: dict) -> None:
    lines = [
        f"source            {summary['source']}",
        f"records read      {summary['records_read']}",
        f"records kept      {summary['records_kept']}",
    ]
    for reason, count in sorted(summary["skipped"].items()):
        lines.append(f"  skipped: {reason:<16} {count}")
        places = summary["skipped_records"].get(reason, [])
        lines.extend(f"    {where}" for where in places[:SHOWN_SKIPPED])
        if len(places) > SHOWN_SKIPPED:
            lines.append(f"    ... and {len(places) - SHOWN_SKIPPED} more (all in summary.json)")
    lines.append(f"step examples     {summary['examples']}")
    tokens = summary["prompt_tokens"]
    if tokens:
        lines.append(
            "prompt tokens     "
            + "  ".join(f"{k} {v}" for k, v in tokens.items())
            + f"  (budget {summary['budget']['max_prompt_tokens']})"
        )
    for name, count in summary["truncation"].items():
        lines.append(f"  {name.replace('_', ' '):<28} {count}")
    lines.append(f"written to        {summary['out']}")
    print("\n".join(lines))  # the current sys.stdout, not the one at import time


def run(args: argparse.Namespace) -> int:
    config = config_from_args(PrepareConfig, args)
    if not config.out:
        raise CliError("--out is required: the folder the step dataset is written to")
    out = Path(config.out)
    if out.exists() and not config.overwrite:
        raise CliError(f"{out} already exists; pass --overwrite to replace it")

    from srl_trainer.data.stepwise import budget_error, build_step_examples, smallest_prompt

    items, records_read, skipped = read_items(source_of(config))
    path = source_path(source_of(config))
    if not items:
        raise no_usable_records(path, config.domain, skipped, "--format/--domain")
    tokenizer = _load_tokenizer(config.tokenizer)
    budget = BudgetConfig(config.max_prompt_tokens, config.max_observation_tokens, config.max_problem_tokens)
    smallest = smallest_prompt(tokenizer, config.domain)
    if budget.max_prompt_tokens < smallest:
        raise CliError(budget_error(budget.max_prompt_tokens, smallest, config.domain))
    from tqdm import tqdm

    progress = tqdm(items, desc="building step examples", unit="record", file=sys.stderr)
    examples, stats = build_step_examples(progress, tokenizer, budget)
    if not examples:
        raise CliError(
            f"{path}: no step fits --max-prompt-tokens {config.max_prompt_tokens} "
            f"({stats.examples_skipped_over_budget} step(s) skipped: the system prompt and the problem "
            "alone take more); raise --max-prompt-tokens"
        )
    rows = [example.as_row() for example in examples]
    summary = {
        "source": path,
        "domain": config.domain,
        "records_read": records_read,
        "records_kept": len(items),
        "skipped": dict(skipped),
        "skipped_records": skipped.where,
        "examples": len(rows),
        "prompt_tokens": _percentiles([r["prompt_tokens"] for r in rows]),
        "truncation": stats.as_dict(),
        "budget": asdict(budget),
        "out": str(out),
    }
    _write_dataset(out, rows, summary, config.preview_rows)
    print_summary(summary)
    return 0
