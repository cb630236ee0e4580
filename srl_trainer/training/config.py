"""Configuration of ``train``: the project's arguments beside TRL's own configs, parsed by TRL's TrlParser.

Three dataclasses make every flag and every YAML key (``train --help`` lists them all):

- :class:`SRLArguments`: the project's own settings (what to train, data, SFT warm-up, SRL batches,
  dynamic sampling, SWE RLVR, mid-training, evaluation), gathered from the dataclasses below;
- the method's TRL config, the one home of every training argument (``learning_rate``,
  ``num_generations``, ``per_device_train_batch_size``, ``num_train_epochs``, ``max_steps``,
  ``save_steps``, ``seed``, ``bf16``, ``report_to``, DeepSpeed, vLLM, ...): ``GRPOConfig`` for srl,
  rlvr, srl-rlvr and holistic, ``SFTConfig`` for sft and midtrain (:func:`trl_config_class`);
- TRL's ``ModelConfig``: ``model_name_or_path`` (``--model``), LoRA (``use_peft``, ``lora_r``, ...).

Values come in layers, each a YAML file of TRL-style ``field: value`` pairs; a later layer wins:

1. ``configs/train/defaults.yaml``: the paper's settings where TRL's defaults differ (lr 5e-7,
   30 epochs, completion length, checkpoint cadence, seed 0, no bf16 unless asked, ...);
2. ``configs/train/embedded-<domain>.yaml``, only when no model is given: the tiny model's CPU
   settings;
3. ``--config FILE`` (for example a paper preset, ``configs/train/paper-swe.yaml``);
4. the command line.

No default hides in code: the dataclass defaults below are shown by ``--help``, the layers are files,
and a run prints the files and every value it took from ``--config`` or a flag
(:meth:`TrainConfig.describe`). A key of the other method's TRL config (``num_generations`` in a
recipe run with ``--method sft``) is kept but listed as not used; a key of no config is one error line.
The resolved configuration (:meth:`TrainConfig.to_yaml`) is itself such a file: ``train --config
RUN/config.yaml`` resolves to the same configuration.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from env.images import IMAGE_SOURCES
from srl_trainer.errors import CliError
from srl_trainer.training import recipes

# The --method / --domain choices: the rows of the recipe table.
METHODS = list(recipes.METHODS)
DOMAINS = list(recipes.DOMAINS)

PRESETS_DIR = Path(__file__).resolve().parents[2] / "configs" / "train"
DEFAULTS_PRESET = PRESETS_DIR / "defaults.yaml"

# Other spellings of TRL fields (flags and YAML keys): the project's short names, and the names
# transformers deprecated (spelled the new way, no FutureWarning is raised each time a config is built).
ALIASES = {
    "model": "model_name_or_path",
    "out": "output_dir",
    "gradient_checkpointing": "activation_checkpointing",
    "gradient_checkpointing_kwargs": "activation_checkpointing_kwargs",
    "max_prompt_length": "max_prompt_tokens",  # GRPOConfig's name before TRL 1.0
    "epochs": "num_train_epochs",  # this project's names before TRL's parser
    "per_device_batch_size": "per_device_train_batch_size",
}
EMPTY_WHEN_UNSET = ("model", "out")  # "" rather than TRL's None
# TRL fields the SFT phase takes from the sft_* fields (warm-up and --method sft alike).
SFT_PHASE_FIELDS = {
    "learning_rate": "sft_learning_rate",
    "num_train_epochs": "sft_epochs",
    "max_steps": "sft_max_steps",
    "per_device_train_batch_size": "sft_batch_size",
    "lr_scheduler_type": "sft_lr_scheduler_type",
    "warmup_steps": "sft_warmup_steps",
}
# GRPOConfig fields every method reads: the decode length and temperature of the before/after scores.
READ_BY_EVERY_METHOD = ("max_completion_length", "temperature")
# TRL fields a GRPO phase sets itself (the checkpoint choice needs eval and save in step).
GRPO_PHASE_FIELDS = ("output_dir", "eval_strategy", "save_strategy", "load_best_model_at_end")
# A GRPO recipe's accumulation, eval and save cadence (its GRPO phases', not the SFT warm-up's), and
# loss_type, which names a GRPO loss in GRPOConfig and an SFT loss in SFTConfig.
GRPO_CADENCE_FIELDS = (
    "loss_type",
    "gradient_accumulation_steps",
    "eval_steps",
    "save_steps",
    "save_total_limit",
    "per_device_eval_batch_size",
    "metric_for_best_model",
)


def embedded_preset(domain: str) -> Path:
    """The CPU preset applied when no model is given (the embedded tiny model)."""
    return PRESETS_DIR / f"embedded-{domain}.yaml"


@dataclass
class RunConfig:
    """What to train."""

    method: str = field(
        default="srl",
        metadata={
            "help": "srl: step-wise GRPO with step similarity; sft: SFT on full expert trajectories; "
            "rlvr: GRPO rewarded by the outcome (math: final answer correct; swe: the instance's tests "
            "pass on the patch of a multi-turn agent rollout in Docker, see --rlvr-instances); "
            "srl-rlvr: SRL, then RLVR from the SRL checkpoint; "
            "holistic: whole-solution similarity (ablation); "
            "midtrain: causal-LM mid-training on text with a warmup-stable-decay schedule, writing a "
            "base checkpoint for --model (see the --midtrain-* flags). srl, rlvr, srl-rlvr and "
            "holistic take GRPOConfig's fields, sft and midtrain SFTConfig's.",
            "choices": METHODS,
        },
    )
    domain: str = field(
        default="swe",
        metadata={"help": "swe: agent trajectories; math: written solutions.", "choices": DOMAINS},
    )
    trajectories: str = field(
        default="",
        metadata={
            "help": "Expert data (as for `prepare`). Empty: the embedded corpus (data/corpus) or math "
            "step data (data/math) of the domain."
        },
    )
    dataset: str = field(
        default="",
        metadata={
            "help": "Prepared step data instead of --trajectories: `prepare`'s output folder, a hub "
            "dataset id, or .parquet/.jsonl rows in TRL's conversational prompt format (with a "
            "'target' or 'completion' column)."
        },
    )
    eval_trajectories: str = field(
        default="",
        metadata={
            "help": "Held-out expert data for the before/after evaluation. Empty: with the embedded "
            "data, its held-out split (SWE: repositories training never touches; math: validation); "
            "otherwise eval_fraction of the training steps."
        },
    )
    max_train_steps: int = field(
        default=0,
        metadata={
            "help": "Train on at most this many expert steps (whole trajectories, seeded pick; 0: all)."
        },
    )
    max_eval_steps: int = field(
        default=0, metadata={"help": "Score at most this many held-out steps (seeded pick; 0: all)."}
    )
    eval_fraction: float = field(
        default=0.2, metadata={"help": "Fraction of step examples held out for before/after evaluation."}
    )
    eval_max_new_tokens: int = field(
        default=0, metadata={"help": "Greedy decode length on held-out steps. 0: max_completion_length."}
    )
    max_prompt_tokens: int = field(
        default=2048, metadata={"help": "Token budget of one step prompt (system + problem + history)."}
    )
    eval_samples: int = field(
        default=0,
        metadata={
            "help": "Also score K answers per held-out step sampled at --temperature (the policy's "
            "expected step reward, what SRL optimises); 0: greedy scores only."
        },
    )
    eval_initial: bool = field(
        default=True,
        metadata={"help": "Score the model before training (off: a benchmark already scored the start)."},
    )
    eval_solutions: int = field(
        default=40,
        metadata={
            "help": "Math: held-out problems whose whole solution the model writes step after step "
            "(its own steps fed back), graded by the final answer with math-verify; picked evenly "
            "across the number of expert steps; final-answer accuracy before and after each phase. "
            "0: no task-level score. Without held-out problems (own --trajectories, no "
            "--eval-trajectories) the default scores nothing and says so."
        },
    )
    eval_solution_samples: int = field(
        default=0,
        metadata={"help": "Also K sampled solutions per problem at --temperature: avg@K and pass@K."},
    )
    eval_solution_max_steps: int = field(
        default=12, metadata={"help": "Steps one held-out solution may take before it counts as wrong."}
    )
    eval_resolve: int = field(
        default=0,
        metadata={
            "help": "SWE: held-out instances the model solves through the agent loop, graded in Docker "
            "by the evaluator (resolve rate before and after). 0: off. Without a reachable Docker "
            "engine the run goes on and reports the resolve rate as not measured."
        },
    )
    embedded_base: str = field(
        default="",
        metadata={
            "help": "With no --model: a midtrain preset file whose mid-trained base the run starts from, "
            "built by that preset on first use and cached (training.base_cache; the embedded presets "
            "name configs/train/embedded-<domain>-base.yaml). Empty: a randomly initialised tiny model."
        },
    )
    tiny_hidden_size: int = field(
        default=96,
        metadata={"help": "Width of the embedded tiny model (when --model and --embedded-base are empty)."},
    )
    tiny_layers: int = field(default=2, metadata={"help": "Decoder layers of the embedded tiny model."})
    warmup: bool = field(
        default=True, metadata={"help": "Run the SFT warm-up before RL (always on for the tiny model)."}
    )
    overwrite: bool = field(default=False, metadata={"help": "Replace OUT if it already exists."})
    resume: bool = field(
        default=False,
        metadata={
            "help": "Continue the run in OUT (its saved config) from its last finished phase/checkpoint."
        },
    )
    keep_optimizer_states: bool = field(
        default=False,
        metadata={"help": "Keep the optimizer states in a finished phase's checkpoints (off: dropped)."},
    )


@dataclass
class SFTWarmupConfig:
    """SFT warm-up (and the `sft` method): prompt -> think-then-act completion, loss on the completion.
    These set the SFT phase in every method; the other TrainingArguments fields come from the TRL config."""

    sft_learning_rate: float = field(
        default=1e-5, metadata={"help": "SFT learning rate (warm-up and --method sft)."}
    )
    sft_epochs: float = field(default=3.0, metadata={"help": "SFT epochs over the training steps."})
    sft_batch_size: int = field(default=8, metadata={"help": "SFT examples per device and step."})
    sft_max_steps: int = field(
        default=-1, metadata={"help": "Stop SFT after this many optimizer steps (-1: --sft-epochs)."}
    )
    sft_lr_scheduler_type: str = field(
        default="constant_with_warmup",
        metadata={
            "help": "SFT learning-rate schedule.",
            "choices": ["constant_with_warmup", "constant", "linear", "cosine", "warmup_stable_decay"],
        },
    )
    sft_warmup_steps: int = field(default=2, metadata={"help": "SFT learning-rate warmup steps."})
    warmup_format_target: float = field(
        default=-1.0,
        metadata={
            "help": "End the warm-up (not the sft method) as soon as greedy answers on "
            "--warmup-probe-steps training prompts have at most this format-error rate, checked every "
            "--warmup-check-steps optimizer steps; --sft-epochs is then the cap. Negative: no check."
        },
    )
    warmup_check_steps: int = field(
        default=10, metadata={"help": "Optimizer steps between two format checks of the warm-up."}
    )
    warmup_probe_steps: int = field(
        default=8, metadata={"help": "Training prompts the warm-up's format check answers."}
    )


@dataclass
class GRPOStepConfig:
    """What SRL adds to GRPOConfig: batches counted in prompts, and the validation split."""

    prompts_per_step: int = field(
        default=512,
        metadata={
            "help": "Prompts (groups of num_generations) per optimizer step of SRL and holistic "
            "(paper: 512); gradient_accumulation_steps follows unless given."
        },
    )
    rlvr_prompts_per_step: int = field(
        default=128, metadata={"help": "Prompts per step for RLVR (paper: 128)."}
    )
    trl_eval_prompts: int = field(
        default=0,
        metadata={
            "help": "Training steps set aside (seeded, never trained on) as the validation split TRL's "
            "periodic eval scores to keep the best checkpoint; 0: 5% of them; never more than a fifth "
            "of them. The before/after scores "
            "use the held-out steps, which never choose anything."
        },
    )
    keep_start_if_worse: bool = field(
        default=True,
        metadata={
            "help": "After each GRPO phase on steps, score the trained model and the phase's start "
            "greedily on the validation steps and keep the start unless the trained model scores "
            "higher (lower or tied: the start; TRL's best checkpoint is chosen by sampled reward, "
            "which can rise while the greedy answer breaks). Both scores go to summary.json; the "
            "held-out steps never choose."
        },
    )


@dataclass
class DynamicSamplingConfig:
    """Drop groups whose G rewards barely differ; refill the batch with other prompts."""

    dynamic_sampling: bool = field(default=True, metadata={"help": "Filter zero-spread groups and refill."})
    ds_epsilon: float = field(
        default=0.01,
        metadata={
            "help": "A group with reward std <= epsilon gives no gradient (continuous reward in [-1, 1])."
        },
    )
    ds_max_rounds: int = field(
        default=4, metadata={"help": "Extra generation rounds per step to refill the batch (bounded cost)."}
    )
    ds_oversample: float = field(
        default=2.0, metadata={"help": "An extra round samples this many prompts per missing group."}
    )


@dataclass
class SweRlvrConfig:
    """RLVR on SWE tasks: the policy acts in a Docker sandbox, the instance's tests give the reward."""

    rlvr_instances: str = field(
        default="",
        metadata={
            "help": "SWE-bench-format instances (.json/.jsonl) RLVR trains on; required for "
            "--method rlvr/srl-rlvr --domain swe."
        },
    )
    rlvr_repos: str = field(
        default="",
        metadata={
            "help": "Folder of the task repositories the instances need (owner__name clones or "
            ".bundle); required with --rlvr-image-source build."
        },
    )
    rlvr_image_source: str = field(
        default="build",
        metadata={
            "help": "build: instance images built offline from --rlvr-repos; swebench / swegym: "
            "the official per-instance images by name.",
            "choices": list(IMAGE_SOURCES),
        },
    )
    rlvr_max_turns: int = field(
        default=30,
        metadata={
            "help": "Most actions per rollout; it ends earlier at finish or at a malformed reply "
            "(max_completion_length bounds each reply)."
        },
    )
    rlvr_max_episode_tokens: int = field(
        default=16384,
        metadata={
            "help": "Most tokens of one rollout (prompt, replies and observations); the episode ends "
            "when the next turn would not fit (capped by the model's context)."
        },
    )
    rlvr_max_observation_chars: int = field(
        default=6000,
        metadata={"help": "Longer observations are cut (head and tail) before the policy sees them."},
    )
    rlvr_sandboxes: int = field(
        default=8,
        metadata={
            "help": "Rollouts run side by side, one Docker sandbox each (their turns are generated "
            "in one batch)."
        },
    )
    rlvr_test_timeout: int = field(
        default=600, metadata={"help": "Seconds the instance's tests may run when a rollout is graded."}
    )


