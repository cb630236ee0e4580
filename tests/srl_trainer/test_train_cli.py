"""`train` command: TRL's parser (TRL and project spellings, TRL-style YAML), presets as files,
configuration precedence, one-line errors, --help choices, and tiny end-to-end runs."""

from __future__ import annotations

import json
import re

import pytest

from srl_trainer.cli.train import parse_train_args
from srl_trainer.errors import CliError
from srl_trainer.swe import main
from srl_trainer.training.config import (
    PRESETS_DIR,
    embedded_preset,
    grpo_training_args,
    read_yaml,
    resolve_config,
    sft_training_args,
)

EMBEDDED = read_yaml(embedded_preset("swe"))


def test_flags_win_over_yaml_and_yaml_over_embedded_defaults(tmp_path):
    config_file = tmp_path / "c.yaml"
    config_file.write_text("num_generations: 6\nlearning_rate: 1.0e-4\nds-epsilon: 0.05\n")
    config = resolve_config({"config": str(config_file), "num_generations": 3})
    assert config.num_generations == 3
    assert config.learning_rate == 1e-4 and config.ds_epsilon == 0.05
    assert config.max_completion_length == EMBEDDED["max_completion_length"]


def test_a_real_model_keeps_the_paper_defaults_where_trl_differs():
    config = resolve_config({"model": "some/model"})
    assert (config.learning_rate, config.num_generations, config.beta) == (5e-7, 8, 0.0)
    assert (config.prompts_per_step, config.rlvr_prompts_per_step, config.num_train_epochs) == (
        512,
        128,
        30.0,
    )
    assert (config.max_completion_length, config.seed, config.save_steps) == (1024, 0, 50)
    assert config.describe()[0].startswith("config   configs/train/defaults.yaml < flags")


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
    from srl_trainer.training.pipeline import peft_config

    config = resolve_config(
        {"model": "m", "use_peft": True, "lora_r": 8, "report_to": "tensorboard", "use_vllm": True,
         "vllm_mode": "server"}
    )  # fmt: skip
    grpo = grpo_training_args(config, tmp_path, "srl", has_eval=False)
    assert grpo.use_vllm and grpo.vllm_mode == "server" and grpo.report_to == ["tensorboard"]
    assert (grpo.num_generations, grpo.beta, grpo.learning_rate) == (8, 0.0, 5e-7)
    assert grpo.per_device_train_batch_size * grpo.gradient_accumulation_steps == 512 * 8
    assert grpo_training_args(config, tmp_path, "rlvr", has_eval=False).gradient_accumulation_steps == 128
    assert peft_config(config).r == 8
    assert sft_training_args(config, tmp_path).learning_rate == config.sft_learning_rate


def test_tiny_math_srl_run_writes_the_run_folder_prints_step_lines_and_tensorboard_events(tmp_path, capsys):
    out = tmp_path / "run"
    args = ["train", "--domain", "math", "--out", str(out), "--sft-epochs", "1", "--max-steps", "1"]
    args += ["--max-completion-length", "12", "--num-generations", "2", "--prompts-per-step", "2"]
    args += ["--per_device_train_batch_size", "4", "--ds-max-rounds", "1", "--report_to", "tensorboard"]
    assert main(args) == 0
    printed = capsys.readouterr().out
    # One readable line per logged step; TRL's raw dicts only in metrics.jsonl.
    assert re.search(r"^srl   step 1/1   reward [+-]\d\.\d{3} ± \d\.\d{3}   kept \d+%   format errors \d+%   "
                     r"lr \d\.\de-\d\d   \d+\.\d s/step$", printed, re.M), printed  # fmt: skip
    assert re.search(r"^sft   step +\d+/\d+   loss \d", printed, re.M) and "{'" not in printed
    assert list((out / "srl").rglob("events.out.tfevents.*")) and list(
        (out / "sft").rglob("events.out.tfevents.*")
    )
    assert "config   configs/train/defaults.yaml < configs/train/embedded-math.yaml < flags" in printed
    assert "initial" in printed and "after srl" in printed and "format errors" in printed
    for name in ("final/config.json", "metrics.jsonl", "config.yaml", "summary.json", "curves.png"):
        assert (out / name).exists(), name
    records = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert {r["phase"] for r in records} >= {"eval", "sft", "srl"}
    assert any("dynamic_sampling/kept_fraction" in r and "format_errors" in r for r in records)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["after_srl"]["examples"] == summary["held_out_steps"] >= 1
    # Final-answer accuracy on held-out problems by default, before and after every phase, printed
    # under each phase's step scores as it ends and in the final report.
    for label in ("initial", "after_sft", "after_srl"):
        solutions = summary[label]["solutions"]
        assert solutions["problems"] == 40 and 0.0 <= solutions["greedy_accuracy"] <= 1.0
    accuracy = r"^ +final-answer accuracy \d+% greedy \(\d+/40 held-out problems\)$"
    accuracy = re.findall(accuracy, printed, re.M)
    assert len(accuracy) == 6, printed  # 3 evaluations, each printed as it ends and again at the end
    # The resolved config is a TRL-style YAML: rerun with it resolves to the same configuration.
    saved = read_yaml(out / "config.yaml")
    assert saved["max_steps"] == 1 and saved["per_device_train_batch_size"] == 4 and "output_dir" not in saved
    again = parse_train_args(["--config", str(out / "config.yaml")])
    assert again.to_yaml() == saved


