"""Turn expert trajectories (or math solutions) into the step-wise SRL dataset.

Reads SWE-Gym / SWE-smith / SWE-agent trajectories (or s1K-style math records with --domain math)
from a hub dataset id, a saved dataset folder, or local .json/.jsonl/.traj files, and writes one
example per expert action: a chat prompt (system, problem, previous actions and observations) and
the canonical target action. Output: OUT/data/*.parquet with a dataset card OUT/README.md (so
``datasets.load_dataset(OUT)``, ``train --dataset OUT`` and ``trl grpo --dataset_name OUT`` read it),
OUT/dataset (datasets.save_to_disk), OUT/preview.jsonl and OUT/summary.json (with where every skipped
record is; the first few per reason are printed). With no --trajectories it uses the embedded corpus
(data/corpus, or data/math for --domain math).

It streams: records are read (JSON lines one line at a time) and turned into examples one at a
time, texts are cut by characters before they are tokenized, and a record with more than
--max-steps-per-trajectory steps (or more actions than a row can repeat) is skipped and counted,
so memory follows the prompt budget and the output, not the largest record. Special-token strings
in the records (``<|im_start|>`` in an observation) are neutralised (agent.untrusted): the prompts
hold them as text, with a ZERO WIDTH JOINER after their first character.
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
from srl_trainer.data.sources import ItemStream, Source, no_usable_records
from srl_trainer.data.step_dataset import StepRowWriter, write_hub_folder
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
        metadata={
            "help": "Tokenizer (path, hub id or packaged model such as smollm2-135m-instruct) that counts "
            "prompt tokens. Empty: the embedded one."
        },
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
    from srl_trainer.model_sources import local_model_path

    path = local_model_path(name) if name else str(default_tokenizer_dir())
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


def _staging(out: Path) -> Path:
    """The sibling folder a run writes into and renames to OUT at the end, so an interrupted run
    leaves no 'complete' OUT."""
    staging = out.with_name(f".{out.name}.partial-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    return staging


def _write_dataset(out: Path, staging: Path, rows: StepRowWriter, summary: dict) -> None:
    """The dataset (both copies), the preview and the summary into ``staging``, renamed to ``out``."""
    dataset = rows.finish()
    dataset.save_to_disk(str(staging / "dataset"))
    write_hub_folder(staging, dataset, summary)
    with open(staging / "preview.jsonl", "w") as preview:
        for row in rows.preview:
            preview.write(json.dumps(row, ensure_ascii=False) + "\n")
    (staging / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    rows.path.unlink()  # the streamed rows, now in dataset/ and data/ (still mapped: Linux keeps them)
    if out.exists():
        shutil.rmtree(out)
    staging.rename(out)


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

    from srl_trainer.data.stepwise import TokenCounter, TruncationStats, budget_error, smallest_prompt

    stream = ItemStream(source_of(config))  # a missing or unreadable source fails before any model loads
    path = stream.path
    tokenizer = _load_tokenizer(config.tokenizer)
    budget = BudgetConfig(
        config.max_prompt_tokens,
        config.max_observation_tokens,
        config.max_problem_tokens,
        config.max_steps_per_trajectory,
    )
    smallest = smallest_prompt(tokenizer, config.domain)
    if budget.max_prompt_tokens < smallest:
        raise CliError(budget_error(budget.max_prompt_tokens, smallest, config.domain))
    counter, stats = TokenCounter(tokenizer), TruncationStats()
    staging = _staging(out)
    try:
        rows = StepRowWriter(staging / ".rows.arrow", config.preview_rows)
        kept = _build_rows(stream, rows, counter, budget, stats)
        skipped = stream.skipped
        if not kept:
            cap = ", --max-steps-per-trajectory" if skipped["too_many_steps"] else ""
            flags = "--format/--domain" + cap
            raise no_usable_records(path, config.domain, skipped, flags)
        if not len(rows):
            raise CliError(
                f"{path}: no step fits --max-prompt-tokens {config.max_prompt_tokens} "
                f"({stats.examples_skipped_over_budget} step(s) skipped: the system prompt and the "
                "problem alone take more); raise --max-prompt-tokens"
            )
        summary = {
            "source": path,
            "domain": config.domain,
            "records_read": stream.records_read,
            "records_kept": kept,
            "skipped": dict(skipped),
            "skipped_records": skipped.where,
            "examples": len(rows),
            "prompt_tokens": _percentiles(rows.prompt_tokens),
            "truncation": stats.as_dict(),
            "budget": asdict(budget),
            "out": str(out),
        }
        _write_dataset(out, staging, rows, summary)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    print_summary(summary)
    return 0


def _build_rows(stream: ItemStream, rows: StepRowWriter, counter, budget: BudgetConfig, stats) -> int:
    """Every step row of ``stream`` into ``rows``, one record at a time; the records kept."""
    from tqdm import tqdm

    from srl_trainer.data.stepwise import step_examples, too_long

    kept = 0
    # Not tqdm(stream): its generator would hold the previous record while the next one is read.
    # Shown on a terminal only: a bad record found mid-stream is then the one line a log holds.
    progress = tqdm(desc="building step examples", unit="record", file=sys.stderr, disable=None)
    try:
        for where, item in stream:
            reason = too_long(item, budget)
            if reason:  # counted where it is, like every other record left out
                stream.skip(reason, where)
                stats.records_too_long += 1
            else:
                kept += 1
                for example in step_examples(item, counter, budget, stats):
                    rows.add(example.as_row())
            del item  # one record in memory at a time: the next is read before the loop rebinds it
            progress.update()
    finally:
        progress.close()
    return kept
