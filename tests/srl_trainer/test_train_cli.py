"""`train` command: configuration precedence, one-line errors, and a tiny end-to-end run."""

from __future__ import annotations

import json

import pytest

from srl_trainer.errors import CliError
from srl_trainer.swe import main
from srl_trainer.training.config import EMBEDDED_DEFAULTS, TrainConfig, resolve_config


def test_flags_win_over_yaml_and_yaml_over_embedded_defaults(tmp_path):
    config_file = tmp_path / "c.yaml"
    config_file.write_text("num_generations: 6\nlearning_rate: 1.0e-4\nds-epsilon: 0.05\n")
    config = resolve_config({"config": str(config_file), "num_generations": 3})
    assert config.num_generations == 3
    assert config.learning_rate == 1e-4 and config.ds_epsilon == 0.05
    assert config.max_completion_length == EMBEDDED_DEFAULTS["max_completion_length"]


def test_a_real_model_keeps_the_paper_defaults():
    config = resolve_config({"model": "some/model"})
    paper = TrainConfig()
    assert (config.learning_rate, config.num_generations, config.beta) == (5e-7, 8, 0.0)
    assert (config.prompts_per_step, config.rlvr_prompts_per_step, config.epochs) == (512, 128, 30.0)
    assert config.max_completion_length == paper.max_completion_length


def test_unknown_yaml_key_is_one_line_and_exit_1(tmp_path, capsys):
    config_file = tmp_path / "c.yaml"
    config_file.write_text("num_generation: 4\n")
    assert main(["train", "--config", str(config_file)]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "unknown key(s) num_generation" in err


def test_wrong_type_in_yaml_is_a_cli_error(tmp_path):
    config_file = tmp_path / "c.yaml"
    config_file.write_text("num_generations: many\n")
    with pytest.raises(CliError, match="num_generations must be int"):
        resolve_config({"config": str(config_file)})


@pytest.mark.parametrize("flag", [["--method", "dpo"], ["--domain", "chess"]])
def test_unknown_method_or_domain_exits_1(flag, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["train", *flag])
    assert exit_info.value.code == 1
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_dynamic_sampling_is_allowed_with_several_processes(monkeypatch):
    monkeypatch.setenv("WORLD_SIZE", "2")  # the real 2-process run is in test_train_launch.py
    assert resolve_config({}).dynamic_sampling
    assert not resolve_config({"dynamic_sampling": False}).dynamic_sampling


def test_model_path_that_does_not_load_exits_1_before_work(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "--model", str(tmp_path / "nope"), "--out", str(out)]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "cannot load model" in err
    assert not out.exists()


def test_empty_dataset_exits_1(tmp_path, capsys):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    assert (
        main(["train", "--domain", "math", "--trajectories", str(empty), "--out", str(tmp_path / "r")]) == 1
    )
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "no usable math record" in err


def test_scale_flags_reach_the_trl_configs(tmp_path):
    from srl_trainer.training.pipeline import grpo_training_args, peft_config, sft_training_args

    config = resolve_config(
        {"model": "m", "lora_r": 8, "report_to": "tensorboard", "use_vllm": True, "vllm_mode": "server"}
    )
    grpo = grpo_training_args(config, tmp_path, "srl", has_eval=False)
    assert grpo.use_vllm and grpo.vllm_mode == "server" and grpo.report_to == ["tensorboard"]
    assert (grpo.num_generations, grpo.beta, grpo.learning_rate) == (8, 0.0, 5e-7)
    assert grpo.per_device_train_batch_size * grpo.gradient_accumulation_steps == 512 * 8
    assert grpo_training_args(config, tmp_path, "rlvr", has_eval=False).gradient_accumulation_steps == 128
    assert peft_config(config).r == 8
    assert sft_training_args(config, tmp_path).learning_rate == config.sft_learning_rate


def test_tiny_math_srl_run_writes_the_run_folder(tmp_path, capsys):
    out = tmp_path / "run"
    args = ["train", "--domain", "math", "--out", str(out), "--sft-epochs", "1", "--max-steps", "1"]
    args += ["--max-completion-length", "12", "--num-generations", "2", "--prompts-per-step", "2"]
    args += ["--per-device-batch-size", "4", "--ds-max-rounds", "1"]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "initial" in printed and "after srl" in printed and "format errors" in printed
    for name in ("final/config.json", "metrics.jsonl", "config.yaml", "summary.json", "curves.png"):
        assert (out / name).exists(), name
    records = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert {r["phase"] for r in records} >= {"eval", "sft", "srl"}
    assert any("dynamic_sampling/kept_fraction" in r for r in records)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["after_srl"]["examples"] == summary["held_out_steps"] >= 1


def test_warmup_stops_once_the_format_check_passes_and_sft_method_ignores_it(tmp_path):
    small = ["--domain", "math", "--max-train-steps", "16", "--max-eval-steps", "2", "--sft-batch-size", "4"]
    check = ["--sft-epochs", "3", "--warmup-format-target", "1.0", "--warmup-check-steps", "2"]
    # Target 1.0 is met by any answer: the warm-up (12 steps at most) ends at the first check.
    out = tmp_path / "warm"
    assert main(["train", "--out", str(out), *small, *check, "--max-steps", "1", "--num-generations", "2",
                 "--prompts-per-step", "2", "--per-device-batch-size", "4", "--max-completion-length", "8",
                 "--ds-max-rounds", "1", "--eval-samples", "2"]) == 0  # fmt: skip
    summary = json.loads((out / "summary.json").read_text())
    for label in ("initial", "after_sft", "after_srl"):  # greedy and sampled scores of the same steps
        assert summary[label]["samples_per_step"] == 2
        assert -1.0 <= summary[label]["sampled_mean_step_reward"] <= 1.0
    records = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    checks = [r for r in records if r["phase"] == "warmup_check"]
    assert [c["step"] for c in checks] == [2] and 0.0 <= checks[0]["format_error_rate"] <= 1.0
    assert max(r["step"] for r in records if r["phase"] == "sft") == 2
    # The sft method is the baseline, not a warm-up: it trains every epoch.
    out = tmp_path / "sft"
    assert main(["train", "--method", "sft", "--out", str(out), *small, *check]) == 0
    records = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert not [r for r in records if r["phase"] == "warmup_check"]
    assert max(r["step"] for r in records if r["phase"] == "sft") == 12