@dataclass
class MidtrainConfig:
    """Mid-training (``--method midtrain``): causal-LM training on text with a warmup-stable-decay
    learning rate, one data mix for warmup + stable, another for the decay (training.midtrain)."""

    midtrain_stable_mix: str = field(
        default="",
        metadata={
            "help": "Sources of the warmup and stable phases, comma-separated, each SOURCE or "
            "SOURCE@WEIGHT: hub dataset id, .txt/.jsonl/.json/.parquet file, embedded:math, "
            "embedded:math-qa, embedded:swe, or steps:FILE.jsonl (each step of FILE's math records as "
            "the chat text SFT and SRL read). Empty: the embedded corpus of --domain."
        },
    )
    midtrain_decay_mix: str = field(
        default="",
        metadata={
            "help": "Sources of the decay phase (the chain-of-thought / question-answer mix), same "
            "form. Empty: embedded:math-qa (math) or a quarter of embedded:swe (swe)."
        },
    )
    midtrain_seq_len: int = field(default=256, metadata={"help": "Tokens per packed sequence."})
    midtrain_batch_size: int = field(default=8, metadata={"help": "Packed sequences per optimizer step."})
    midtrain_warmup_steps: int = field(default=5, metadata={"help": "Linear warmup steps."})
    midtrain_learning_rate: float = field(
        default=1e-3, metadata={"help": "Peak (stable-phase) learning rate of mid-training."}
    )
    midtrain_max_steps: int = field(
        default=0,
        metadata={"help": "Cap on optimizer steps, both phases shortened in proportion (0: one pass)."},
    )


