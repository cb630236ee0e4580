"""Configuration of ``train``: one dataclass per part, every field with help text the CLI reuses.

- :class:`RunConfig`: what to train (method, domain, model, data, output folder).
- :class:`SFTWarmupConfig`: the short SFT that teaches a fresh model the think-then-act format.
- :class:`GRPOStepConfig`: GRPO for SRL / RLVR / holistic (rollouts, lr, KL, lengths, cadence).
- :class:`DynamicSamplingConfig`: the filter that drops zero-spread groups and refills the batch.
- :class:`SweRlvrConfig`: RLVR on SWE instances (rollouts in Docker sandboxes, reward = tests pass).

Field defaults are the paper's settings for real models (lr 5e-7, G=8, 512 prompts per SRL batch,
KL 0, up to 30 epochs). With no ``--model`` the embedded tiny model is trained and
:data:`EMBEDDED_DEFAULTS` replaces the fields the user did not set (by flag or YAML). Precedence:
flag > YAML (``--config FILE``) > embedded default (tiny model only) > dataclass default.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from env.images import IMAGE_SOURCES
from srl_trainer.errors import CliError
from srl_trainer.training import recipes

# The --method / --domain choices: the rows of the recipe table.
METHODS = list(recipes.METHODS)
DOMAINS = list(recipes.DOMAINS)


@dataclass
class RunConfig:
    """What to train and where the run goes."""

    method: str = field(
        default="srl",
        metadata={
            "help": "srl: step-wise GRPO with step similarity; sft: SFT on full expert trajectories; "
            "rlvr: GRPO rewarded by the outcome (math: final answer correct; swe: the instance's tests "
            "pass on the patch of a multi-turn agent rollout in Docker, see --rlvr-instances); "
            "srl-rlvr: SRL, then RLVR from the SRL checkpoint; "
            "holistic: whole-solution similarity (ablation); "
            "midtrain: causal-LM mid-training on text with a warmup-stable-decay schedule, writing a "
            "base checkpoint for --model (see the --midtrain-* flags).",
            "choices": METHODS,
        },
    )
    domain: str = field(
        default="swe",
        metadata={"help": "swe: agent trajectories; math: written solutions.", "choices": DOMAINS},
    )
    model: str = field(
        default="",
        metadata={"help": "Causal LM path or hub id. Empty: build the embedded tiny Qwen2 model."},
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
    out: str = field(default="", metadata={"help": "Run folder. Empty: runs/<method>-<domain>."})
    config: str = field(
        default="",
        metadata={"help": "YAML file of field: value pairs (flags given on the command line win)."},
    )
    seed: int = field(default=0, metadata={"help": "Seed of data split, sampling and initialisation."})
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
        default=0,
        metadata={
            "help": "Math: held-out problems whose whole solution the model writes step after step "
            "(its own steps fed back), graded by the final answer with math-verify; picked evenly "
            "across the number of expert steps. 0: no task-level score."
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
    tiny_hidden_size: int = field(
        default=96, metadata={"help": "Width of the embedded tiny model (built when --model is empty)."}
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
    report_to: str = field(
        default="none", metadata={"help": "TRL/transformers report_to: none|tensorboard|wandb."}
    )
    bf16: bool = field(default=False, metadata={"help": "Train in bfloat16 (GPU)."})
    gradient_checkpointing: bool = field(default=False, metadata={"help": "Trade compute for memory."})
    lora_r: int = field(default=0, metadata={"help": "LoRA rank via peft; 0 trains all weights."})
    lora_alpha: int = field(default=32, metadata={"help": "LoRA alpha (with --lora-r)."})
    use_vllm: bool = field(
        default=False, metadata={"help": "Generate rollouts with vLLM (GPU, extra 'gpu')."}
    )
    vllm_mode: str = field(
        default="colocate",
        metadata={"help": "vLLM colocate or server (`trl vllm-serve`).", "choices": ["colocate", "server"]},
    )


@dataclass
class SFTWarmupConfig:
    """SFT warm-up (and the `sft` method): prompt -> think-then-act completion, loss on the completion."""

    sft_learning_rate: float = field(default=1e-5, metadata={"help": "SFT learning rate."})
    sft_epochs: float = field(default=3.0, metadata={"help": "SFT epochs over the training steps."})
    sft_batch_size: int = field(default=8, metadata={"help": "SFT examples per optimizer step."})
    sft_max_steps: int = field(
        default=-1, metadata={"help": "Stop SFT after this many optimizer steps (-1: --sft-epochs)."}
    )
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
    """GRPO (TRL GRPOTrainer) for srl, rlvr and holistic."""

    learning_rate: float = field(default=5e-7, metadata={"help": "RL learning rate (paper: 5e-7)."})
    num_generations: int = field(default=8, metadata={"help": "G: rollouts per prompt (paper: 8)."})
    trl_eval_prompts: int = field(
        default=0,
        metadata={
            "help": "Training steps set aside (seeded, never trained on) as the validation split TRL's "
            "periodic eval scores to keep the best checkpoint; 0: 5% of them. The before/after scores "
            "use the held-out steps, which never choose anything."
        },
    )
    prompts_per_step: int = field(
        default=512, metadata={"help": "Prompts (groups) per optimizer step (paper: 512 SRL, 128 RLVR)."}
    )
    rlvr_prompts_per_step: int = field(default=128, metadata={"help": "Prompts per step for RLVR."})
    per_device_batch_size: int = field(
        default=8,
        metadata={
            "help": "Completions per forward/backward micro-batch (gradient accumulation fills the step)."
        },
    )
    epochs: float = field(default=30.0, metadata={"help": "Epochs over the step data (paper: up to 30)."})
    max_steps: int = field(
        default=-1, metadata={"help": "Stop after this many optimizer steps (-1: epochs)."}
    )
    max_completion_length: int = field(default=1024, metadata={"help": "Tokens per rollout."})
    temperature: float = field(default=1.0, metadata={"help": "Sampling temperature of rollouts."})
    beta: float = field(default=0.0, metadata={"help": "KL coefficient (paper: 0)."})
    loss_type: str = field(
        default="dapo",
        metadata={"help": "TRL loss normalisation; dapo divides by the kept tokens of the batch."},
    )
    eval_steps: int = field(default=50, metadata={"help": "Evaluate held-out reward every N steps."})
    save_steps: int = field(
        default=50, metadata={"help": "Checkpoint every N steps (best by validation reward)."}
    )
    logging_steps: int = field(default=1, metadata={"help": "Log metrics every N steps."})
    save_total_limit: int = field(
        default=2, metadata={"help": "TRL checkpoints kept per phase (the best one is always among them)."}
    )
    keep_optimizer_states: bool = field(
        default=False,
        metadata={"help": "Keep the optimizer states in a finished phase's checkpoints (off: dropped)."},
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
            "choices": IMAGE_SOURCES,
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
            "embedded:math-qa or embedded:swe. Empty: the embedded corpus of --domain."
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
class TrainConfig(
    MidtrainConfig, SweRlvrConfig, DynamicSamplingConfig, GRPOStepConfig, SFTWarmupConfig, RunConfig
):
    """Everything `train` reads; flat so every field is one flag and one YAML key."""


# Small-model settings for the embedded default: CPU, 2 cores, minutes.
EMBEDDED_DEFAULTS: dict[str, Any] = {
    "learning_rate": 5e-4,  # 5e-5 left the tiny policy unchanged in 24 steps (benchmarks/RESULTS.md)
    "num_generations": 4,
    "prompts_per_step": 4,
    "rlvr_prompts_per_step": 4,
    "per_device_batch_size": 16,
    "epochs": 1.0,
    "max_steps": 8,
    "max_completion_length": 128,  # 98% of the corpus's actions fit, with the think block
    "temperature": 1.0,
    "eval_steps": 2,
    "eval_resolve": 4,  # task level beside the step scores: 4 held-out instances (Docker; ~1 min)
    "trl_eval_prompts": 8,  # validation steps set aside for the best-checkpoint choice
    "save_steps": 2,
    "max_prompt_tokens": 640,
    "sft_learning_rate": 3e-3,
    # The warm-up ends when 8 training prompts get well-formed greedy answers (20% errors at most);
    # on 2 CPU cores the tiny model gets there after ~100-150 steps of 8, so 10 epochs is only a cap.
    "sft_epochs": 10.0,
    "warmup_format_target": 0.2,
    "eval_samples": 4,
    "warmup_check_steps": 25,
    # A seeded slice of the corpus: enough to learn the format, small enough for 2 CPU cores.
    "max_train_steps": 160,
    "max_eval_steps": 32,
    "sft_batch_size": 8,
    "ds_max_rounds": 2,
    "rlvr_max_turns": 4,
    "rlvr_max_episode_tokens": 4096,  # the tiny model's context
}


def field_names(config_cls: type = TrainConfig) -> set[str]:
    return {f.name for f in dataclasses.fields(config_cls)}


def read_yaml(path: str) -> dict[str, Any]:
    """The mapping of a YAML config file; unknown keys and unreadable files are a CliError."""
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
    data = {str(k).replace("-", "_"): v for k, v in data.items()}
    unknown = sorted(set(data) - field_names())
    if unknown:
        raise CliError(f"config file {path}: unknown key(s) {', '.join(unknown)} (see train --help)")
    return data


def resolve_config(given: dict[str, Any]) -> TrainConfig:
    """Merge flags (``given``, only those the user typed) over YAML over embedded defaults."""
    from_yaml = read_yaml(given["config"]) if given.get("config") else {}
    merged = {**from_yaml, **given}
    if not merged.get("model"):
        merged = {**EMBEDDED_DEFAULTS, **merged}
    types = {f.name: f.type for f in dataclasses.fields(TrainConfig)}
    for name, value in merged.items():
        expected = {"int": int, "float": float, "bool": bool, "str": str}.get(str(types[name]))
        if expected is float and isinstance(value, int) and not isinstance(value, bool):
            merged[name] = float(value)
        elif expected is not None and not isinstance(value, expected):
            raise CliError(f"config field {name} must be {expected.__name__}, got {value!r}")
    config = TrainConfig(**merged)
    if config.method not in METHODS:
        raise CliError(f"unknown method {config.method!r}; choose one of {', '.join(METHODS)}")
    if config.domain not in DOMAINS:
        raise CliError(f"unknown domain {config.domain!r}; choose one of {', '.join(DOMAINS)}")
    if recipes.recipe_for(config.method, config.domain).swe_rollouts:
        check_swe_rlvr(config)
    if config.num_generations < 2:
        raise CliError("num_generations must be at least 2 (a group needs a spread)")
    return config


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
    if config.use_vllm:
        raise CliError("rlvr --domain swe generates its rollouts with transformers; drop --use-vllm")
    if config.rlvr_max_turns < 1 or config.rlvr_sandboxes < 1:
        raise CliError("rlvr_max_turns and rlvr_sandboxes must be at least 1")


def process_rank() -> int:
    """This process's rank under ``accelerate launch``/torchrun (0 when run alone)."""
    return int(os.environ.get("RANK", "0"))
