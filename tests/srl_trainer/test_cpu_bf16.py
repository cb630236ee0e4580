"""bf16 on a CPU: allowed where the CPU computes bf16 (AVX-512 BF16, AMX, Arm BF16), one line elsewhere,
and then rollouts and the loss really run under bf16 autocast."""

from __future__ import annotations

from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from srl_trainer.cli import main  # noqa: E402
from srl_trainer.training import cpu  # noqa: E402
from srl_trainer.training.config import grpo_training_args, resolve_config, sft_training_args  # noqa: E402

# Trimmed flags lines of real CPUs.
ZEN3_EPYC = "processor\t: 0\nvendor_id\t: AuthenticAMD\nflags\t\t: fpu sse2 avx avx2 fma sha_ni vaes\n"
ZEN4_EPYC = "processor\t: 0\nflags\t\t: fpu avx2 avx512f avx512bw avx512_bf16 avx512_vnni\n"
SKYLAKE_SP = "processor\t: 0\nflags\t\t: fpu avx2 avx512f avx512bw avx512cd avx512vl\n"
SAPPHIRE_RAPIDS = "processor\t: 0\nflags\t\t: avx512f avx512_bf16 amx_bf16 amx_tile amx_int8\n"
GRAVITON3 = "processor\t: 0\nFeatures\t: fp asimd sve bf16 i8mm\n"

needs_cpu_bf16 = pytest.mark.skipif(
    torch.accelerator.is_available() or not cpu.cpu_supports_bf16(),
    reason="needs a machine with no GPU whose CPU computes bf16",
)


@pytest.mark.parametrize(
    "text, supported",
    [(ZEN3_EPYC, False), (SKYLAKE_SP, False), (ZEN4_EPYC, True), (SAPPHIRE_RAPIDS, True), (GRAVITON3, True)],
)
def test_bf16_support_is_read_from_the_cpus_flags(tmp_path, text, supported):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(text)
    assert cpu.cpu_supports_bf16(cpuinfo) is supported


@pytest.mark.skipif(not Path("/proc/cpuinfo").is_file(), reason="no /proc/cpuinfo (not Linux)")
def test_this_machines_answer_matches_its_cpuinfo_flags():
    text = Path("/proc/cpuinfo").read_text()
    flags = next(line for line in text.splitlines() if line.startswith(("flags", "Features"))).split()
    assert cpu.cpu_supports_bf16() is bool({"avx512_bf16", "amx_bf16", "bf16"} & set(flags))


def test_bf16_on_a_cpu_without_bf16_instructions_is_one_line_and_exit_1(tmp_path, monkeypatch, capsys):
    if torch.accelerator.is_available():
        pytest.skip("a GPU is visible: bf16 is valid here")
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(ZEN3_EPYC)
    monkeypatch.setattr(cpu, "CPUINFO", cpuinfo)  # this machine's CPU, as one without AVX-512 BF16
    assert main(["train", "--domain", "math", "--bf16"]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "bf16 needs a GPU or a CPU with AVX-512 BF16 or AMX" in err and "--bf16 false" in err


@needs_cpu_bf16
def test_bf16_on_a_bf16_cpu_builds_cpu_autocast_configs(tmp_path):
    config = resolve_config({"domain": "math", "bf16": True})
    for args in (sft_training_args(config, tmp_path), grpo_training_args(config, tmp_path, "srl", True)):
        assert args.bf16 and args.use_cpu and args.mixed_precision == "bf16"
        assert args.device.type == "cpu"


@needs_cpu_bf16
def test_a_bf16_grpo_step_on_the_cpu_samples_and_trains_under_bf16_autocast(tmp_path):
    from datasets import Dataset

    from srl_trainer.models import build_tiny_model, load_model
    from srl_trainer.training.dynamic_sampling import DynamicSamplingGRPOTrainer

    config = resolve_config(
        {
            "domain": "math",
            "bf16": True,
            "num_generations": 2,
            "prompts_per_step": 2,
            "per_device_train_batch_size": 4,
            "max_completion_length": 4,
            "max_steps": 1,
            "report_to": "none",
        }
    )
    args = grpo_training_args(config, tmp_path / "srl", "srl", has_eval=False)
    args.save_strategy = "no"
    model, tokenizer = load_model(str(build_tiny_model(tmp_path / "base", hidden_size=32)))
    seen = {"generate": set(), "train": set()}

    def record(module, inputs):
        phase = "train" if torch.is_grad_enabled() else "generate"
        seen[phase].add(torch.is_autocast_enabled("cpu") and torch.get_autocast_dtype("cpu"))

    model.model.register_forward_pre_hook(record)
    rows = [{"prompt": [{"role": "user", "content": f"{i} + 1"}]} for i in range(4)]
    trainer = DynamicSamplingGRPOTrainer(
        model=model,
        reward_funcs=lambda completions, **_: [float(len(c[0]["content"])) for c in completions],
        args=args,
        train_dataset=Dataset.from_list(rows),
        processing_class=tokenizer,
        epsilon=0.01,
        max_rounds=0,
    )
    trainer.train()
    assert seen == {"generate": {torch.bfloat16}, "train": {torch.bfloat16}}
    assert next(trainer.model.parameters()).dtype == torch.float32  # autocast: fp32 master weights


def test_the_student_speed_preset_holds_speed_and_precision_settings_only(monkeypatch):
    import os

    from srl_trainer.training.config import read_yaml

    monkeypatch.setenv("OMP_NUM_THREADS", "7")  # restored after the test
    values = read_yaml("configs/train/student-math.yaml")
    assert values == {"bf16": True, "use_peft": False, "activation_checkpointing": False}
    # No thread pinning: alone on a quiet box torch's default (every core) trained 1.80x faster than 1
    # thread; a user's own OMP_NUM_THREADS (runs side by side) is left as it is.
    assert os.environ["OMP_NUM_THREADS"] == "7"


def test_a_bf16_run_scores_under_cpu_autocast_and_an_fp32_run_does_not():
    import torch

    from srl_trainer.training.cpu import scoring_precision

    with scoring_precision(True):
        assert torch.is_autocast_enabled("cpu") and torch.get_autocast_dtype("cpu") == torch.bfloat16
    with scoring_precision(False):
        assert not torch.is_autocast_enabled("cpu")