def test_warmup_stops_once_the_format_check_passes_and_sft_method_ignores_it(tmp_path):
    small = ["--domain", "math", "--max-train-steps", "16", "--max-eval-steps", "2", "--sft-batch-size", "4"]
    check = ["--sft-epochs", "3", "--warmup-format-target", "1.0", "--warmup-check-steps", "2"]
    # Target 1.0 is met by any answer: the warm-up (12 steps at most) ends at the first check.
    out = tmp_path / "warm"
    assert main(["train", "--out", str(out), *small, *check, "--max-steps", "1", "--num-generations", "2",
                 "--prompts-per-step", "2", "--per_device_train_batch_size", "4", "--max-completion-length",
                 "8", "--ds-max-rounds", "1", "--eval-samples", "2"]) == 0  # fmt: skip
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


def test_trl_and_project_arguments_parse_in_both_spellings():
    config = parse_train_args(
        ["--num_generations", "2", "--num-train-epochs", "2", "--max_train_steps", "5", "--max-eval-steps",
         "3", "--lr_scheduler_type", "cosine", "--weight-decay", "0.1", "--max_grad_norm", "0.5",
         "--no-warmup"]
    )  # fmt: skip
    assert (config.num_generations, config.num_train_epochs) == (2, 2.0)
    assert (config.max_train_steps, config.max_eval_steps, config.warmup) == (5, 3, False)
    grpo = grpo_training_args(config, PRESETS_DIR, "srl", has_eval=False)
    assert (grpo.lr_scheduler_type.value, grpo.weight_decay, grpo.max_grad_norm) == ("cosine", 0.1, 0.5)


def test_a_grpo_config_style_yaml_runs_through_trl_fields(tmp_path):
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(
        "learning_rate: 1.0e-5\nnum_generations: 4\nper_device_train_batch_size: 4\n"
        "gradient_accumulation_steps: 3\nnum_train_epochs: 2\nmax_prompt_length: 512\nweight_decay: 0.1\n"
        "env:\n  SRL_TEST_RECIPE_ENV: set\n"
    )
    config = parse_train_args(["--config", str(recipe), "--max_steps", "3"])
    assert (config.learning_rate, config.max_prompt_tokens, config.max_steps) == (1e-5, 512, 3)
    grpo = grpo_training_args(config, tmp_path, "srl", has_eval=False)
    # An accumulation the recipe gives wins over prompts_per_step.
    assert (grpo.per_device_train_batch_size, grpo.gradient_accumulation_steps) == (4, 3)
    assert grpo.weight_decay == 0.1 and grpo.num_train_epochs == 2.0
    import os

    assert os.environ.pop("SRL_TEST_RECIPE_ENV") == "set"
    assert any(line.startswith(f"  {recipe}: learning_rate=1e-05") for line in config.describe())


def test_keys_of_the_other_trl_config_are_kept_but_listed_as_not_used(tmp_path):
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text("method: sft\nnum_generations: 4\nlearning_rate: 0.1\nsft_learning_rate: 0.002\n")
    config = parse_train_args(["--config", str(recipe)])
    assert config.trl_class_name == "SFTConfig" and config.num_generations == 4
    sft = sft_training_args(config, tmp_path)
    assert sft.learning_rate == 0.002  # the SFT phase's rate is sft_learning_rate
    shown = config.describe()
    assert "  not used by --method sft: num_generations (GRPOConfig fields)" in shown
    assert "  --method sft trains with sft_learning_rate (not learning_rate)" in shown


