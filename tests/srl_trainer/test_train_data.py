"""`train` on real and prepared data, and what a run leaves on disk: one copy of the final weights,
bounded checkpoints without optimizer states, a --model recorded by path and never copied."""

from __future__ import annotations

import json
from pathlib import Path

from srl_trainer.swe import main
from tests.conftest import REPO

# Tiny and fast on 2 CPU cores; every flag here is spelled the same by the project and by TRL.
TINY = ["--sft-max-steps", "2", "--max-steps", "1", "--max-completion-length", "12", "--num-generations", "2"]
TINY += ["--prompts-per-step", "2", "--ds-max-rounds", "0", "--max-eval-steps", "4", "--eval-samples", "0"]
TINY += ["--eval-resolve", "0"]


def weight_folders(run: Path) -> list[str]:
    """Every folder of ``run`` that holds model weights, relative to it."""
    return sorted(str(p.parent.relative_to(run)) for p in run.rglob("model.safetensors"))


def test_real_swegym_records_train_the_embedded_model_within_its_640_token_budget(samples, tmp_path):
    out = tmp_path / "run"
    real = str(samples / "swegym_openhands_sampled.json")
    assert main(["train", "--trajectories", real, "--out", str(out), *TINY]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["phases_done"] == ["sft", "srl"] and summary["train_steps"] >= 8
    assert (out / "final" / "config.json").exists()


def test_a_budget_nothing_fits_in_is_one_line_before_any_model_is_built(samples, tmp_path, capsys):
    out = tmp_path / "run"
    real = str(samples / "swegym_openhands_sampled.json")
    assert main(["train", "--trajectories", real, "--max-prompt-tokens", "100", "--out", str(out)]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--max-prompt-tokens 100 leaves no room for a step" in err
    assert not (out / "base").exists()


def test_train_dataset_takes_prepare_output_and_the_run_keeps_one_copy_of_the_weights(tmp_path):
    steps = tmp_path / "steps"
    sample = str(REPO / "data" / "sample" / "trajectories.json")
    assert main(["prepare", "--trajectories", sample, "--max-prompt-tokens", "640", "--out", str(steps)]) == 0
    out = tmp_path / "run"
    cadence = ["--max-steps", "3", "--save-steps", "1", "--eval-steps", "1", "--trl-eval-prompts", "2"]
    assert main(["train", "--dataset", str(steps), "--out", str(out), *TINY, *cadence]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["phases_done"] == ["sft", "srl"] and summary["after_srl"]["examples"] >= 1
    # final/ is the one copy of the trained weights; the start is the cached mid-trained base, recorded
    # and not copied. The three SRL checkpoints are bounded by save_total_limit (2) and their
    # optimizer states are gone.
    folders = weight_folders(out)
    checkpoints = [f for f in folders if f.startswith("srl/checkpoint-")]
    assert set(folders) - set(checkpoints) == {"final"}
    start = Path(summary["model"])
    assert (start / "config.json").exists() and out not in start.parents
    assert 1 <= len(checkpoints) <= 2
    assert not list(out.rglob("optimizer.pt"))
    # Raw expert data passed where prepared steps belong is one line pointing at --dataset.
    assert main(["train", "--trajectories", str(steps), "--out", str(tmp_path / "wrong")]) == 1


def test_a_model_path_is_recorded_not_copied_and_optimizer_states_can_be_kept(tmp_path):
    from srl_trainer.models import build_tiny_model

    model = build_tiny_model(tmp_path / "start", hidden_size=32)
    out = tmp_path / "run"
    args = ["train", "--model", str(model), "--domain", "math", "--out", str(out), *TINY]
    args += ["--sft-batch-size", "2", "--max-train-steps", "12", "--save-steps", "1", "--eval-steps", "0"]
    assert main([*args, "--keep-optimizer-states"]) == 0
    assert json.loads((out / "summary.json").read_text())["model"] == str(model)
    assert weight_folders(out) == ["final", "srl/checkpoint-1"]  # no base/, no copy of the start
    assert (out / "srl" / "checkpoint-1" / "optimizer.pt").exists()
