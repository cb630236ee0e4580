"""The accelerate launch configs shipped in configs/accelerate/, and a real 2-process CPU launch."""

from __future__ import annotations

import json
import math
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


def test_two_process_cpu_launch_with_dynamic_sampling_trains_and_only_rank_0_writes(tmp_path):
    out = tmp_path / "run"
    command = [sys.executable, "-m", "accelerate.commands.launch"]
    command += ["--config_file", str(CONFIGS / "cpu_2proc.yaml"), "--main_process_port", "0"]
    command += ["-m", "srl_trainer.swe", "train", "--domain", "math", "--out", str(out)]
    command += ["--trajectories", str(ROOT / "data" / "sample" / "math.jsonl")]  # small: seconds per phase
    command += ["--sft-epochs", "1", "--max-steps", "2", "--max-completion-length", "12"]
    # G=4 and 1 prompt per step: each process holds 2 of the group's 4 rows, so the group spans both
    # processes and can only be judged on the gathered rewards. With a 1-epoch warm-up and 12-token
    # rollouts most groups are flat (all format errors), so refill rounds run.
    command += ["--num-generations", "4", "--prompts-per-step", "1", "--per-device-batch-size", "2"]
    command += ["--dynamic-sampling", "--ds-max-rounds", "2", "--eval-steps", "2", "--save-steps", "2"]
    # The random tiny start: rank 0 writes base/, the other rank builds the same seeded model in memory.
    command += ["--embedded-base", ""]
    # No ACCELERATE_USE_CPU: the README's command. accelerate's torchrun path drops the config's
    # use_cpu, and train must still run both phases data parallel on the CPU.
    env = {**os.environ, "OMP_NUM_THREADS": "1", "CUDA_VISIBLE_DEVICES": ""}
    for name in ("WORLD_SIZE", "ACCELERATE_USE_CPU"):
        env.pop(name, None)
    try:
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    except subprocess.TimeoutExpired as error:
        pytest.fail(f"2-process launch did not finish in 900 s:\n{error.stdout}\n{error.stderr}")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    printed = done.stdout + done.stderr
    assert "parallel_mode != ParallelMode.DISTRIBUTED" not in printed  # no phase trains alone per process
    assert done.stdout.count(f"written to     {out}") == 1  # rank 0 reports, once
    summary = json.loads((out / "summary.json").read_text())
    assert summary["processes"] == 2  # the GRPO trainer's accelerator saw two processes
    # The SFT warm-up is data parallel too: 8 rows a process (sft_batch_size), 16 a step, so one epoch
    # of the sample's training steps takes half the single-process steps; rank 0 alone prints them.
    sft_steps = math.ceil(summary["train_steps"] / (8 * 2))
    assert sft_steps < math.ceil(summary["train_steps"] / 8)
    assert printed.replace("\r", "\n").count("sft   step ") == sft_steps
    assert summary["after_srl"]["examples"] == summary["held_out_steps"]
    records = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [r["label"] for r in records if r["phase"] == "eval"] == ["initial", "after_sft", "after_srl"]
    assert sum(r["phase"] == "srl" and "train_runtime" in r for r in records) == 1  # not once per rank
    assert [r["step"] for r in records if r["phase"] == "sft" and "train_runtime" in r] == [sft_steps]
    for name in ("final/config.json", "config.yaml", "curves.png", "base/config.json"):
        assert (out / name).exists(), name

    # Dynamic sampling: one record per generation batch (= optimizer step here), each with what every
    # process computed on its own (all-gathered): identical counts on both ranks.
    batches = summary["srl_dynamic_sampling"]
    assert len(batches) == 2
    for stats in batches:
        assert stats["processes"] == 2 and stats["target_groups"] == 1
        assert len(stats["per_process"]) == 2 and stats["per_process"][0] == stats["per_process"][1]
        generated, kept, filled, extra, rounds, _ = stats["per_process"][0]
        assert (generated, kept, filled, extra, rounds) == (
            stats["generated_groups"],
            stats["kept_groups"],
            stats["filled_groups"],
            stats["extra_generations"],
            stats["rounds"],
        )
        # Each refill round draws whole rows for both processes: 2 groups x G=4 per missing group.
        assert extra == 2 * 4 * rounds
    # What rank 0 logged per step is what both ranks computed.
    logged = [r for r in records if r["phase"] == "srl" and "dynamic_sampling/kept_fraction" in r]
    assert len(logged) == 2
    for record, stats in zip(logged, batches, strict=True):
        assert record["dynamic_sampling/kept_fraction"] == pytest.approx(
            stats["kept_groups"] / stats["generated_groups"]
        )
        assert record["dynamic_sampling/extra_generations"] == stats["extra_generations"]


