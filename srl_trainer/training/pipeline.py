"""The training pipeline behind ``train``: step data -> (tiny base) -> SFT warm-up -> GRPO -> report.

Read top to bottom: :func:`load_examples` reads the expert data and builds step examples,
:func:`split_examples` holds some out, the ``*_dataset`` functions shape rows for TRL,
:func:`sft_phase` and :func:`grpo_phase` each run one TRL trainer, and :func:`run_training` strings
it all together into ``runs/NAME``, scoring held-out steps before and after every phase
(:func:`srl_trainer.evaluation.steps.evaluate_steps`).

Weights in the run folder: ``final/`` is their one copy, the last finished phase's, replaced when
the next phase finishes (so a phase boundary always has its start to resume from). A phase in
progress resumes from its TRL checkpoints (``<phase>/checkpoint-N``, at most ``save_total_limit``),
whose optimizer states are dropped once the phase is done unless ``keep_optimizer_states``. A
``--model`` is read from its path or hub id and recorded, never copied; so is the embedded default's
mid-trained base (:mod:`srl_trainer.training.base_cache`); only a random tiny model
(``--embedded-base ''``) is written into the run (``base/``).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from srl_trainer.data.stepwise import think_then_act
from srl_trainer.errors import CliError
from srl_trainer.evaluation.steps import evaluate_steps
from srl_trainer.training.config import (  # the TRL configs are built where they are parsed
    TrainConfig,
    grpo_training_args,
    process_rank,
    sft_training_args,
)
from srl_trainer.training.console import (
    counting_format_errors,
    is_verbose,
    plot_curves,
    quiet_libraries,
    take_over,
)
from srl_trainer.training.recipes import grpo_phase_recipe, recipe_for


def _nothing_fits(source: str, config: TrainConfig, skipped: int) -> CliError:
    """The one line for a source none of whose steps fits the prompt budget (checked before any
    model is built: a trainer would truncate every prompt into the target and train on nothing)."""
    return CliError(
        f"{source}: no step fits --max-prompt-tokens {config.max_prompt_tokens} ({skipped} step(s) "
        "skipped: the system prompt and the problem alone take more); raise --max-prompt-tokens"
    )


def _seeded_records(rows: list[Any], seed: int, limit: int, size) -> list[Any]:
    """Whole records picked in a seeded order until ``limit`` steps are in (all with limit 0)."""
    if not limit:
        return rows
    rows = list(rows)
    random.Random(seed).shuffle(rows)
    picked, steps = [], 0
    for row in rows:
        if steps >= limit:
            break
        picked.append(row)
        steps += size(row)
    return picked


def _step_rows(
    source: str, config: TrainConfig, tokenizer: Any, limit: int, role: str
) -> list[dict[str, Any]]:
    """Step examples (as rows) of ``source``; with ``limit``, whole records picked in a seeded order
    until that many steps are in (cheaper than building every example of a large corpus)."""
    from srl_trainer.data.sources import Source, no_usable_records, read_items
    from srl_trainer.data.stepwise import BudgetConfig, budget_error, build_step_examples, smallest_prompt

    smallest = smallest_prompt(tokenizer, config.domain)
    if config.max_prompt_tokens < smallest:  # before reading anything, let alone building a model
        raise CliError(budget_error(config.max_prompt_tokens, smallest, config.domain))
    items, _, skipped = read_items(Source(trajectories=source, domain=config.domain))
    if not items:
        raise no_usable_records(source, config.domain, skipped, f"--{role}/--domain")
    items = _seeded_records(items, config.seed, limit, lambda item: len(item.steps))
    budget = BudgetConfig(max_prompt_tokens=config.max_prompt_tokens)
    examples, stats = build_step_examples(items, tokenizer, budget)
    if not examples:
        raise _nothing_fits(source, config, stats.examples_skipped_over_budget)
    return [e.as_row() for e in examples][: limit or None]


def _dataset_rows(config: TrainConfig, tokenizer: Any) -> list[dict[str, Any]]:
    """Step rows of ``--dataset`` (prepare's output, a hub id, TRL-format parquet/jsonl); with
    ``max_train_steps``, whole records (rows of one instance) picked in a seeded order."""
    from collections import defaultdict

    from srl_trainer.data.step_dataset import load_step_rows

    rows, over_budget = load_step_rows(config.dataset, config.domain, tokenizer, config.max_prompt_tokens)
    if not rows:
        if over_budget:
            raise CliError(
                f"--dataset {config.dataset}: all {over_budget} prompts are longer than --max-prompt-tokens "
                f"{config.max_prompt_tokens}; raise it, or prepare the steps with the same "
                "--max-prompt-tokens (prepare cuts history to fit, train only skips)"
            )
        raise CliError(f"--dataset {config.dataset} has no rows")
    records: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        records[row["instance_id"]].append(row)
    picked = _seeded_records(list(records.values()), config.seed, config.max_train_steps, len)
    return [row for record in picked for row in record][: config.max_train_steps or None]


def load_examples(config: TrainConfig, tokenizer: Any) -> list[dict[str, Any]]:
    """Training step rows of ``--dataset`` (a prepared step dataset) or of ``--trajectories`` (raw
    expert data, built into steps here; the embedded data of the domain when neither is given)."""
    from srl_trainer.data.embedded import default_expert_data

    if config.dataset:
        if config.trajectories:
            raise CliError("pass --dataset (prepared steps) or --trajectories (raw expert data), not both")
        return _dataset_rows(config, tokenizer)
    source = config.trajectories or str(default_expert_data(config.domain))
    return _step_rows(source, config, tokenizer, config.max_train_steps, "trajectories")


def split_examples(rows: list[dict], fraction: float, seed: int) -> tuple[list[dict], list[dict]]:
    """(train, held_out): a seeded random ``fraction`` of the steps (at least one) is held out."""
    order = list(range(len(rows)))
    random.Random(seed).shuffle(order)
    held = max(1, round(fraction * len(rows)))
    held_set = set(order[:held])
    return [r for i, r in enumerate(rows) if i not in held_set], [rows[i] for i in sorted(held_set)]


def split_validation(config: TrainConfig, rows: list[dict]) -> tuple[list[dict], list[dict]]:
    """(train, validation): the steps TRL's periodic eval scores to keep the best checkpoint, set
    aside from the training steps (seeded). Choosing a checkpoint on the held-out steps that the
    before/after report scores would report a number the choice was fitted to."""
    # At most a fifth of the steps, so a small dataset still trains on most of what it has.
    count = min(config.trl_eval_prompts or max(1, round(0.05 * len(rows))), len(rows) // 5)
    if count < 1:
        raise CliError(
            f"{len(rows)} training step(s) are too few to set one aside for validation; add data "
            "or pass --eval-steps 0 (no checkpoint choice)"
        )
    train, validation = split_examples(rows, count / len(rows), config.seed + 1)
    return train, validation


def load_train_and_held_out(
    config: TrainConfig, tokenizer: Any
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(train, held_out) step rows. Held out: ``eval_trajectories``; with the embedded data and none
    given, its held-out split; otherwise a seeded ``eval_fraction`` of the training steps."""
    train = load_examples(config, tokenizer)
    eval_source = held_out_source(config)
    if eval_source:
        held_out = _step_rows(eval_source, config, tokenizer, 0, "eval-trajectories")
        if config.max_eval_steps:  # steps from every held-out record, not a few whole records
            count = min(config.max_eval_steps, len(held_out))
            picked = random.Random(config.seed).sample(range(len(held_out)), count)
            held_out = [held_out[i] for i in sorted(picked)]
    else:
        if len(train) < 2:
            raise CliError(f"only {len(train)} step example(s); need at least 2 (train + held-out)")
        train, held_out = split_examples(train, config.eval_fraction, config.seed)
        held_out = held_out[: config.max_eval_steps or None]
    if not train or not held_out:
        raise CliError("no step example left to train or evaluate on; check --max-prompt-tokens")
    return train, held_out


def sft_dataset(rows: list[dict]):
    """Prompt-completion conversational rows, so SFTTrainer puts the loss on the completion only.

    One row per expert step = the full trajectory with loss on every assistant turn, each turn
    seen with exactly the history that precedes it.
    """
    from datasets import Dataset

    return Dataset.from_list(
        [
            {
                "prompt": r["prompt"],
                "completion": [{"role": "assistant", "content": think_then_act(r["domain"], r["target"])}],
            }
            for r in rows
        ]
    )


def grpo_dataset(rows: list[dict], whole_problems: bool = False):
    """Rows for GRPOTrainer: the chat prompt plus the columns the reward reads. ``whole_problems``
    (the recipe's): step-0 rows only, where the policy writes the whole solution from the bare problem."""
    from datasets import Dataset

    if whole_problems:
        rows = [r for r in rows if r["step_index"] == 0]
    keep = ("prompt", "target", "solution", "answer", "domain", "instance_id", "step_index")
    return Dataset.from_list([{k: r[k] for k in keep} for r in rows])


class MetricsWriter:
    """Appends one JSON line per event to ``metrics.jsonl`` as it happens (nothing lost on a kill)."""

    def __init__(self, path: Path, enabled: bool = True):
        self.path = path
        self.enabled = enabled  # only rank 0 writes in a multi-process run

    def write(self, phase: str, record: dict[str, Any]) -> None:
        if not self.enabled:
            return
        with open(self.path, "a") as file:
            file.write(json.dumps({"phase": phase, **record}) + "\n")

    def callback(self, phase: str):
        from transformers import TrainerCallback

        writer = self

        class _LogToJsonl(TrainerCallback):
            def on_log(self, args, state, control, logs=None, **kwargs):
                if logs:
                    writer.write(phase, {"step": state.global_step, **logs})

        return _LogToJsonl()


def peft_config(config: TrainConfig):
    """LoRA from TRL's ModelConfig fields (``--use_peft --lora_r 16 ...``); None trains all weights."""
    if not config.use_peft:
        return None
    from peft import LoraConfig

    return LoraConfig(
        r=config.lora_r,
        lora_alpha=config.lora_alpha,
        lora_dropout=config.lora_dropout,
        target_modules=config.lora_target_modules or "all-linear",
        task_type="CAUSAL_LM",
    )


def format_check_callback(config: TrainConfig, tokenizer, probe: list[dict], metrics: MetricsWriter):
    """Stops the warm-up once greedy answers on ``probe`` are well-formed often enough: the warm-up's
    job is the think-then-act format, and every SFT step past that is time RL does not get."""
    from transformers import TrainerCallback

    max_new = config.eval_max_new_tokens or config.max_completion_length

    class _StopWhenFormatted(TrainerCallback):
        def on_step_end(self, args, state, control, model=None, **kwargs):
            if state.global_step % config.warmup_check_steps:
                return
            result = evaluate_steps(model, tokenizer, probe, config.domain, max_new)
            model.train()
            metrics.write("warmup_check", {"step": state.global_step, **result})
            if result["format_error_rate"] <= config.warmup_format_target:
                control.should_training_stop = True

    return _StopWhenFormatted()


def runs_sft(config: TrainConfig, recipe) -> bool:
    """The recipe trains SFT: the sft method, the warm-up when asked, or always from the tiny model."""
    return recipe.sft_only or config.warmup or not config.model


def _processes(world: int) -> str:
    return f" x {world} processes" if world > 1 else ""


def _sft_step_error(config: TrainConfig, recipe, rows: int, run_dir: Path) -> str:
    """Why the SFT phase cannot fill one optimizer step ("" when it can). The Trainer keeps a last
    partial batch (and accelerate evens batches across processes), so any row makes a step; only with
    ``dataloader_drop_last`` does one step take per-device batch x gradient accumulation x processes
    rows (GRPO's sampler always drops: :func:`_grpo_step_error`)."""
    args = sft_training_args(config, run_dir / "sft")
    batch, accumulation, world = (
        args.per_device_train_batch_size,
        args.gradient_accumulation_steps,
        args.world_size,
    )
    needed = batch * accumulation * world if args.dataloader_drop_last else 1
    if rows >= needed:
        return ""
    name = "sft" if recipe.sft_only else "sft warm-up"
    most = rows // (accumulation * world)
    fix = (
        f"lower --sft-batch-size to at most {most}"
        if most
        else "lower --gradient_accumulation_steps (or use fewer processes)"
    )
    return (
        f"{name}: {rows} training rows cannot fill one step of {needed} rows (--sft-batch-size {batch} "
        f"x gradient_accumulation_steps {accumulation}{_processes(world)}); {fix} or add data"
    )


def _grpo_step_error(config: TrainConfig, phase, rows: int, run_dir: Path) -> str:
    """Why GRPO phase ``phase`` cannot fill one optimizer step ("" when it can). TRL's sampler hands
    out whole generation batches of generation_batch_size / num_generations distinct prompts and
    drops a last incomplete one: with fewer rows the epoch is empty and the phase trains 0 steps.
    Dynamic sampling refills filtered groups from the same rows, so the static count is the bound."""
    args = grpo_training_args(config, run_dir / phase.name, phase.name, has_eval=False)
    needed = args.generation_batch_size // args.num_generations
    if rows >= needed:
        return ""
    what = (
        "instances"
        if phase.swe_rollouts
        else "training problems (step-0 rows)"
        if phase.whole_problems
        else "training rows"
    )
    if "gradient_accumulation_steps" in config.trl_values:  # the batch was given in completions
        how = (
            f"per_device_train_batch_size {args.per_device_train_batch_size} x "
            f"--gradient_accumulation_steps {args.gradient_accumulation_steps}"
            f"{_processes(args.world_size)} / num_generations {args.num_generations}"
        )
        fix = "lower --gradient_accumulation_steps"
    else:
        flag = "--" + phase.prompts_field.replace("_", "-")
        how = f"{flag} {phase.prompts_per_step(config)}"
        fix = f"lower {flag} to at most {rows}"
    return f"{phase.name}: {rows} {what} cannot fill one step of {needed} prompts ({how}); {fix} or add data"


def check_phases_fill_a_step(
    config: TrainConfig, recipe, train_rows: list[dict], done: list[str], run_dir: Path
) -> None:
    """Every phase still to run has data for at least one optimizer step (CliError naming the phase,
    the numbers and the flag otherwise), checked on the rows left after the validation split and
    --max-train-steps and before any model is loaded: a multi-phase run must not train SFT and then
    find that SRL has nothing to train on (TRL would run it for 0 steps and carry on)."""
    errors = []
    if runs_sft(config, recipe) and "sft" not in done:
        errors.append(_sft_step_error(config, recipe, len(train_rows), run_dir))
    for phase in recipe.phases:
        if phase.name in done:
            continue
        if phase.swe_rollouts:
            from srl_trainer.training.swe_rlvr import load_rlvr_instances

            rows = len(load_rlvr_instances(config.rlvr_instances))
        elif phase.whole_problems:
            rows = sum(1 for row in train_rows if row["step_index"] == 0)
        else:
            rows = len(train_rows)
        errors.append(_grpo_step_error(config, phase, rows, run_dir))
    first = next((error for error in errors if error), "")
    if first:
        raise CliError(first)


def _trained_nothing(phase: str, rows: int) -> CliError:
    """A phase that ended at step 0 (its data gave TRL no full batch): an error, never "done"."""
    return CliError(
        f"{phase}: TRL trained 0 optimizer steps on {rows} rows (not one full batch); stopping rather "
        "than keeping an untrained phase: lower the phase's batch (prompts per step, --sft-batch-size) "
        "or add data"
    )


def sft_phase(
    config: TrainConfig,
    model,
    tokenizer,
    rows: list[dict],
    run_dir: Path,
    metrics: MetricsWriter,
    warmup: bool = True,
):
    from trl import SFTTrainer

    callbacks = [metrics.callback("sft")]
    if warmup and config.warmup_format_target >= 0 and config.warmup_check_steps > 0:
        probe = rows[: config.warmup_probe_steps]
        callbacks.append(format_check_callback(config, tokenizer, probe, metrics))
    trainer = SFTTrainer(
        model=model,
        args=sft_training_args(config, run_dir / "sft"),
        train_dataset=sft_dataset(rows),
        processing_class=tokenizer,
        peft_config=peft_config(config),
        callbacks=callbacks,
    )
    take_over(trainer, "sft", is_verbose(config.log_level))
    trainer.train()
    if trainer.state.global_step == 0:
        raise _trained_nothing("sft", len(rows))
    return trainer.model


def grpo_phase(
    config: TrainConfig,
    model,
    tokenizer,
    rows: list[dict],
    validation: list[dict],
    method: str,
    run_dir: Path,
    metrics: MetricsWriter,
):
    """One GRPO run (srl, rlvr or holistic) with or without dynamic sampling; returns the trainer.
    ``validation``: the steps TRL's periodic eval scores (the best checkpoint is kept by them)."""
    from trl import GRPOTrainer

    from srl_trainer.training.dynamic_sampling import DynamicSamplingGRPOTrainer

    output_dir = run_dir / method
    phase = grpo_phase_recipe(method, config.domain)
    swe_rlvr = None
    if phase.swe_rollouts:
        # Instances, not steps: multi-turn rollouts in Docker, reward = the instance's tests pass.
        from srl_trainer.training.swe_rlvr import swe_rlvr_parts

        swe_rlvr = swe_rlvr_parts(config, tokenizer, run_dir, write_log=process_rank() == 0)
        train_dataset, eval_dataset, reward = swe_rlvr.dataset, None, swe_rlvr.reward
    else:
        train_dataset = grpo_dataset(rows, phase.whole_problems)
        reward = counting_format_errors(phase.reward)  # the console's "format errors"
        eval_dataset = grpo_dataset(validation, phase.whole_problems)
        eval_dataset = eval_dataset if len(eval_dataset) else None  # holistic/rlvr keep step-0 rows only
    args = grpo_training_args(config, output_dir, method, has_eval=eval_dataset is not None)
    kwargs = {
        "model": model,
        "reward_funcs": reward,
        "args": args,
        "train_dataset": train_dataset,
        "eval_dataset": eval_dataset,
        "processing_class": tokenizer,
        "peft_config": peft_config(config),
        "callbacks": [metrics.callback(method)],
        **({"rollout_func": swe_rlvr.rollout} if swe_rlvr else {}),
    }
    if config.dynamic_sampling:
        trainer = DynamicSamplingGRPOTrainer(
            epsilon=config.ds_epsilon,
            max_rounds=config.ds_max_rounds,
            oversample=config.ds_oversample,
            **kwargs,
        )
    else:
        trainer = GRPOTrainer(**kwargs)
    take_over(trainer, method, is_verbose(config.log_level))
    last = last_complete_checkpoint(output_dir) if config.resume else None
    try:
        trainer.train(resume_from_checkpoint=last)
    finally:
        if swe_rlvr is not None:
            swe_rlvr.close()  # the rollout and grading sandboxes
    if trainer.state.global_step == 0:
        raise _trained_nothing(method, len(train_dataset))
    return trainer


# The run's one copy of its weights: the last finished phase's, replaced when the next one finishes.
FINAL = "final"


def save_weights(model, tokenizer, folder: Path) -> None:
    """Model and tokenizer into ``folder``, replacing what it held; written beside it and renamed,
    so a kill mid-save leaves the previous weights whole (an interrupted save is never resumed from)."""
    staging = folder.with_name(f".{folder.name}.partial-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    model.save_pretrained(str(staging))
    tokenizer.save_pretrained(str(staging))
    previous = folder.with_name(f".{folder.name}.previous")
    shutil.rmtree(previous, ignore_errors=True)
    if folder.exists():
        folder.rename(previous)
    staging.rename(folder)
    shutil.rmtree(previous, ignore_errors=True)


# Optimizer state files and folders of a Trainer checkpoint (plain, FSDP, DeepSpeed ZeRO shards).
OPTIMIZER_STATES = ("optimizer.pt", "optimizer.bin", "optimizer_*", "global_step*")


def drop_optimizer_states(output_dir: Path) -> int:
    """Delete the optimizer states of a finished phase's checkpoints (twice the weights with Adam,
    and only resuming that phase reads them); the weights and trainer state stay. Bytes freed."""
    freed = 0
    for checkpoint in output_dir.glob("checkpoint-*"):
        for pattern in OPTIMIZER_STATES:
            for path in checkpoint.glob(pattern):
                files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
                freed += sum(f.stat().st_size for f in files)
                shutil.rmtree(path) if path.is_dir() else path.unlink()
    return freed


def last_complete_checkpoint(output_dir: Path) -> str | None:
    """The newest ``checkpoint-N`` of a phase that was saved whole, or None.

    Trainer writes a checkpoint's trainer_state.json last, so a folder without it is a save that
    an interrupt (Ctrl-C, SIGTERM, a kill) cut short: resuming from it would fail or lose state.
    """
    steps = {}
    for state in output_dir.glob("checkpoint-*/trainer_state.json"):
        suffix = state.parent.name.removeprefix("checkpoint-")
        if suffix.isdigit():
            steps[int(suffix)] = state.parent
    return str(steps[max(steps)]) if steps else None


def held_out_source(config: TrainConfig) -> str:
    """The held-out expert data: ``--eval-trajectories``, else with the embedded data its held-out
    split; "" when the user's own training data has no held-out file (steps are split off it)."""
    if config.eval_trajectories or config.trajectories or config.dataset:
        return config.eval_trajectories
    from srl_trainer.data.embedded import default_expert_data

    return str(default_expert_data(config.domain, "heldout"))


def _typed(config: TrainConfig, key: str) -> bool:
    """``key`` was set by --config or a flag of this command, not by a preset file (a resumed run's
    saved config is not the user asking again: its values are the presets' too)."""
    from srl_trainer.training.config import DEFAULTS_PRESET, embedded_preset

    presets = {path.resolve() for path in (DEFAULTS_PRESET, embedded_preset(config.domain))}
    given = [values for source, values in config.layers if Path(source).resolve() not in presets]
    return not config.resume and any(key in values for values in given)


def held_out_problems(config: TrainConfig) -> list:
    """The held-out math problems whose whole solutions ``--eval-solutions`` scores ([] when off).
    On by default for math; with training data of the user's own and no held-out file there is
    nothing to score: one line says so, and only an explicit --eval-solutions stops the run."""
    if not config.eval_solutions or config.domain != "math":
        return []
    from srl_trainer.data.sources import Source, no_usable_records, read_items
    from srl_trainer.evaluation.math_rollout import pick_problems

    source = held_out_source(config)
    if not source and not _typed(config, "eval_solutions"):
        if process_rank() == 0:
            print(
                "final-answer accuracy: not measured (no held-out problems; pass --eval-trajectories "
                "FILE to score whole solutions, or --eval-solutions 0 to silence this)",
                flush=True,
            )
        return []
    if not source:
        raise CliError("--eval-solutions needs held-out problems: pass --eval-trajectories FILE")
    items, _, skipped = read_items(Source(trajectories=source, domain="math"))
    if not items:
        raise no_usable_records(source, "math", skipped, "--eval-trajectories")
    return pick_problems(items, config.eval_solutions)


def docker_unreachable() -> str:
    """Why no Docker engine can be used ("" when one answers). The resolve rate is then reported as
    not measured instead of stopping the run: the README main job must run on a machine without
    Docker, and its step scores are still worth having."""
    from srl_trainer.engine import START_ENGINE, docker_client

    try:
        docker_client(f"{START_ENGINE} to score held-out instances").close()
    except CliError as error:
        return str(error)
    return ""


def task_scores(
    config: TrainConfig, model, tokenizer, problems: list, max_new: int, unmeasured: str = ""
) -> dict[str, Any]:
    """Task-level scores beside the step scores: whole math solutions, or SWE instances resolved
    (``unmeasured``: why the resolve rate cannot be measured, see :func:`docker_unreachable`)."""
    scores: dict[str, Any] = {}
    if problems:
        from srl_trainer.evaluation.math_rollout import model_solution_scores

        scores["solutions"] = model_solution_scores(
            model,
            tokenizer,
            problems,
            config.eval_solution_max_steps,
            max_new,
            samples=config.eval_solution_samples,
            temperature=config.temperature,
        )
    if config.eval_resolve and config.domain == "swe" and unmeasured:
        scores["resolve"] = {"not_measured": unmeasured}
    elif config.eval_resolve and config.domain == "swe":
        from agent.loop import AgentConfig
        from srl_trainer.evaluation.swe_resolve import resolve_rate

        scores["resolve"] = resolve_rate(
            model,
            tokenizer,
            count=config.eval_resolve,
            agent_config=AgentConfig(max_steps=config.rlvr_max_turns),
            max_new_tokens=max_new,
        )
    return scores


def check_model_loads(name: str) -> None:
    """Fail fast (one line) when --model is neither a loadable path nor a reachable hub id; offline,
    within seconds (:mod:`srl_trainer.hub`), not after the hub client's retries."""
    from transformers import AutoConfig

    from srl_trainer.hub import hub_error_line, is_local, offline_unless_reachable
    from srl_trainer.model_sources import is_packaged, local_model_path

    if is_packaged(name):
        local_model_path(name)  # found (or fetched) and converted now, before any data work
        return
    if not is_local(name):
        offline_unless_reachable()
    try:
        AutoConfig.from_pretrained(name)
    except Exception as error:  # OSError, ValueError, HF hub errors
        raise CliError(hub_error_line("model", name, error)) from None


def _read_jsonl(path: Path) -> list[dict]:
    return (
        [json.loads(line) for line in path.read_text().splitlines() if line.strip()] if path.exists() else []
    )


def run_training(
    config: TrainConfig, run_dir: Path, report: Callable[[str, dict], None] | None = None
) -> dict[str, Any]:
    """The whole run; returns the summary that is also written to ``run_dir/summary.json``.
    ``report(label, scores)``: called on rank 0 as each before/after evaluation finishes (the CLI
    prints the scores of each phase as it ends, not only in the final report)."""
    import torch
    import yaml

    from srl_trainer.model_sources import local_model_path, model_source
    from srl_trainer.models import build_tiny_model, load_model, tiny_model
    from srl_trainer.training.cpu import scoring_precision

    started = time.time()
    torch.manual_seed(config.seed)
    quiet_libraries(is_verbose(config.log_level))
    # Under `accelerate launch` every process runs this; only rank 0 writes the run folder.
    main = process_rank() == 0
    if main:
        run_dir.mkdir(parents=True, exist_ok=True)
        (run_dir / "config.yaml").write_text(yaml.safe_dump(config.to_yaml(), sort_keys=False))
    metrics = MetricsWriter(run_dir / "metrics.jsonl", enabled=main)
    summary_file = run_dir / "summary.json"
    recipe = recipe_for(config.method, config.domain)
    if recipe.midtrain:
        from srl_trainer.training.midtrain import run_midtraining

        return run_midtraining(config, run_dir, metrics)

    from transformers import AutoTokenizer

    from srl_trainer.data.embedded import default_tokenizer_dir

    # A packaged model's name (--model smollm2-135m-instruct) becomes its converted checkpoint folder.
    given_model = local_model_path(config.model) if config.model else ""
    # Data first (cheap, and an empty source fails before any model is built).
    tokenizer = AutoTokenizer.from_pretrained(given_model or str(default_tokenizer_dir()))
    train_rows, held_out = load_train_and_held_out(config, tokenizer)
    validation: list[dict] = []
    if recipe.phases and config.eval_steps > 0:
        train_rows, validation = split_validation(config, train_rows)
    summary: dict[str, Any] = {"phases_done": []}
    if config.resume and summary_file.exists():
        summary = json.loads(summary_file.read_text())
    check_phases_fill_a_step(config, recipe, train_rows, summary["phases_done"], run_dir)
    problems = held_out_problems(config)
    resolve_unmeasured = ""
    if config.eval_resolve and config.domain == "swe":
        resolve_unmeasured = docker_unreachable()
        if resolve_unmeasured:
            print(f"resolve rate: not measured: {resolve_unmeasured}", flush=True)
    base_dir = run_dir / "base"
    model_path = given_model or str(base_dir)
    if not config.model and config.embedded_base:
        from srl_trainer.training.base_cache import ensure_base

        # The embedded default starts from its mid-trained base (built once, then cached).
        model_path = str(ensure_base(config.embedded_base))
    tiny = {"seed": config.seed, "hidden_size": config.tiny_hidden_size, "layers": config.tiny_layers}
    if main and model_path == str(base_dir) and not (base_dir / "config.json").exists():
        build_tiny_model(base_dir, **tiny)
    done = summary["phases_done"]
    loading = {"dtype": config.dtype, "attn_implementation": config.attn_implementation}

    def load_start(path: str):
        # Other ranks build the same (seeded) tiny model in memory: rank 0 alone writes base/.
        if path == str(base_dir) and not main:
            return tiny_model(**tiny)
        return load_model(path, **loading)

    model, tokenizer = load_start(str(run_dir / FINAL) if done else model_path)
    source = model_source(model_path)  # where a packaged model's weights came from (source.json)
    summary.update(
        {
            "model": model_path,
            **({"model_name": config.model} if config.model and config.model != model_path else {}),
            **({"model_source": source} if source else {}),
            "train_steps": len(train_rows),
            "validation_steps": len(validation),
            "held_out_steps": len(held_out),
        }
    )
    max_new = config.eval_max_new_tokens or config.max_completion_length

    def save_summary() -> None:
        if main:
            summary_file.write_text(json.dumps(summary, indent=2) + "\n")

    # A fixed sample of training steps is scored too: on a tiny corpus it shows what RL changed on
    # the steps it trained on when nothing transfers to unseen steps.
    train_sample = train_rows[: min(max(len(held_out), 6), 16)]

    def evaluate(label: str) -> None:
        sampling = {"samples": config.eval_samples, "temperature": config.temperature}
        with scoring_precision(config.bf16):
            result = evaluate_steps(model, tokenizer, held_out, config.domain, max_new, **sampling)
            seen = evaluate_steps(model, tokenizer, train_sample, config.domain, max_new, **sampling)
            result.update(task_scores(config, model, tokenizer, problems, max_new, resolve_unmeasured))
        metrics.write("eval", {"label": label, **result, "train_sample": seen})
        summary[label] = {**result, "train_sample": seen}
        save_summary()
        if report is not None and main:
            report(label, summary[label])

    def validation_greedy(model) -> float:
        """Greedy mean step reward on the validation steps (the keep-the-start check)."""
        with scoring_precision(config.bf16):
            scores = evaluate_steps(model, tokenizer, validation, config.domain, max_new)
        return scores["mean_step_reward"]

    def finish_phase(name: str) -> None:
        # The phase's weights replace the previous phase's in final/ and the phase is marked done
        # before its scores: --resume after a kill then never repeats it, nor trains it twice.
        if main:
            save_weights(model, tokenizer, run_dir / FINAL)
        done.append(name)
        save_summary()
        if main and not config.keep_optimizer_states:
            drop_optimizer_states(run_dir / name)  # only resuming this (now finished) phase read them
        evaluate(f"after_{name}")

    if "initial" not in summary and config.eval_initial:
        evaluate("initial")
    if done and f"after_{done[-1]}" not in summary:  # killed while scoring its last finished phase
        evaluate(f"after_{done[-1]}")
    if runs_sft(config, recipe):
        if "sft" not in done:
            warmup = not recipe.sft_only
            model = sft_phase(config, model, tokenizer, train_rows, run_dir, metrics, warmup=warmup)
            finish_phase("sft")
    kept_score = None  # validation greedy score of the model in hand, when the last check measured it
    for method in (phase.name for phase in recipe.phases):
        if method in done:
            continue
        guard = (
            config.keep_start_if_worse
            and validation
            and not grpo_phase_recipe(method, config.domain).swe_rollouts
        )
        start_weights = str(run_dir / FINAL) if done else model_path
        # srl-rlvr: the SRL phase's check already scored the model RLVR starts from.
        start_score = (validation_greedy(model) if kept_score is None else kept_score) if guard else 0.0
        kept_score = None
        trainer = grpo_phase(config, model, tokenizer, train_rows, validation, method, run_dir, metrics)
        model = trainer.model
        summary["processes"] = trainer.accelerator.num_processes
        if hasattr(trainer, "ds_history"):
            summary[f"{method}_dynamic_sampling"] = [asdict(s) for s in trainer.ds_history]
        if guard:
            trained_score = validation_greedy(model)
            # A tie keeps the start, as transformers keeps the earlier of two equally good
            # checkpoints: nothing on the validation steps speaks for the trained weights then.
            kept = "trained" if trained_score > start_score else "start"
            summary[f"{method}_validation_greedy"] = {
                "start": start_score,
                "trained": trained_score,
                "kept": kept,
            }
            if kept == "start":
                print(
                    f"{method}: greedy step reward on the validation steps {trained_score:+.3f} after "
                    f"training, {start_score:+.3f} at its start: not higher, keeping the start "
                    "(--keep_start_if_worse false keeps the trained model)",
                    flush=True,
                )
                model, tokenizer = load_start(start_weights)
            kept_score = max(start_score, trained_score)
        finish_phase(method)
    summary["wall_seconds"] = round(time.time() - started, 1)
    if not main:
        return summary
    if not (run_dir / FINAL).is_dir():  # no phase ran (nothing to train): the start is the result
        save_weights(model, tokenizer, run_dir / FINAL)
    plot_curves(_read_jsonl(run_dir / "metrics.jsonl"), run_dir / "curves.png")  # every phase, resumed too
    summary["wall_seconds"] = round(time.time() - started, 1)
    save_summary()
    return summary
