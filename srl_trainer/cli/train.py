"""Train a policy: SFT warm-up then SRL (GRPO + dynamic sampling), or sft, rlvr, srl-rlvr, holistic;
or mid-train a base model on text (``--method midtrain``, the --midtrain-* flags).

With no flags it builds the embedded tiny Qwen2 model, warms it up with SFT on the embedded SWE
steps, runs SRL on CPU in minutes and prints held-out mean step reward and format-error rate before
and after. Writes OUT (default runs/<method>-<domain>): final/ (the weights), metrics.jsonl,
config.yaml, summary.json and curves.png. ``--config FILE`` reads YAML field: value pairs; flags win. The
defaults shown below are the paper's (for real models); without --model the small-model settings in
``srl_trainer/training/config.py`` (EMBEDDED_DEFAULTS) replace those you do not set. Ctrl-C or
SIGTERM stops a run within seconds (a SWE run's sandboxes are removed); ``--resume --out OUT``
continues it from its last finished phase and checkpoint.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
from pathlib import Path

import yaml

from srl_trainer.cli.flags import add_config_arguments
from srl_trainer.cli.interrupts import stop_on_signals
from srl_trainer.errors import CliError
from srl_trainer.training.config import TrainConfig, field_names, process_rank, resolve_config


def register(parser: argparse.ArgumentParser) -> None:
    add_config_arguments(parser, TrainConfig)


def run_dir_for(config: TrainConfig) -> Path:
    """OUT as given (must not exist unless --overwrite), or the first free runs/<method>-<domain>[-N]."""
    if config.resume:
        if not config.out or not (Path(config.out) / "config.yaml").is_file():
            raise CliError("--resume needs --out pointing at an existing run folder (with config.yaml)")
        return Path(config.out)
    if config.out:
        out = Path(config.out)
        if process_rank() > 0:  # rank 0 checks, clears and writes the folder; the others only read it
            return out
        if out.exists() and any(out.iterdir()):
            if not config.overwrite:
                raise CliError(f"{out} already exists; pass --overwrite to replace it")
            shutil.rmtree(out)
        return out
    if int(os.environ.get("WORLD_SIZE", "1")) > 1:  # every rank must agree on the folder
        raise CliError("a multi-process run needs --out (every process must name the same run folder)")
    base = Path("runs") / f"{config.method}-{config.domain}"
    out, n = base, 1
    while out.exists():
        n += 1
        out = base.with_name(f"{base.name}-{n}")
    return out


def _line(label: str, result: dict, what: str = "held-out steps", prefix: str = "") -> str:
    how = f"{result['samples_per_step']} samples each" if prefix else "greedy"
    return (
        f"{label:<14} mean step reward {result[prefix + 'mean_step_reward']:+.3f}   "
        f"format errors {result[prefix + 'format_error_rate']:.0%}   "
        f"exact match {result[prefix + 'exact_match_rate']:.0%}   ({result['examples']} {what}, {how})"
    )


def _task_lines(result: dict) -> list[str]:
    """Task-level lines: whole math solutions (greedy, avg@K, per number of steps) or SWE resolves."""
    lines = []
    if "solutions" in result:
        s = result["solutions"]
        sampled = "   ".join(f"{k} {v:.0%}" for k, v in s.items() if k[:4] in ("avg@", "pass"))
        levels = ", ".join(f"{k} steps {v['greedy_accuracy']:.0%}" for k, v in s["by_steps"].items())
        lines.append(
            f"solved {s['greedy_accuracy']:.0%} greedy   {sampled}   ({s['problems']} held-out problems)"
        )
        lines.append(f"by steps: {levels}")
    if "resolve" in result and "not_measured" in result["resolve"]:
        lines.append(f"resolve rate: not measured ({result['resolve']['not_measured']})")
    elif "resolve" in result:
        r = result["resolve"]
        lines.append(
            f"resolved {r['resolved']}/{r['instances']} held-out instances ({r['resolve_rate']:.0%})"
        )
    return lines


def stopped_line(out: Path) -> str:
    """What an interrupted run left in ``out`` and the command that continues it."""
    if not (out / "config.yaml").is_file():
        return f"nothing was written to {out}; rerun the same command to start again"
    summary = out / "summary.json"
    phases = json.loads(summary.read_text()).get("phases_done", []) if summary.is_file() else []
    states = [path.parent for path in out.glob("*/checkpoint-*/trainer_state.json")]
    last = max(states, key=lambda path: path.stat().st_mtime, default=None)
    checkpoint = f", last checkpoint {last.relative_to(out)}" if last else ", no checkpoint yet"
    return (
        f"run folder {out} (finished phases: {', '.join(phases) or 'none'}{checkpoint}); "
        f"rerun with `train --resume --out {out}` to continue"
    )


def run(args: argparse.Namespace) -> int:
    given = {k: v for k, v in vars(args).items() if k in field_names()}
    config = resolve_config(given)
    if config.resume:  # the interrupted run's own settings, so data order and schedule are the same
        out = run_dir_for(config)
        saved = yaml.safe_load((out / "config.yaml").read_text())
        config = TrainConfig(**{**saved, "resume": True, "out": str(out)})
    if config.model:
        from srl_trainer.training.pipeline import check_model_loads

        check_model_loads(config.model)
    out = run_dir_for(config)

    from srl_trainer.training.pipeline import run_training

    with stop_on_signals(lambda: stopped_line(out)):
        summary = run_training(config, out)
    print()
    for label in ("initial", "after_sft", "after_srl", "after_rlvr", "after_holistic"):
        if label in summary:
            print(_line(label.replace("_", " "), summary[label]))
            if "sampled_mean_step_reward" in summary[label]:
                print(_line("", summary[label], prefix="sampled_"))
            print(_line("", summary[label]["train_sample"], "training steps"))
            for line in _task_lines(summary[label]):
                print(f"{'':<15}{line}")
    if "midtrain" in summary:
        m = summary["midtrain"]
        print(
            f"midtrain       {m['warmup_steps']} warmup + {m['stable_steps'] - m['warmup_steps']} stable + "
            f"{m['decay_steps']} decay steps of {m['seq_len']} tokens, final loss {m['final_loss']}"
        )
    print(f"wall time      {summary['wall_seconds']} s")
    print(f"written to     {out}")
    return 0
