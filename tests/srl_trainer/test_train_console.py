"""What `train` prints: one readable line per logged step, format errors counted from the rewards,
curves.png with every phase, and the narrow silencing of harmless library warnings."""

from __future__ import annotations

import logging

import pytest

from srl_trainer.cli.train import parse_train_args
from srl_trainer.training.console import (
    console_callback,
    counting_format_errors,
    eval_line,
    is_verbose,
    plot_curves,
    step_line,
    take_over,
)
from srl_trainer.training.rewards import math_step_similarity


def test_a_grpo_step_is_one_line_with_reward_kept_fraction_format_errors_lr_and_pace():
    logs = {"reward": 0.3651, "reward_std": 0.5592, "dynamic_sampling/kept_fraction": 0.75,
            "format_errors": 0.125, "learning_rate": 5e-4, "loss": "0.1"}  # fmt: skip
    assert step_line("srl", 3, 8, logs, 4.06) == (
        "srl   step 3/8   reward +0.365 ± 0.559   kept 75%   format errors 12%   lr 5.0e-04   4.1 s/step"
    )
    assert step_line("sft", 25, 190, {"loss": 0.37421, "learning_rate": 1.5e-3}, None) == (
        "sft   step  25/190   loss 0.3742   lr 1.5e-03"
    )
    assert eval_line("srl", 2, {"eval_reward": 0.41, "eval_reward_std": 0.2}) == (
        "srl   validation at step 2   reward +0.410 ± 0.200"
    )


def test_format_errors_are_logged_through_trls_log_metric_hook_and_the_reward_keeps_its_name():
    logged = {}
    reward = counting_format_errors(math_step_similarity)
    values = reward(
        prompts=["p", "p"],
        completions=["<think>\nadd\n</think>\nx = 2", "no think block"],
        target=["x = 2", "x = 2"],
        log_metric=lambda name, value: logged.update({name: value}),
    )
    assert reward.__name__ == "math_step_similarity" and values == [1.0, -1.0]
    assert logged == {"format_errors": 0.5}


def test_curves_show_sft_loss_grpo_reward_and_the_held_out_scores(tmp_path):
    records = [
        {"phase": "eval", "label": "initial", "mean_step_reward": 0.1},
        {"phase": "sft", "step": 1, "loss": 2.0},
        {"phase": "sft", "step": 2, "loss": 1.5},
        {"phase": "eval", "label": "after_sft", "mean_step_reward": 0.3},
        {"phase": "srl", "step": 1, "reward": 0.2, "dynamic_sampling/kept_fraction": 0.5},
        {"phase": "srl", "step": 2, "eval_reward": 0.25},
        {"phase": "eval", "label": "after_srl", "mean_step_reward": 0.4},
    ]
    plot_curves(records, tmp_path / "curves.png")
    assert (tmp_path / "curves.png").stat().st_size > 0
    plot_curves([], tmp_path / "none.png")  # nothing logged: no empty figure
    assert not (tmp_path / "none.png").exists()


def test_the_tied_lm_head_reload_line_is_dropped_and_other_missing_keys_are_not(tmp_path):
    from transformers import Trainer, TrainingArguments

    from srl_trainer.models import build_tiny_model, load_model

    model, _ = load_model(str(build_tiny_model(tmp_path / "tiny", seed=0)))
    trainer = Trainer(model=model, args=TrainingArguments(output_dir=str(tmp_path / "out"), report_to="none"))
    take_over(trainer, "sft")
    names = [type(c).__name__ for c in trainer.callback_handler.callbacks]
    assert "ProgressCallback" not in names and "PrinterCallback" not in names
    logger, seen = logging.getLogger("transformers.trainer"), []
    handler = logging.Handler()
    handler.emit = lambda record: seen.append(record.getMessage())  # transformers' loggers do not propagate
    logger.addHandler(handler)
    try:
        logger.warning("There were missing keys in the checkpoint model loaded: ['lm_head.weight'].")
        logger.warning("There were missing keys in the checkpoint model loaded: ['model.norm.weight'].")
    finally:
        logger.removeHandler(handler)
    assert seen == ["There were missing keys in the checkpoint model loaded: ['model.norm.weight']."]


@pytest.mark.parametrize("level, raw_dicts", [("passive", False), ("info", True)])
def test_log_level_info_also_prints_trls_dicts(level, raw_dicts, capsys):
    from transformers import TrainerControl, TrainerState

    config = parse_train_args(["--log-level", level])
    callback = console_callback("srl", is_verbose(config.log_level))
    state, control = TrainerState(max_steps=2, global_step=0), TrainerControl()
    callback.on_train_begin(None, state, control)
    state.global_step = 1
    callback.on_log(None, state, control, logs={"reward": 0.5, "reward_std": 0.1, "learning_rate": 1e-4})
    callback.on_train_end(None, state, control)
    printed = capsys.readouterr().out
    assert "srl   step 1/2   reward +0.500 ± 0.100   lr 1.0e-04" in printed
    assert ("{'reward': 0.5" in printed) is raw_dicts