@dataclass
class SRLArguments(
    MidtrainConfig, SweRlvrConfig, DynamicSamplingConfig, GRPOStepConfig, SFTWarmupConfig, RunConfig
):
    """The project's own arguments (TrlParser's first dataclass; the TRL config and ModelConfig follow)."""


SRLArguments._argument_group_name = "SRL and data (the project's arguments)"  # type: ignore[attr-defined]

# TrainConfig's own attributes beside the SRLArguments fields.
_INTERNAL = ("trl_values", "model_values", "other_values", "layers")


@dataclass
class TrainConfig(SRLArguments):
    """Everything `train` reads: the SRLArguments fields, plus the TRL config's and ModelConfig's
    values as given by the layers. A TRL or ModelConfig field reads through (``config.learning_rate``,
    ``config.num_generations``, ``config.seed``; ``config.model`` and ``config.out`` are
    ``model_name_or_path`` and ``output_dir``), with the TRL dataclass default when no layer set it;
    the TRL objects themselves are built per phase (:func:`grpo_training_args`,
    :func:`sft_training_args`)."""

    trl_values: dict[str, Any] = field(default_factory=dict, repr=False)  # fields of the method's TRL config
    model_values: dict[str, Any] = field(default_factory=dict, repr=False)  # ModelConfig fields
    other_values: dict[str, Any] = field(default_factory=dict, repr=False)  # the other TRL config's fields
    layers: list[tuple[str, dict[str, Any]]] = field(default_factory=list, repr=False)  # (source, values)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name in _INTERNAL:
            raise AttributeError(name)
        key = ALIASES.get(name, name)
        for values in (self.trl_values, self.model_values, self.other_values):
            if key in values:
                return _or_empty(name, values[key])
        defaults = trl_defaults(self.method)
        if key not in defaults:
            raise AttributeError(f"TrainConfig has no field {name}")
        return _or_empty(name, defaults[key])

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _INTERNAL or name in srl_field_names():
            object.__setattr__(self, name, value)
            return
        key = ALIASES.get(name, name)
        owner = self.model_values if key in model_field_names() else self.trl_values
        if key not in model_field_names() and key not in trl_field_names(self.method):
            owner = self.other_values
        owner[key] = value

    @property
    def trl_class_name(self) -> str:
        return trl_config_class(self.method).__name__

    def srl_arguments(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(SRLArguments)}

    def to_yaml(self) -> dict[str, Any]:
        """The resolved configuration as TRL-style YAML keys: every project field, and every TRL /
        ModelConfig value some layer set (the rest are the TRL defaults). Run-specific keys (the run
        folder, --overwrite, --resume) are left out, so ``--config`` on it starts the same run anew."""
        run_specific = {"overwrite", "resume", "output_dir"}
        values = {**self.srl_arguments(), **self.model_values, **self.trl_values, **self.other_values}
        return {k: _plain(v) for k, v in values.items() if k not in run_specific}

    def describe(self) -> list[str]:
        """The start-of-run block: the preset files, then every value taken from --config or a flag,
        and what the method does not use."""
        files = [source for source, _ in self.layers if source != "flags"]
        order = " < ".join([*files, "flags"])
        lines = [f"config   {order}   (later wins; {self.trl_class_name} for --method {self.method})"]
        presets = {_display(DEFAULTS_PRESET), _display(embedded_preset(self.domain))}
        other, by_sft = [], []
        for source, values in self.layers:
            if source in presets or not values:
                continue
            lines.append(f"  {source}: " + " ".join(f"{k}={_plain(v)}" for k, v in values.items()))
            other += [k for k in values if k in self.other_values and k not in READ_BY_EVERY_METHOD]
            by_sft += [k for k in values if self.method == "sft" and k in SFT_PHASE_FIELDS]
        if other:
            other_class = "GRPOConfig" if self._sft_method() else "SFTConfig"
            names = ", ".join(dict.fromkeys(other))
            lines.append(f"  not used by --method {self.method}: {names} ({other_class} fields)")
        if by_sft:
            names = ", ".join(f"{SFT_PHASE_FIELDS[k]} (not {k})" for k in dict.fromkeys(by_sft))
            lines.append(f"  --method sft trains with {names}")
        return lines

    def _sft_method(self) -> bool:
        return trl_config_class(self.method).__name__ == "SFTConfig"


