"""The accelerate launch configs shipped in configs/accelerate/, and a real 2-process CPU launch."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from accelerate.commands.config.config_args import load_config_from_file
from accelerate.utils import DistributedType

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = ROOT / "configs" / "accelerate"


def test_deepspeed_zero3_config():
    config = load_config_from_file(str(CONFIGS / "deepspeed_zero3.yaml"))
    assert config.distributed_type == DistributedType.DEEPSPEED
    assert config.deepspeed_config["zero_stage"] == 3 and config.mixed_precision == "bf16"
    assert config.num_processes >= 2 and not config.use_cpu


def test_fsdp_config():
    config = load_config_from_file(str(CONFIGS / "fsdp.yaml"))
    assert config.distributed_type == DistributedType.FSDP and config.mixed_precision == "bf16"
    fsdp = config.fsdp_config
    assert fsdp["fsdp_sharding_strategy"] == "FULL_SHARD"
    assert fsdp["fsdp_auto_wrap_policy"] == "TRANSFORMER_BASED_WRAP"
    assert fsdp["fsdp_transformer_layer_cls_to_wrap"] == "Qwen2DecoderLayer"


def test_cpu_two_process_config():
    config = load_config_from_file(str(CONFIGS / "cpu_2proc.yaml"))
    # MULTI_GPU is accelerate's torchrun path; use_cpu keeps every process on the CPU (gloo).
    assert config.distributed_type == DistributedType.MULTI_GPU and config.use_cpu
    assert (config.num_processes, config.num_machines, config.mixed_precision) == (2, 1, "no")


def test_two_process_cpu_launch_trains_and_only_rank_0_writes(tmp_path):
    out = tmp_path / "run"
    command = [sys.executable, "-m", "accelerate.commands.launch"]
    command += ["--config_file", str(CONFIGS / "cpu_2proc.yaml"), "--main_process_port", "0"]
    command += ["-m", "srl_trainer.swe", "train", "--domain", "math", "--out", str(out)]
    command += ["--sft-epochs", "1", "--max-steps", "1", "--max-completion-length", "12"]
    command += ["--num-generations", "2", "--prompts-per-step", "2", "--per-device-batch-size", "4"]
    command += ["--no-dynamic-sampling"]
    env = {**os.environ, "ACCELERATE_USE_CPU": "true", "OMP_NUM_THREADS": "1", "CUDA_VISIBLE_DEVICES": ""}
    env.pop("WORLD_SIZE", None)
    try:
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    except subprocess.TimeoutExpired as error:
        pytest.fail(f"2-process launch did not finish in 900 s:\n{error.stdout}\n{error.stderr}")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert done.stdout.count(f"written to     {out}") == 2  # both ranks ran to the end
    summary = json.loads((out / "summary.json").read_text())
    assert summary["processes"] == 2  # the GRPO trainer's accelerator saw two processes
    assert summary["after_srl"]["examples"] == summary["held_out_steps"]
    records = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [r["label"] for r in records if r["phase"] == "eval"] == ["initial", "after_sft", "after_srl"]
    assert sum(r["phase"] == "srl" and "train_runtime" in r for r in records) == 1  # not once per rank
    for name in ("checkpoint/config.json", "config.yaml", "curves.png", "base/config.json"):
        assert (out / name).exists(), name
