"""A phase whose data cannot fill one optimizer step stops the run before any phase trains (one line,
exit 1), and a phase TRL ends at step 0 is an error, never "done" (issue 21: SRL's 512 prompts per
step against 56 rows trained 0 steps, printed "srl done: 0 steps" and exited 0)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from srl_trainer.errors import CliError
from srl_trainer.models import build_tiny_model

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory) -> Path:
    """A real (random, tiny) checkpoint folder, as a user's --model DIR."""
    return build_tiny_model(tmp_path_factory.mktemp("model") / "tiny")


def run_train(*flags: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "srl_trainer.swe", "train", *flags]
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=600)


def test_srl_prompts_per_step_above_the_rows_stops_before_the_warmup_with_one_line(tiny_dir, tmp_path):
    out = tmp_path / "run"
    # The command: defaults.yaml's 512 prompts per SRL step against a few dozen chain steps.
    result = run_train(
        "--domain", "math", "--model", str(tiny_dir), "--method", "srl", "--trajectories",
        "data/chains/train.jsonl", "--max-train-steps", "64", "--max-eval-steps", "8", "--out", str(out),
    )  # fmt: skip
    assert result.returncode == 1, result.stdout + result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert "cannot fill one step of 512 prompts (--prompts-per-step 512); lower --prompts-per-step" in line
    assert line.split("error: ")[-1].startswith("srl: ") and " training rows " in line
    rows = int(line.split("srl: ")[1].split()[0])
    assert 0 < rows < 64  # after the held-out and validation splits of the 64 steps
    # Checked before any model was loaded: the SFT warm-up (which would have run first) never trained.
    assert not (out / "sft").exists() and not (out / "final").exists() and not (out / "srl").exists()


def test_sft_batch_above_the_rows_with_drop_last_is_one_line_and_exit_1(tiny_dir, tmp_path):
    # Without drop_last the Trainer trains on a partial batch (a 2-process launch of the 12-row sample
    # at batch 8 x 2 does); with it, 16 rows at batch 64 would be an empty epoch.
    out = tmp_path / "run"
    result = run_train(
        "--domain", "math", "--model", str(tiny_dir), "--method", "sft", "--max-train-steps", "16",
        "--sft-batch-size", "64", "--dataloader_drop_last", "true", "--out", str(out),
    )  # fmt: skip
    assert result.returncode == 1, result.stdout + result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.split("error: ")[-1].startswith("sft: 16 training rows cannot fill one step of 64 rows")
    assert "(--sft-batch-size 64 x gradient_accumulation_steps 1); lower --sft-batch-size to at most 16" in (
        line
    )
    assert not (out / "sft").exists() and not (out / "final").exists()


def test_rlvr_counts_whole_problems_not_steps():
    from srl_trainer.training.config import resolve_config
    from srl_trainer.training.pipeline import check_phases_fill_a_step
    from srl_trainer.training.recipes import recipe_for

    config = resolve_config({"model": "m", "method": "srl-rlvr", "domain": "math", "warmup": False,
                             "prompts_per_step": 4, "rlvr_prompts_per_step": 4})  # fmt: skip
    rows = [{"step_index": i % 3} for i in range(9)]  # 3 problems of 3 steps
    recipe = recipe_for("srl-rlvr", "math")
    expected = (
        r"^rlvr: 3 training problems \(step-0 rows\) cannot fill one step of 4 prompts "
        r"\(--rlvr-prompts-per-step 4\); lower --rlvr-prompts-per-step to at most 3 or add data$"
    )
    with pytest.raises(CliError, match=expected):
        check_phases_fill_a_step(config, recipe, rows, [], Path("unused"))
    # SRL (9 step rows) fits; a finished phase is not checked again (--resume).
    check_phases_fill_a_step(config, recipe, rows, ["rlvr"], Path("unused"))


def test_a_phase_trained_for_zero_steps_is_an_error_not_done(tiny_dir, tmp_path):
    """Past the static check (here called directly), TRL would still end at step 0: refused."""
    from srl_trainer.models import load_model
    from srl_trainer.training.config import resolve_config
    from srl_trainer.training.pipeline import MetricsWriter, grpo_phase

    config = resolve_config(
        {"model": str(tiny_dir), "domain": "math", "num_generations": 2, "prompts_per_step": 4,
         "per_device_train_batch_size": 4, "max_completion_length": 8, "eval_steps": 0, "max_steps": 1}
    )  # fmt: skip
    model, tokenizer = load_model(str(tiny_dir))
    row = {"prompt": [{"role": "user", "content": "1+1?"}], "target": "2", "solution": "2", "answer": "2",
           "domain": "math", "instance_id": "a", "step_index": 0}  # fmt: skip
    rows = [dict(row, instance_id=str(i)) for i in range(3)]  # 3 prompts, 4 per step: no full batch
    metrics = MetricsWriter(tmp_path / "metrics.jsonl")
    with pytest.raises(CliError, match=r"^srl: TRL trained 0 optimizer steps on 3 rows"):
        grpo_phase(config, model, tokenizer, rows, [], "srl", tmp_path, metrics)
