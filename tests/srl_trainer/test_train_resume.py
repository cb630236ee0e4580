"""SIGKILL mid-SRL, then `--resume`: the run continues from its last checkpoint and loses no log line."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from srl_trainer.swe import main

ARGS = ["--domain", "math", "--sft-epochs", "1", "--max-steps", "5", "--save-steps", "2"]
ARGS += ["--max-completion-length", "12", "--num-generations", "2", "--prompts-per-step", "2"]
ARGS += ["--per-device-batch-size", "4", "--ds-max-rounds", "1"]
ARGS += ["--max-train-steps", "24", "--max-eval-steps", "6"]


def srl_rewards(run: Path) -> dict[int, float]:
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    return {r["step"]: r["reward"] for r in records if r["phase"] == "srl" and "reward" in r}


def test_resume_after_sigkill_continues_with_the_same_data_and_history(tmp_path):
    killed = tmp_path / "killed"
    command = [sys.executable, "-m", "srl_trainer.swe", "train", "--out", str(killed), *ARGS]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    while not (killed / "srl" / "checkpoint-2" / "trainer_state.json").exists():
        assert process.poll() is None, "the run ended before its first checkpoint"
        assert time.time() < deadline
        time.sleep(0.2)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    logged_before_kill = (killed / "metrics.jsonl").read_text()
    assert "after_srl" not in logged_before_kill

    assert main(["train", "--resume", "--out", str(killed)]) == 0
    assert (killed / "metrics.jsonl").read_text().startswith(logged_before_kill)  # nothing lost
    resumed = srl_rewards(killed)
    assert sorted(resumed) == [1, 2, 3, 4, 5]
    assert json.loads((killed / "summary.json").read_text())["phases_done"] == ["sft", "srl"]

    straight = tmp_path / "straight"
    assert main(["train", "--out", str(straight), *ARGS]) == 0
    assert srl_rewards(straight) == resumed  # same prompts and samples as an uninterrupted run


def test_resume_without_a_run_folder_is_one_line(tmp_path, capsys):
    assert main(["train", "--resume", "--out", str(tmp_path / "none")]) == 1
    assert "--resume needs --out" in capsys.readouterr().err
