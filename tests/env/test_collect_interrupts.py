"""`collect` as a real subprocess: each episode on disk as it ends, Ctrl-C / SIGTERM in the middle,
and the rerun of the same command that collects only the rest.

The teacher is a stand-in endpoint (tests.env.stand_in) that makes the demo task's gold fix and
finishes, except that the instance whose problem says SLOW first sleeps 30 s in its sandbox.
"""

from __future__ import annotations

import json
import signal

import pytest

from tests.env import signals
from tests.env.stand_in import FINISH, FIX, StandInModel

pytestmark = pytest.mark.docker


@pytest.fixture
def teacher():
    model = StandInModel([FIX, FINISH])
    yield model
    model.close()


def _collect_args(instances, repos, out, url) -> list[str]:
    return ["collect", "--instances", str(instances), "--repos", str(repos), "--out", str(out),
            "--policy", "openai", "--base-url", url, "--model", "stand-in", "--max-steps", "4"]  # fmt: skip


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_stops_collect_within_seconds_keeping_finished_episodes_and_a_rerun_resumes(
    docker_client, instance_image, task, tmp_path, teacher, signum
):
    instance, repos = task
    instances = signals.write_numbered_instances(
        tmp_path, instance, ["add is wrong", "SLOW: add is wrong", "add is wrong"]
    )
    out = tmp_path / "traj.jsonl"
    progress = tmp_path / "traj.jsonl.progress"
    stopped = signals.stop_in_the_slow_sleep(
        _collect_args(instances, repos, out, teacher.url), tmp_path, teacher, signum
    )
    signals.assert_stopped_cleanly(
        stopped,
        docker_client,
        f"interrupted: 1 of 3 episode(s) finished, 1 resolved trajectory(ies) in {out} "
        f"(progress in {progress}); rerun the same command to collect the rest",
    )
    [first] = [json.loads(line) for line in out.read_text().splitlines()]
    assert first["instance_id"] == "acme__calc-1" and first["resolved"] is True
    assert progress.read_text().splitlines()[1:] == ["acme__calc-1#0\tresolved"]

    teacher.slow = False
    rerun = signals.run(_collect_args(instances, repos, out, teacher.url))
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    assert "resuming: 1 episode(s) already finished" in rerun.stdout
    assert rerun.stdout.count("[resolved]") == 2  # the first is not collected again
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert records[0] == first
    assert [r["instance_id"] for r in records] == ["acme__calc-1", "acme__calc-2", "acme__calc-3"]


def test_collect_resuming_with_other_settings_is_one_clear_line(task, tmp_path, teacher):
    instance, repos = task
    instances = signals.write_numbered_instances(tmp_path, instance, ["add is wrong"])
    out = tmp_path / "traj.jsonl"
    progress = tmp_path / "traj.jsonl.progress"
    progress.write_text(
        '# settings {"policy": "openai", "seed": 0, "max_steps": 4, "run_id": "", "model": "x"}\n'
    )
    done = signals.run(_collect_args(instances, repos, out, teacher.url), timeout=120)
    assert done.returncode == 1
    [line] = done.stderr.strip().splitlines()
    assert line == (
        f"error: {out} holds episodes collected with other settings (model 'x' -> 'stand-in'); "
        "pass --no-resume to start it afresh, or give another --out"
    )