def _or_empty(name: str, value: Any) -> Any:
    """``config.model`` and ``config.out`` are "" when unset (TRL's None)."""
    return "" if name in EMPTY_WHEN_UNSET and value is None else value


def _plain(value: Any) -> Any:
    """A YAML-safe value (TRL's enums by their value)."""
    from enum import Enum

    return value.value if isinstance(value, Enum) else value


def trl_config_class(method: str) -> type:
    """The TRL config of ``--method``: SFTConfig for sft and midtrain, GRPOConfig otherwise."""
    from trl import GRPOConfig, SFTConfig

    return SFTConfig if method in ("sft", "midtrain") else GRPOConfig


@functools.cache
def srl_field_names() -> frozenset[str]:
    return frozenset(f.name for f in dataclasses.fields(SRLArguments))


@functools.cache
def model_field_names() -> frozenset[str]:
    from trl import ModelConfig

    return frozenset(f.name for f in dataclasses.fields(ModelConfig) if f.init)


@functools.cache
def trl_field_names(method: str) -> frozenset[str]:
    return frozenset(f.name for f in dataclasses.fields(trl_config_class(method)) if f.init)


@functools.cache
def _all_trl_field_names() -> frozenset[str]:
    return trl_field_names("srl") | trl_field_names("sft")