@pytest.mark.parametrize(
    "argv, expected",
    [
        (["--num_generation", "4"], "unrecognized arguments: --num_generation 4"),
        (["--method", "sft", "--num_generations", "4"], "takes SFTConfig's fields, not GRPOConfig's"),
    ],
)
def test_unknown_or_other_method_flag_is_one_line_and_exit_1(argv, expected, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["train", *argv])
    assert exit_info.value.code == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and expected in err


def test_an_invalid_trl_combination_is_one_line_before_any_work(capsys):
    assert main(["train", "--bf16", "--fp16"]) == 1  # `--bf16` alone means true
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("error: invalid SFTConfig: ")


def test_help_lists_choices_instead_of_placeholders(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["train", "--help"])
    assert exit_info.value.code == 0
    shown = capsys.readouterr().out
    for flag in (
        "--method {srl,sft,rlvr,srl-rlvr,holistic,midtrain}",
        "--domain {swe,math}",
        "--rlvr_image_source {build,swebench,swegym}",
        "--sft_lr_scheduler_type {constant_with_warmup,",
        "--lr_scheduler_type {linear,",
        "--vllm_mode {colocate,server}",
        "--loss_type {grpo,bnpo,dr_grpo,dapo,",
    ):
        assert flag in shown, flag
    assert "--num_generations NUM_GENERATIONS, --num-generations" in shown  # GRPOConfig's, TRL's spelling
    assert "(default: 5e-07)" in shown  # the paper's learning rate, not TRL's 1e-6
    assert "METHOD " not in shown.split("usage:")[1].split("\n")[0]


def test_presets_are_files_and_no_model_applies_the_embedded_one():
    names = sorted(p.name for p in PRESETS_DIR.glob("*.yaml"))
    assert {
        "defaults.yaml",
        "embedded-swe.yaml",
        "embedded-math.yaml",
        "paper-swe.yaml",
        "paper-math.yaml",
    } <= set(names)
    config = parse_train_args([])
    for key, value in EMBEDDED.items():
        assert getattr(config, key) == value, key
    assert config.describe() == [
        "config   configs/train/defaults.yaml < configs/train/embedded-swe.yaml < flags   "
        "(later wins; GRPOConfig for --method srl)"
    ]


def test_a_paper_preset_on_a_machine_without_gpu_is_one_line_naming_the_gpu(capsys):
    import torch

    if torch.cuda.is_available():
        pytest.skip("a GPU is visible: bf16 is valid here")
    assert main(["train", "--config", str(PRESETS_DIR / "paper-swe.yaml")]) == 1
    err = capsys.readouterr().err.strip()
    # bf16 where the CPU lacks it, else vLLM colocated: either way before the 7B model is fetched.
    assert len(err.splitlines()) == 1 and "the paper presets are for GPU machines" in err
    assert "bf16 needs a GPU" in err or "vllm_mode colocate runs vLLM on a GPU" in err


@pytest.mark.parametrize(
    "preset, model", [("paper-swe", "Qwen2.5-Coder-7B-Instruct"), ("paper-math", "Qwen2.5-7B-Instruct")]
)
def test_paper_presets_parse_into_valid_grpo_configs(preset, model, tmp_path):
    # use_cpu: bf16 is validated against this machine, which may have no GPU; no model is loaded.
    config = resolve_config({"config": str(PRESETS_DIR / f"{preset}.yaml"), "use_cpu": True})
    assert config.model == f"Qwen/{model}" and not config.warmup
    for method, prompts in (("srl", 512), ("rlvr", 128)):
        grpo = grpo_training_args(config, tmp_path, method, has_eval=True)
        assert type(grpo).__name__ == "GRPOConfig"
        assert grpo.per_device_train_batch_size * grpo.gradient_accumulation_steps == prompts * 8
        assert (grpo.learning_rate, grpo.num_generations, grpo.beta, grpo.temperature) == (5e-7, 8, 0.0, 1.0)
        assert (grpo.num_train_epochs, grpo.bf16, grpo.activation_checkpointing, grpo.use_vllm) == (
            30.0,
            True,
            True,
            True,
        )
        assert grpo.load_best_model_at_end and grpo.metric_for_best_model == "reward"


@pytest.mark.parametrize("method", ["sft", "srl"])
def test_the_chains_benchmark_preset_keeps_resolving(method):
    config = resolve_config(
        {"config": "configs/train/chains.yaml", "method": method, "model": "m", "warmup": False}
    )
    assert (config.num_train_epochs, config.per_device_train_batch_size, config.sft_max_steps) == (
        1.0,
        16,
        16,
    )
    assert config.max_completion_length == 64