def test_two_process_dynamic_sampling_moves_a_kept_group_across_processes(tmp_path):
    """The kept group was generated on process 0; each process gets 2 of its 4 rows (worker docstring)."""
    command = [sys.executable, "-m", "accelerate.commands.launch"]
    command += ["--config_file", str(CONFIGS / "cpu_2proc.yaml"), "--main_process_port", "0"]
    command += [str(Path(__file__).with_name("ds_two_process_worker.py")), str(tmp_path)]
    env = {**os.environ, "ACCELERATE_USE_CPU": "true", "OMP_NUM_THREADS": "1", "CUDA_VISIBLE_DEVICES": ""}
    env.pop("WORLD_SIZE", None)
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    ranks = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in (0, 1)]
    for record in ranks:
        assert record["stats"] == {"filled": 1, "rounds": 1, "moved_rows": 2}
        assert record["per_process"][0] == record["per_process"][1]
        # Rewards 0, .5, 0, .5 in the kept group: advantages -/+ 0.5/std with TRL's unbiased std.
        assert record["advantages"] == pytest.approx([-0.866, 0.866], abs=1e-3)
    refill_group = ranks[0]["generated"][1][:4]  # round 1 on process 0: its first 4 rows are group 0
    assert ranks[0]["handed"] == refill_group[:2] and ranks[1]["handed"] == refill_group[2:]
    tokens = sum(len(r) for r in refill_group)
    assert ranks[0]["num_items_in_batch"] == ranks[1]["num_items_in_batch"] == tokens  # kept rows only


def _launch(config: str, args: list[str], timeout: int) -> subprocess.CompletedProcess:
    """``accelerate launch --config_file configs/accelerate/CONFIG ARGS`` on the CPU, from the repo root."""
    command = [sys.executable, "-m", "accelerate.commands.launch"]
    command += ["--config_file", str(CONFIGS / config), "--main_process_port", "0", *args]
    env = {**os.environ, "ACCELERATE_USE_CPU": "true", "OMP_NUM_THREADS": "1", "CUDA_VISIBLE_DEVICES": ""}
    env.pop("WORLD_SIZE", None)
    try:
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as error:
        pytest.fail(f"launch did not finish in {timeout} s:\n{error.stdout}\n{error.stderr}")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done


FSDP_WORKER = str(Path(__file__).with_name("fsdp_two_process_worker.py"))


def test_fsdp_cpu_two_process_config():
    config = load_config_from_file(str(CONFIGS / "fsdp_cpu_2proc.yaml"))
    assert config.distributed_type == DistributedType.FSDP and config.use_cpu
    assert (config.num_processes, config.num_machines, config.mixed_precision) == (2, 1, "no")
    fsdp = config.fsdp_config
    assert fsdp["fsdp_version"] == 2 and fsdp["fsdp_state_dict_type"] == "FULL_STATE_DICT"
    assert fsdp["fsdp_transformer_layer_cls_to_wrap"] == "Qwen2DecoderLayer"