def field_names() -> set[str]:
    """Every key a flag or YAML file may set (project, GRPOConfig, SFTConfig, ModelConfig, aliases)."""
    return set(srl_field_names() | model_field_names() | _all_trl_field_names() | set(ALIASES))


@functools.cache
def trl_defaults(method: str) -> dict[str, Any]:
    """Dataclass defaults of ModelConfig, the other TRL config, then the method's (which wins)."""
    from trl import ModelConfig

    other = "sft" if trl_config_class(method).__name__ == "GRPOConfig" else "srl"
    values: dict[str, Any] = {}
    for cls in (ModelConfig, trl_config_class(other), trl_config_class(method)):
        for f in dataclasses.fields(cls):
            if f.default is not dataclasses.MISSING:
                values[f.name] = f.default
            elif f.default_factory is not dataclasses.MISSING:  # type: ignore[misc]
                values[f.name] = f.default_factory()  # type: ignore[misc]
    return values


@functools.cache
def _type_hints(method: str) -> dict[str, Any]:
    from trl import ModelConfig

    hints: dict[str, Any] = {}
    other = "sft" if trl_config_class(method).__name__ == "GRPOConfig" else "srl"
    for cls in (ModelConfig, trl_config_class(other), trl_config_class(method), SRLArguments):
        hints.update(typing.get_type_hints(cls))
    return hints


