"""Train a policy: SFT warm-up then SRL (GRPO + dynamic sampling), or sft, rlvr, srl-rlvr, holistic;
or mid-train a base model on text (``--method midtrain``, the --midtrain-* flags).

With no flags it builds the embedded tiny Qwen2 model, warms it up with SFT on the embedded SWE
steps, runs SRL on CPU in minutes and prints held-out mean step reward and format-error rate before
and after. Writes OUT (default runs/<method>-<domain>): final/ (the weights), metrics.jsonl, config.yaml,
summary.json and curves.png.

Arguments are parsed by TRL's TrlParser: the project's own (below, either spelling: --max-train-steps
or --max_train_steps), then every field of the method's TRL config (GRPOConfig for srl, rlvr,
srl-rlvr and holistic; SFTConfig for sft and midtrain: `train --method sft --help` lists those) and
of TRL's ModelConfig (--model is --model_name_or_path; --out is --output_dir). --config FILE reads
TRL-style YAML of any of these fields; flags win. Presets are files in configs/train/: defaults.yaml
(the paper's settings where TRL's defaults differ) always, embedded-<domain>.yaml when no model is
given, and paper-swe.yaml / paper-math.yaml for 7B runs (--config); a run prints the files and every
value it took from --config or a flag. OUT/config.yaml is such a YAML: --config OUT/config.yaml
starts the same run again. Ctrl-C or SIGTERM stops a run within seconds (a SWE run's sandboxes are
removed); ``--resume --out OUT`` continues it from its last finished phase and checkpoint.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
from pathlib import Path

from srl_trainer.cli.interrupts import stop_on_signals
from srl_trainer.errors import CliError
from srl_trainer.training.config import TrainConfig, process_rank, use_cpu_for_cpu_processes

# `train` parses its own arguments with TRL's TrlParser (which needs the method's TRL config class),
# so the top-level parser hands it the rest of the command line as args.argv.
OWN_PARSER = True
PROG = "python -m srl_trainer.swe train"


# String fields TRL 1.16 checks against a fixed set in its code without declaring it: --help lists
# them (HfArgumentParser lists the choices of Literal and Enum fields by itself).
TRL_CHOICES = {
    "GRPOConfig": {
        "vllm_mode": ("colocate", "server"),
        "importance_sampling_level": ("token", "sequence"),
        "loss_type": ("grpo", "bnpo", "dr_grpo", "dapo", "cispo", "sapo", "luspo", "vespo"),
    },
    "SFTConfig": {"loss_type": ("nll", "dft")},
}
# (flag, the field it sets, type, help): config.ALIASES as flags.
SHORTCUTS = [
    ("model", "model_name_or_path", str, "--model_name_or_path (empty: --embedded-base)."),
    ("out", "output_dir", str, "--output_dir: the run folder (empty: runs/<method>-<domain>)."),
    ("epochs", "num_train_epochs", float, "--num_train_epochs."),
    ("per_device_batch_size", "per_device_train_batch_size", int, "--per_device_train_batch_size."),
    ("max_prompt_length", "max_prompt_tokens", int, "--max_prompt_tokens."),
]


def register(parser: argparse.ArgumentParser) -> None:
    """Nothing to add: :func:`parse_train_args` builds the parser when `train` runs."""


class _HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """The description as written; each flag's help with its default (a literal % stays one)."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = (action.help or "").replace("%", "%%")
        if action.option_strings and action.default not in (None, "", [], argparse.SUPPRESS):
            text += " (default: %(default)s)"
        return text


def _titled(cls: type, title: str) -> type:
    """``cls`` under its own --help heading (HfArgumentParser groups a dataclass by this attribute)."""
    return type(cls.__name__, (cls,), {"_argument_group_name": title})


def train_parser(method: str, suppress_defaults: bool):
    """TrlParser over (SRLArguments, the method's TRL config, ModelConfig), one error line, exit 1.
    ``suppress_defaults``: a flag not typed is absent from the parse (the layers fill it); otherwise
    the defaults shown by --help are the paper's (configs/train/defaults.yaml over TRL's)."""
    from trl import ModelConfig, TrlParser

    from srl_trainer.training.config import (
        DEFAULTS_PRESET,
        DOMAINS,
        METHODS,
        SRLArguments,
        field_names,
        read_yaml,
        trl_config_class,
    )

    class TrainParser(TrlParser):
        def error(self, message: str):  # argparse's usage block, as every other bad input: one line
            self.exit(1, f"{self.prog}: error: {message} (see --help)\n")

    trl_class = trl_config_class(method)
    parser = TrainParser(
        (
            SRLArguments,
            _titled(trl_class, f"TRL {trl_class.__name__}"),
            _titled(ModelConfig, "TRL ModelConfig"),
        ),
        prog=PROG,
        usage=f"{PROG} [--method {{{','.join(METHODS)}}}] [--domain {{{','.join(DOMAINS)}}}] [--config FILE] "
        "[--model PATH_OR_ID] [--FIELD VALUE ...]",
        description=__doc__,
        formatter_class=_HelpFormatter,
        allow_abbrev=False,
    )
    shortcuts = parser.add_argument_group("shortcuts (other spellings of the fields above)")
    shortcuts.add_argument(
        "--config", metavar="FILE", help="TRL-style YAML of field: value pairs (flags win)."
    )
    for flag, dest, kind, text in SHORTCUTS:
        names = [f"--{flag}"] + ([f"--{flag.replace('_', '-')}"] if "_" in flag else [])
        shortcuts.add_argument(*names, dest=dest, type=kind, metavar=dest.upper(), help=text)
    choices = TRL_CHOICES.get(trl_class.__name__, {})
    for action in parser._actions:
        if getattr(action.type, "__name__", "") == "string_to_bool" and action.nargs is None:
            action.nargs, action.const = "?", True  # `--bf16` alone means true, as for other booleans
        if action.dest in choices and action.option_strings:
            action.choices = choices[action.dest]
    if suppress_defaults:
        parser.set_defaults_with_config(
            **dict.fromkeys(field_names(), argparse.SUPPRESS), config=argparse.SUPPRESS
        )
    else:
        parser.set_defaults_with_config(**read_yaml(DEFAULTS_PRESET))
    return parser


