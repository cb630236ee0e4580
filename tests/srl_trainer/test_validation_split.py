"""The best-checkpoint choice is made on a validation split, never on the scored held-out steps."""

from __future__ import annotations

import pytest

from srl_trainer.errors import CliError
from srl_trainer.training.config import resolve_config
from srl_trainer.training.pipeline import load_train_and_held_out, split_validation


def _key(row: dict) -> str:
    return f"{row['instance_id']}#{row['step_index']}"


def test_validation_steps_come_from_training_data_and_are_neither_trained_on_nor_scored(tokenizer):
    config = resolve_config({"max_train_steps": 60})
    rows, held_out = load_train_and_held_out(config, tokenizer)
    train, validation = split_validation(config, rows)
    assert len(validation) == config.trl_eval_prompts and len(train) + len(validation) == len(rows)
    assert not {_key(r) for r in validation} & {_key(r) for r in train}
    assert not {_key(r) for r in validation} & {_key(r) for r in held_out}
    again = split_validation(config, rows)[1]  # seeded: a resumed run sets aside the same steps
    assert [_key(r) for r in again] == [_key(r) for r in validation]


def test_a_small_training_set_spares_at_most_a_fifth_and_too_small_a_one_is_one_clear_error(tokenizer):
    config = resolve_config({"max_train_steps": 60, "trl_eval_prompts": 100})
    rows, _ = load_train_and_held_out(config, tokenizer)
    train, validation = split_validation(config, rows[:20])
    assert len(validation) == 4 and len(train) == 16
    with pytest.raises(CliError, match="--eval-steps 0"):
        split_validation(config, rows[:4])


def test_a_grpo_phase_that_lowers_the_validation_greedy_score_keeps_its_start(tmp_path):
    """A learning rate of 1.0 wrecks the policy in one step; the run keeps the SFT weights it
    started from, says so in summary.json, and final/ scores what the start scored."""
    import json

    from srl_trainer.cli import main

    tiny = ["--sft-epochs", "1", "--max-steps", "1", "--max-completion-length", "12"]
    tiny += ["--num-generations", "2", "--prompts-per-step", "2", "--per-device-batch-size", "4"]
    tiny += ["--ds-max-rounds", "0"]
    tiny += ["--max-train-steps", "40", "--max-eval-steps", "4", "--trl-eval-prompts", "4"]
    out = tmp_path / "run"
    args = ["train", "--domain", "math", "--out", str(out), *tiny, "--learning_rate", "1.0"]
    assert main(args) == 0
    check = json.loads((out / "summary.json").read_text())["srl_validation_greedy"]
    # only a higher validation score keeps the trained weights; lower or tied keeps the start
    assert check["kept"] == ("trained" if check["trained"] > check["start"] else "start")


def test_srl_rlvr_starts_its_rlvr_check_from_the_score_the_srl_check_kept(tmp_path):
    """The RLVR phase starts from the model the SRL phase's check kept; its check takes that model's
    score from the SRL check (the better of SRL's start and trained scores), not another one."""
    import json

    from srl_trainer.cli import main

    tiny = ["--sft-epochs", "1", "--max-steps", "2", "--max-completion-length", "12"]
    tiny += ["--num-generations", "2", "--prompts-per-step", "2", "--rlvr-prompts-per-step", "2"]
    tiny += ["--per-device-batch-size", "4", "--ds-max-rounds", "0"]
    tiny += ["--max-train-steps", "40", "--max-eval-steps", "4", "--trl-eval-prompts", "4"]
    out = tmp_path / "run"
    assert main(["train", "--method", "srl-rlvr", "--domain", "math", "--out", str(out), *tiny]) == 0
    summary = json.loads((out / "summary.json").read_text())
    srl, rlvr = summary["srl_validation_greedy"], summary["rlvr_validation_greedy"]
    assert rlvr["start"] == max(srl["start"], srl["trained"])
    assert srl["kept"] == ("trained" if srl["trained"] > srl["start"] else "start")
