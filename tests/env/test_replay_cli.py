"""`python -m srl_trainer.swe replay` end to end, and what a SIGINT in the middle leaves behind."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

from agent.actions import BashAction, FinishAction
from agent.records import native_record
from agent.trajectory import Step
from env.demo_task import demo_trajectory
from env.instances import instance_record
from env.sandbox import SESSION_LABEL

pytestmark = pytest.mark.docker
REPO = Path(__file__).resolve().parents[2]


def _write_inputs(tmp_path: Path, instance, trajectory) -> tuple[Path, Path]:
    trajectories = tmp_path / "trajectories.jsonl"
    trajectories.write_text(json.dumps(native_record(trajectory, "demo")) + "\n")
    instances = tmp_path / "instances.jsonl"
    record = {
        **instance_record(instance),
        # The princeton-nlp release stores these as JSON-encoded strings.
        "FAIL_TO_PASS": json.dumps(list(instance.fail_to_pass)),
        "PASS_TO_PASS": json.dumps(list(instance.pass_to_pass)),
    }
    instances.write_text(json.dumps(record) + "\n")
    return trajectories, instances


def _replay_cmd(trajectories: Path, instances: Path, repos: Path, out: Path) -> list[str]:
    return [
        sys.executable, "-m", "srl_trainer.swe", "replay",
        "--trajectories", str(trajectories), "--instances", str(instances),
        "--repos", str(repos), "--out", str(out), "--workers", "1",
    ]  # fmt: skip


def test_replay_command_writes_replayed_trajectories_report_and_summary(instance_image, task, tmp_path):
    instance, repos = task
    trajectories, instances = _write_inputs(tmp_path, instance, demo_trajectory())
    out = tmp_path / "out"
    done = subprocess.run(
        _replay_cmd(trajectories, instances, repos, out),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads((out / "report.jsonl").read_text())
    assert report["steps_run"] == 5 and report["first_divergent_step"] is None
    assert report["patch_matches_gold"] and report["fail_to_pass_passed"]
    assert "1 reproduced every step" in (out / "summary.md").read_text()
    assert len((out / "replayed.jsonl").read_text().splitlines()) == 1


def test_keep_reproduced_writes_only_trajectories_that_reproduce(tmp_path):
    from env.replay import ReplayReport, write_replay_outputs

    good = ReplayReport("a", 2, steps_run=2, similarities=[1.0, 1.0])
    diverged = ReplayReport("b", 2, steps_run=2, similarities=[1.0, 0.2], first_divergent_step=1)
    trajectory = demo_trajectory()
    paths = write_replay_outputs(tmp_path, [(trajectory, good), (trajectory, diverged)], keep="reproduced")
    assert len(paths["replayed"].read_text().splitlines()) == 1
    assert len(paths["report"].read_text().splitlines()) == 2


def test_replay_command_without_repos_is_one_clear_error(task, tmp_path):
    instance, _ = task
    trajectories, instances = _write_inputs(tmp_path, instance, demo_trajectory())
    done = subprocess.run(
        _replay_cmd(trajectories, instances, tmp_path / "nowhere", tmp_path / "out"),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert done.stderr.strip().startswith("error: --repos")
    assert len(done.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_to_a_running_replay_leaves_no_container(
    docker_client, instance_image, task, tmp_path, signum
):
    instance, repos = task
    slow = replace(
        demo_trajectory(),
        steps=[Step("wait", BashAction(command="sleep 1000"), ""), Step("", FinishAction(), "")],
    )
    trajectories, instances = _write_inputs(tmp_path, instance, slow)
    proc = subprocess.Popen(
        _replay_cmd(trajectories, instances, repos, tmp_path / "out"),
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    label = f"{SESSION_LABEL}={proc.pid}@{socket.gethostname()}"
    deadline = time.monotonic() + 120
    try:
        while not docker_client.containers.list(filters={"label": label}):
            assert proc.poll() is None, proc.stderr.read()
            assert time.monotonic() < deadline, "the replay never started a container"
            time.sleep(0.2)
        time.sleep(1.0)  # let it get into `sleep 1000`
        os.kill(proc.pid, signum)
        code = proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert code == 130
    assert docker_client.containers.list(all=True, filters={"label": label}) == []