def _method_of(argv: list[str]) -> str:
    """--method from the flags, else from the --config file, else srl (it picks the TRL config class)."""
    from srl_trainer.training.config import read_yaml

    pre = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    pre.add_argument("--method")
    pre.add_argument("--config")
    known, _ = pre.parse_known_args(argv)
    if known.method:
        return known.method
    if known.config:
        return read_yaml(known.config).get("method", "srl")
    return "srl"


def parse_train_args(argv: list[str]) -> TrainConfig:
    """The flags the user typed, typed by TrlParser, resolved over --config and the preset files."""
    from srl_trainer.training.config import METHODS, resolve_config, trl_config_class, trl_field_names

    method = _method_of(argv)
    if method not in METHODS:  # argparse's choices line names them
        method = "srl"
    if "-h" in argv or "--help" in argv:
        train_parser(method, suppress_defaults=False).print_help()
        raise SystemExit(0)
    parser = train_parser(method, suppress_defaults=True)
    namespace, unknown = parser.parse_known_args(argv)
    if unknown:
        other = "sft" if trl_config_class(method).__name__ == "GRPOConfig" else "srl"
        flags = {u.lstrip("-").replace("-", "_").split("=")[0] for u in unknown if u.startswith("--")}
        hint = ""
        if flags & trl_field_names(other):
            hint = (
                f" (--method {method} takes {trl_config_class(method).__name__}'s fields, not "
                f"{trl_config_class(other).__name__}'s)"
            )
        parser.error(f"unrecognized arguments: {' '.join(unknown)}{hint}")
    return resolve_config(vars(namespace))


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
        sampled = "".join(f"   {k} {v:.0%}" for k, v in s.items() if k[:4] in ("avg@", "pass"))
        solved = round(s["greedy_accuracy"] * s["problems"])
        lines.append(
            f"final-answer accuracy {s['greedy_accuracy']:.0%} greedy ({solved}/{s['problems']} held-out "
            f"problems){sampled}"
        )
        levels = [
            f"{k} steps {round(v['greedy_accuracy'] * v['problems'])}/{v['problems']}"
            for k, v in s["by_steps"].items()
        ]
        if len(levels) > 1:  # one level would repeat the line above
            lines.append(f"by number of steps: {', '.join(levels)}")
    if "resolve" in result and "not_measured" in result["resolve"]:
        lines.append(f"resolve rate: not measured ({result['resolve']['not_measured']})")
    elif "resolve" in result:
        r = result["resolve"]
        lines.append(
            f"resolved {r['resolved']}/{r['instances']} held-out instances ({r['resolve_rate']:.0%})"
        )
    return lines


def score_lines(label: str, result: dict) -> list[str]:
    """One phase's scores: held-out steps (greedy, sampled), the training sample, task level."""
    lines = [_line(label.replace("_", " "), result)]
    if "sampled_mean_step_reward" in result:
        lines.append(_line("", result, prefix="sampled_"))
    lines.append(_line("", result["train_sample"], "training steps"))
    return lines + [f"{'':<15}{line}" for line in _task_lines(result)]


def print_scores(label: str, result: dict) -> None:
    """Each phase's scores as its evaluation ends (the final report repeats them all)."""
    print("\n".join(score_lines(label, result)), flush=True)


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
    from srl_trainer.training.config import resolve_config

    use_cpu_for_cpu_processes()  # before parsing: resolve_config builds the TRL configs
    config = parse_train_args(args.argv)
    if config.resume:  # the interrupted run's own settings, so data order and schedule are the same
        out = run_dir_for(config)
        config = resolve_config({"config": str(out / "config.yaml"), "resume": True, "output_dir": str(out)})
    if process_rank() == 0:
        print("\n".join(config.describe()), flush=True)
    if config.model:
        from srl_trainer.training.pipeline import check_model_loads

        check_model_loads(config.model)
    out = run_dir_for(config)

    from srl_trainer.training.pipeline import run_training

    with stop_on_signals(lambda: stopped_line(out)):
        summary = run_training(config, out, report=print_scores)
    if process_rank() > 0:  # rank 0 reports for every process (the summary is the same on each)
        return 0
    print()
    for label in ("initial", "after_sft", "after_srl", "after_rlvr", "after_holistic"):
        if label in summary:
            print("\n".join(score_lines(label, summary[label])))
    if "midtrain" in summary:
        m = summary["midtrain"]
        print(
            f"midtrain       {m['warmup_steps']} warmup + {m['stable_steps'] - m['warmup_steps']} stable + "
            f"{m['decay_steps']} decay steps of {m['seq_len']} tokens, final loss {m['final_loss']}"
        )
    print(f"wall time      {summary['wall_seconds']} s")
    print(f"written to     {out}")
    return 0