def _scalar_type(hint: Any) -> tuple[type | None, bool]:
    """(int/float/bool/str or None for anything richer, whether None is allowed)."""
    args = typing.get_args(hint)
    optional = type(None) in args
    if args and typing.get_origin(hint) is not list and typing.get_origin(hint) is not dict:
        rest = [a for a in args if a is not type(None)]
        hint = rest[0] if len(rest) == 1 else None
    return (hint if hint in (int, float, bool, str) else None), optional


def normalise_keys(values: dict[str, Any], source: str) -> dict[str, Any]:
    """Dashes to underscores, aliases to TRL's names; an unknown key is one CliError line."""
    out = {ALIASES.get(k, k): v for k, v in ((str(k).replace("-", "_"), v) for k, v in values.items())}
    unknown = sorted(set(out) - field_names())
    if unknown:
        raise CliError(
            f"{source}: unknown key(s) {', '.join(unknown)} (not a field of the project, GRPOConfig, "
            "SFTConfig or ModelConfig; see train --help)"
        )
    return out


def read_yaml(path: str | Path) -> dict[str, Any]:
    """The mapping of a TRL-style YAML config file (its ``env:`` mapping is exported, as TrlParser
    does); unknown keys and unreadable files are a CliError."""
    import yaml

    file = Path(path)
    if not file.is_file():
        raise CliError(f"config file {path} does not exist")
    try:
        data = yaml.safe_load(file.read_text()) or {}
    except yaml.YAMLError as error:
        raise CliError(f"config file {path} is not valid YAML: {str(error).splitlines()[0]}") from None
    if not isinstance(data, dict):
        raise CliError(f"config file {path} must be a mapping of field: value")
    env = data.pop("env", None) or {}
    if not isinstance(env, dict):
        raise CliError(f"config file {path}: env must be a mapping of VARIABLE: value")
    for key, value in env.items():
        os.environ[str(key)] = str(value)
    return normalise_keys(data, f"config file {path}")


def _checked(name: str, value: Any, method: str) -> Any:
    """``value`` as the field's scalar type (an int where a float goes is fine); a CliError if not."""
    expected, optional = _scalar_type(_type_hints(method).get(name))
    if expected is None or (value is None and optional):
        return value
    if expected is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
        raise CliError(f"config field {name} must be {expected.__name__}, got {value!r}")
    return value


