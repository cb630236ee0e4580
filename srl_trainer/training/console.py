"""What a training run prints: one readable line per logged step under a progress bar.

TRL's raw log dicts go to ``metrics.jsonl`` only (:class:`srl_trainer.training.pipeline.MetricsWriter`);
the console gets, per logged optimizer step of a phase::

    srl   step   3/8    reward +0.365 ± 0.559   kept 100%   format errors 12%   lr 5.0e-04   4.1 s/step
    sft   step  25/190  loss 0.374   lr 1.5e-03   0.8 s/step

Harmless library noise is silenced where it starts, and only that: the loading/tokenizing progress bars
of transformers and datasets, the gradient-checkpointing FutureWarnings (the configs use transformers 5's
``activation_checkpointing`` name; TRL's reads of the old model property are filtered), torch's
``pin_memory`` warning on a machine without an accelerator (the
phase configs turn pinning off there, :mod:`srl_trainer.training.config`), and the Trainer's ``missing
keys ['lm_head.weight']`` line when it reloads a checkpoint of a model whose output layer is its tied
input embedding. ``--log_level info`` (or ``debug``) keeps all of it, and TRL's dicts on the console too.
"""

from __future__ import annotations

import functools
import logging
import time
import warnings
from collections.abc import Callable
from typing import Any

from srl_trainer.training.rewards import FORMAT_ERROR_REWARD

VERBOSE_LEVELS = ("info", "debug", "detail")
FORMAT_ERRORS = "format_errors"  # the metric :func:`counting_format_errors` logs


def is_verbose(log_level: str) -> bool:
    return str(log_level) in VERBOSE_LEVELS


def step_line(
    phase: str, step: int, max_steps: int, logs: dict[str, Any], seconds_per_step: float | None
) -> str:
    """The console line of one logged step (the fields the logs have, in a fixed order)."""
    width = len(str(max_steps or step))
    parts = [f"{phase:<5} step {step:>{width}}/{max_steps or '?'}"]
    if "reward" in logs:
        parts.append(f"reward {logs['reward']:+.3f} ± {logs.get('reward_std', 0.0):.3f}")
    elif "loss" in logs:
        parts.append(f"loss {logs['loss']:.4f}")
    if "dynamic_sampling/kept_fraction" in logs:
        parts.append(f"kept {logs['dynamic_sampling/kept_fraction']:.0%}")
    if FORMAT_ERRORS in logs:
        parts.append(f"format errors {logs[FORMAT_ERRORS]:.0%}")
    if "learning_rate" in logs:
        parts.append(f"lr {logs['learning_rate']:.1e}")
    if seconds_per_step is not None:
        parts.append(f"{seconds_per_step:.1f} s/step")
    return "   ".join(parts)


def eval_line(phase: str, step: int, logs: dict[str, Any]) -> str:
    """The line of TRL's periodic validation (the best checkpoint is chosen by its reward)."""
    reward = logs.get("eval_reward")
    shown = f"reward {reward:+.3f} ± {logs.get('eval_reward_std', 0.0):.3f}" if reward is not None else ""
    if not shown and "eval_loss" in logs:
        shown = f"loss {logs['eval_loss']:.4f}"
    return f"{phase:<5} validation at step {step}   {shown}".rstrip()


def console_callback(phase: str, verbose: bool = False):
    """A TrainerCallback: a progress bar over the phase's optimizer steps and :func:`step_line` per log."""
    from tqdm.auto import tqdm
    from transformers import TrainerCallback

    class _Console(TrainerCallback):
        def __init__(self):
            self.bar = None
            self.last_time = 0.0
            self.last_step = 0

        def on_train_begin(self, args, state, control, **kwargs):
            if state.is_world_process_zero:
                self.bar = tqdm(total=state.max_steps, initial=state.global_step, desc=phase, unit="step",
                                dynamic_ncols=True, leave=False)  # fmt: skip
            self.last_time, self.last_step = time.monotonic(), state.global_step

        def on_step_end(self, args, state, control, **kwargs):
            if self.bar is not None:
                self.bar.update(state.global_step - self.bar.n)

        def on_log(self, args, state, control, logs=None, **kwargs):
            if self.bar is None or not logs:
                return
            if verbose:
                self.bar.write(str(logs))
            if any(key.startswith("eval_") for key in logs):
                self.bar.write(eval_line(phase, state.global_step, logs))
            elif "train_runtime" in logs:  # the trainer's end-of-training summary
                self.bar.write(f"{phase:<5} done: {state.global_step} steps in {logs['train_runtime']:.0f} s")
            else:
                now, steps = time.monotonic(), state.global_step - self.last_step
                pace = (now - self.last_time) / steps if steps > 0 else None
                self.last_time, self.last_step = now, state.global_step
                self.bar.write(step_line(phase, state.global_step, state.max_steps, logs, pace))

        def on_train_end(self, args, state, control, **kwargs):
            if self.bar is not None:
                self.bar.close()
                self.bar = None

    return _Console()