def test_torch_fsdp2_shards_trains_and_saves_a_loadable_model_on_two_cpu_processes(tmp_path):
    """torch's FSDP2 runs on the CPU over gloo (the worker's docstring says what it does)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from tests.srl_trainer.fsdp_two_process_worker import TEXT

    _launch("cpu_2proc.yaml", [FSDP_WORKER, "torch", str(tmp_path)], timeout=600)
    ranks = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in (0, 1)]
    for record in ranks:
        assert (record["world"], record["backend"], record["sharded"]) == (2, "gloo", True)
        # Each process holds half of every parameter, not a replica.
        assert record["local_elements"] * 2 == record["elements"]
        losses = record["losses"]
        assert losses[0] > losses[1] > losses[2] > record["final_loss"]  # it trained
    assert ranks[0]["losses"] == ranks[1]["losses"]  # one model, computed together
    assert ranks[0]["gathered_tensors"] > 0 and ranks[1]["gathered_tensors"] == 0  # gathered on rank 0

    final = AutoModelForCausalLM.from_pretrained(str(tmp_path / "final"))
    base = AutoModelForCausalLM.from_pretrained(str(tmp_path / "base"))
    ids = AutoTokenizer.from_pretrained(str(tmp_path / "final"))(TEXT, return_tensors="pt")["input_ids"]
    with torch.no_grad():
        # The saved weights are the trained ones, whole: they score the text as the sharded model did.
        assert final(input_ids=ids, labels=ids).loss.item() == pytest.approx(ranks[0]["final_loss"], rel=1e-4)
        assert base(input_ids=ids, labels=ids).loss.item() == pytest.approx(ranks[0]["losses"][0], rel=1e-4)


def test_accelerate_runs_an_fsdp_launch_on_cpu_as_plain_data_parallel(tmp_path):
    """accelerate 1.15 turns FSDP on only for accelerators (MULTI_GPU/NPU/XPU/...), never MULTI_CPU:
    Trainer and TRL, which train through it, cannot shard on a CPU. When an accelerate release does
    shard there, this fails: the train launch below then runs real FSDP (update the config's comment)."""
    _launch("fsdp_cpu_2proc.yaml", [FSDP_WORKER, "accelerate", str(tmp_path)], timeout=300)
    for rank in (0, 1):
        record = json.loads((tmp_path / f"accelerate{rank}.json").read_text())
        assert (record["fsdp_requested"], record["fsdp_version_requested"]) == ("true", "2")
        assert record["distributed_type"] == str(DistributedType.MULTI_CPU)
        assert (record["backend"], record["processes"]) == ("gloo", 2)


def test_train_launched_with_the_fsdp_config_trains_the_default_and_its_final_model_loads_back(tmp_path):
    """The embedded SRL default under the FSDP config on 2 CPU processes (data parallel on a CPU, see
    the test above): SFT warm-up then 2 SRL steps, and the final weights load with from_pretrained."""
    import torch
    from transformers import AutoModelForCausalLM

    out = tmp_path / "run"
    args = ["-m", "srl_trainer.swe", "train", "--out", str(out), "--max-train-steps", "8"]
    # 3 SFT steps: the learning rate is past its warm-up for the last ones, so the weights move.
    args += ["--sft-epochs", "3", "--max-steps", "2", "--max-completion-length", "12"]
    args += ["--num-generations", "4", "--prompts-per-step", "1", "--per-device-batch-size", "2"]
    args += [
        "--eval-steps",
        "0",
        "--eval-samples",
        "0",
        "--eval-max-new-tokens",
        "8",
        "--eval-solutions",
        "0",
    ]
    done = _launch("fsdp_cpu_2proc.yaml", args, timeout=900)
    assert done.stdout.count(f"written to     {out}") == 1  # rank 0 reports, once
    summary = json.loads((out / "summary.json").read_text())
    assert summary["processes"] == 2 and summary["phases_done"] == ["sft", "srl"]
    # The run's final weights: final/, checkpoint/ in run folders from before final/ was their one copy.
    final_dir = next(d for d in (out / "final", out / "checkpoint") if (d / "config.json").exists())
    final = AutoModelForCausalLM.from_pretrained(str(final_dir))
    base = AutoModelForCausalLM.from_pretrained(summary["model"])  # the default's cached mid-trained base
    trained = final.state_dict()
    assert trained.keys() == base.state_dict().keys()
    assert any(not torch.equal(trained[name], weights) for name, weights in base.state_dict().items())