def _display(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def packaged_preset(model: str, domain: str) -> Path | None:
    """A packaged model's own CPU preset for the domain (``configs/train/NAME-DOMAIN.yaml``), if any."""
    from srl_trainer.model_sources import is_packaged

    path = PRESETS_DIR / f"{model}-{domain}.yaml"
    return path if is_packaged(model) and path.is_file() else None


def preset_layers(method: str, domain: str, model: str) -> list[tuple[str, dict[str, Any]]]:
    """The preset files that apply before --config and flags: the paper defaults, then without a model
    the embedded CPU preset of the domain, or for a packaged model its own preset when it has one."""
    files = [DEFAULTS_PRESET] + ([] if model else [embedded_preset(domain)])
    files += [preset] if model and (preset := packaged_preset(model, domain)) else []
    return [(_display(path), read_yaml(path)) for path in files]


def resolve_config(given: dict[str, Any]) -> TrainConfig:
    """Merge flags (``given``: only what the user typed, TRL or project names, with ``config``: the
    YAML file) over ``--config`` over the presets (:func:`preset_layers`)."""
    given = dict(given)
    config_file = given.pop("config", "") or ""
    given = normalise_keys(given, "flags")
    from_yaml = read_yaml(config_file) if config_file else {}
    first = {**from_yaml, **given}
    method, domain = first.get("method", "srl"), first.get("domain", "swe")
    if method not in METHODS:
        raise CliError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    if domain not in DOMAINS:
        raise CliError(f"unknown domain {domain!r}; choose one of {', '.join(DOMAINS)}")
    layers = preset_layers(method, domain, first.get("model_name_or_path") or "")
    if config_file:
        layers.append((str(config_file), from_yaml))
    layers.append(("flags", given))
    merged: dict[str, Any] = {}
    for _, values in layers:
        merged.update({k: _checked(k, v, method) for k, v in values.items()})
    parts: dict[str, dict[str, Any]] = {"srl": {}, "trl": {}, "model": {}, "other": {}}
    for key, value in merged.items():
        part = (
            "srl"
            if key in srl_field_names()
            else "model"
            if key in model_field_names()
            else "trl"
            if key in trl_field_names(method)
            else "other"
        )
        parts[part][key] = value
    config = TrainConfig(
        **parts["srl"],
        trl_values=parts["trl"],
        model_values=parts["model"],
        other_values=parts["other"],
        layers=layers,
    )
    validate(config)
    return config


def validate(config: TrainConfig) -> None:
    """Build the TRL objects the run will build, so a bad combination is one line before any work."""
    from trl import ModelConfig

    try:
        ModelConfig(**config.model_values)
    except (TypeError, ValueError) as error:
        raise CliError(f"invalid model arguments: {str(error).splitlines()[0]}") from None
    recipe = recipes.recipe_for(config.method, config.domain)
    if recipe.swe_rollouts:
        check_swe_rlvr(config)
    if recipe.midtrain:
        return
    sft_training_args(config, Path("unused"))
    if recipe.phases and (config.num_generations or 0) < 2:
        raise CliError("num_generations must be at least 2 (a group needs a spread)")
    for phase in recipe.phases:
        grpo_training_args(config, Path("unused"), phase.name, has_eval=not phase.swe_rollouts)


def _trl_object(cls: type, values: dict[str, Any]):
    """``cls(**values)`` with TRL's / transformers' validation errors as one CliError line. Pinned
    memory only speeds up copies to an accelerator: without one, torch warns at every DataLoader."""
    import torch

    values = {"dataloader_pin_memory": torch.cuda.is_available(), **values}
    colocated = values.get("use_vllm") and values.get("vllm_mode") == "colocate"
    if colocated and not values.get("use_cpu") and not torch.accelerator.is_available():
        # Checked here, not when vLLM fails to start: by then a paper preset has downloaded its 7B model.
        raise CliError(
            f"invalid {cls.__name__}: vllm_mode colocate runs vLLM on a GPU and none is visible (the paper "
            "presets are for GPU machines; --use_vllm false generates with transformers)"
        )
    if (values.get("bf16") or values.get("bf16_full_eval")) and not torch.accelerator.is_available():
        from srl_trainer.training.cpu import cpu_supports_bf16, no_bf16_message

        # No GPU: bf16 autocast on the CPU (transformers refuses bf16 without use_cpu), where the CPU
        # computes bf16 natively; emulated bf16 is no faster than fp32, so it is refused instead.
        if not cpu_supports_bf16():
            raise CliError(no_bf16_message(cls.__name__))
        values["use_cpu"] = True
    try:
        return cls(**values)
    except (TypeError, ValueError) as error:
        raise CliError(f"invalid {cls.__name__}: {str(error).strip().splitlines()[0]}") from None


def sft_training_args(config: TrainConfig, output_dir: Path):
    """SFTConfig of the SFT phase (the warm-up, or the whole of --method sft): the TRL config's fields
    SFTConfig shares, with the sft_* fields for rate, length and batch, and no checkpoints."""
    from trl import SFTConfig

    sft_fields = trl_field_names("sft")
    grpo_only = () if config._sft_method() else GRPO_CADENCE_FIELDS
    shared = {
        k: v
        for k, v in config.trl_values.items()
        if k in sft_fields and k not in SFT_PHASE_FIELDS and k not in grpo_only and k not in GRPO_PHASE_FIELDS
    }
    max_length = (
        config.trl_values.get("max_length") or config.max_prompt_tokens + config.max_completion_length
    )
    return _trl_object(
        SFTConfig,
        {
            **shared,
            **{trl_name: getattr(config, own) for trl_name, own in SFT_PHASE_FIELDS.items()},
            "output_dir": str(output_dir),
            "max_length": max_length,
            "save_strategy": "no",
            "eval_strategy": "no",
        },
    )


def grpo_training_args(config: TrainConfig, output_dir: Path, method: str, has_eval: bool):
    """GRPOConfig of the GRPO phase ``method`` (srl, rlvr or holistic): the parsed GRPOConfig values,
    with what SRL fills in: one optimizer step sees the phase's prompts per step (its recipe names the
    field), G completions each (``gradient_accumulation_steps`` follows, unless given), and the best
    checkpoint by validation reward when there is a validation split."""
    from trl import GRPOConfig

    values = dict(config.trl_values)
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if "gradient_accumulation_steps" not in values:
        prompts = recipes.grpo_phase_recipe(method, config.domain).prompts_per_step(config)
        completions = prompts * config.num_generations
        per_device = min(config.per_device_train_batch_size, completions // world) or 1
        if completions % (per_device * world):
            raise CliError(
                f"prompts_per_step x num_generations = {completions} must be a multiple of "
                f"per_device_train_batch_size x processes = {per_device * world}"
            )
        values["per_device_train_batch_size"] = per_device
        values["gradient_accumulation_steps"] = completions // (per_device * world)
    evaluate = has_eval and (config.eval_steps or 0) > 0
    if evaluate and config.save_steps % config.eval_steps:
        raise CliError("save_steps must be a multiple of eval_steps (best checkpoint by eval reward)")
    values.setdefault("per_device_eval_batch_size", config.num_generations)
    return _trl_object(
        GRPOConfig,
        {
            **values,
            "output_dir": str(output_dir),
            "eval_strategy": "steps" if evaluate else "no",
            "eval_steps": config.eval_steps if evaluate else None,
            "metric_for_best_model": "reward" if evaluate else None,
            "greater_is_better": True,
            "load_best_model_at_end": evaluate,
            "save_strategy": "steps",  # checkpoints are what --resume continues from
        },
    )


def check_swe_rlvr(config: TrainConfig) -> None:
    """RLVR on SWE needs instances (and, for built images, their repositories): one CliError line.
    With neither given, the embedded corpus's training instances and their rebuilt repositories."""
    if not config.rlvr_instances and not config.rlvr_repos and config.rlvr_image_source == "build":
        from srl_trainer.data.corpus import with_corpus_defaults

        config.rlvr_instances, config.rlvr_repos = with_corpus_defaults("", "", "train")
    if not config.rlvr_instances or (config.rlvr_image_source == "build" and not config.rlvr_repos):
        raise CliError(
            f"--method {config.method} --domain swe needs --rlvr-instances FILE (SWE-bench-format "
            "instances) and --rlvr-repos DIR (their task repositories)"
        )
    # Checked here, not when the RLVR phase starts: srl-rlvr would train SFT and SRL first.
    from srl_trainer.training.swe_rlvr import load_rlvr_instances

    load_rlvr_instances(config.rlvr_instances)
    if config.rlvr_image_source == "build" and not Path(config.rlvr_repos).is_dir():
        raise CliError(f"--rlvr-repos {config.rlvr_repos} is not a directory (their task repositories)")
    if config.use_vllm:
        raise CliError("rlvr --domain swe generates its rollouts with transformers; drop --use-vllm")
    if config.rlvr_max_turns < 1 or config.rlvr_sandboxes < 1:
        raise CliError("rlvr_max_turns and rlvr_sandboxes must be at least 1")


def process_rank() -> int:
    """This process's rank under ``accelerate launch``/torchrun (0 when run alone)."""
    return int(os.environ.get("RANK", "0"))


def use_cpu_for_cpu_processes() -> None:
    """Under a multi-process launch on a machine with no accelerator, tell accelerate to run the processes
    on the CPU (``ACCELERATE_USE_CPU``), before any TrainingArguments sets up the devices.

    accelerate 1.15 starts several local processes only through its torchrun path (``cpu_2proc.yaml``
    is MULTI_GPU with ``use_cpu: true``, ``fsdp_cpu_2proc.yaml`` is FSDP), and that path drops the
    config's ``use_cpu``: only its single-process launcher exports ``ACCELERATE_USE_CPU``. Without it,
    the PartialState that TrainingArguments builds finds no GPU, still starts the gloo process group,
    but reports DistributedType.NO: every process then trained the whole data set alone (the full SFT
    step count, the same losses as one process, its own console lines, transformers' "process group is
    initialized, but parallel_mode != ParallelMode.DISTRIBUTED" warning), and a GRPO phase's batch,
    split over WORLD_SIZE processes by :func:`grpo_training_args`, was half the global batch (or refused
    by GRPOConfig). With it, the processes are MULTI_CPU over gloo and train data parallel. One process
    is left as it is."""
    if int(os.environ.get("WORLD_SIZE", "1")) < 2:
        return
    import torch

    if not torch.accelerator.is_available():
        os.environ["ACCELERATE_USE_CPU"] = "true"