def take_over(trainer, phase: str, verbose: bool = False) -> None:
    """Replace the Trainer's own console output (ProgressCallback's bar and dicts, or PrinterCallback's
    dicts) with :func:`console_callback`; quiet the tied-embedding reload line of this model."""
    from transformers.trainer_callback import PrinterCallback, ProgressCallback

    trainer.remove_callback(ProgressCallback)
    trainer.remove_callback(PrinterCallback)
    trainer.add_callback(console_callback(phase, verbose))
    if not verbose and getattr(trainer.model.config, "tie_word_embeddings", False):
        logging.getLogger("transformers.trainer").addFilter(_TIED_LM_HEAD)


class _TiedLmHeadFilter(logging.Filter):
    """Drops the Trainer's "missing keys ['lm_head.weight']" warning: with tied embeddings the output
    layer *is* the input embedding, saved once, so a reloaded checkpoint has no separate copy of it."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "missing keys in the checkpoint model loaded: ['lm_head.weight']" not in record.getMessage()


_TIED_LM_HEAD = _TiedLmHeadFilter()


def quiet_libraries(verbose: bool = False) -> None:
    """Turn off the loading / tokenizing progress bars of transformers and datasets (not the run's own),
    and the FutureWarning TRL 1.16 triggers at every generation step by reading transformers 5's
    deprecated ``model.is_gradient_checkpointing`` (TRL's code, nothing a run can change)."""
    if verbose:
        return
    import datasets
    from transformers.utils import logging as hf_logging

    datasets.disable_progress_bars()
    hf_logging.disable_progress_bar()
    warnings.filterwarnings(
        "ignore", message="`is_gradient_checkpointing` is deprecated", category=FutureWarning
    )


def counting_format_errors(reward: Callable[..., list[float]]) -> Callable[..., list[float]]:
    """``reward`` that also logs the fraction of malformed answers (reward -1) as ``format_errors``,
    through the ``log_metric`` hook TRL hands every reward function; the name stays the reward's."""

    @functools.wraps(reward)
    def wrapped(*args: Any, **kwargs: Any) -> list[float]:
        values = reward(*args, **kwargs)
        log_metric = kwargs.get("log_metric")
        scored = [v for v in values if v is not None]
        if log_metric is not None and scored:
            log_metric(FORMAT_ERRORS, sum(v == FORMAT_ERROR_REWARD for v in scored) / len(scored))
        return values

    return wrapped


def plot_curves(records: list[dict[str, Any]], path) -> None:
    """``curves.png`` from the run's metrics.jsonl records: SFT loss; GRPO reward per phase (all
    rollouts, kept groups, TRL's validation reward); dynamic sampling's kept and filled fractions; and
    the held-out mean step reward of every before/after evaluation. Panels without data are left out."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    def series(phase: str, key: str) -> list[tuple[float, float]]:
        return [(r["step"], r[key]) for r in records if r.get("phase") == phase and key in r and "step" in r]

    grpo_phases = list(dict.fromkeys(r["phase"] for r in records if "reward" in r and "phase" in r))
    evaluations = [r for r in records if r.get("phase") == "eval" and "mean_step_reward" in r]
    panels: list[tuple[str, str, list[tuple[str, list]]]] = []
    sft = series("sft", "loss")
    if sft:
        panels.append(("SFT loss", "optimizer step", [("loss", sft)]))
    lines = []
    for phase in grpo_phases:
        lines += [
            (f"{phase} reward (all rollouts)", series(phase, "reward")),
            (f"{phase} reward (kept groups)", series(phase, "dynamic_sampling/reward_mean_after")),
            (f"{phase} validation reward", series(phase, "eval_reward")),
        ]
    if any(points for _, points in lines):
        panels.append(("GRPO reward", "optimizer step of the phase", lines))
    fractions = []
    for phase in grpo_phases:
        fractions += [
            (f"{phase} kept fraction", series(phase, "dynamic_sampling/kept_fraction")),
            (f"{phase} filled fraction", series(phase, "dynamic_sampling/filled_fraction")),
        ]
    if any(points for _, points in fractions):
        panels.append(("fraction of groups", "optimizer step of the phase", fractions))
    if evaluations:
        held_out = [(r.get("label", str(i)), r["mean_step_reward"]) for i, r in enumerate(evaluations)]
        panels.append(("held-out mean step reward", "evaluation", [("greedy", held_out)]))
    if not panels:
        return
    fig, axes = plt.subplots(len(panels), 1, figsize=(7, 2.6 * len(panels)), squeeze=False)
    for axis, (ylabel, xlabel, drawn) in zip(axes[:, 0], panels, strict=True):
        for label, points in drawn:
            if points:
                axis.plot(*zip(*points, strict=True), marker="o", label=label)
        axis.set_ylabel(ylabel)
        axis.set_xlabel(xlabel)
        axis.grid(alpha=0.3)
        if axis.get_legend_handles_labels()[0]:
            axis.legend(loc="best", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
