"""`python -m srl_trainer.swe replay` end to end, and what a SIGINT in the middle leaves behind."""

from __future__ import annotations

import json
import signal
import time
from dataclasses import replace
from pathlib import Path

import pytest

from agent.actions import BashAction
from agent.records import native_record
from agent.trajectory import Step
from env.demo_task import demo_trajectory
from env.instances import instance_record
from tests.env import signals

pytestmark = pytest.mark.docker


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


def _replay_args(trajectories: Path, instances: Path, repos: Path, out: Path) -> list[str]:
    return [
        "replay", "--trajectories", str(trajectories), "--instances", str(instances),
        "--repos", str(repos), "--out", str(out), "--workers", "1",
    ]  # fmt: skip


def test_replay_command_writes_replayed_trajectories_report_and_summary(instance_image, task, tmp_path):
    instance, repos = task
    trajectories, instances = _write_inputs(tmp_path, instance, demo_trajectory())
    out = tmp_path / "out"
    done = signals.run(_replay_args(trajectories, instances, repos, out), timeout=300)
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
    done = signals.run(
        _replay_args(trajectories, instances, tmp_path / "nowhere", tmp_path / "out"), timeout=120
    )
    assert done.returncode == 1
    assert done.stderr.strip().startswith("error: --repos")
    assert len(done.stderr.strip().splitlines()) == 1


def _write_trajectories(path: Path, trajectories) -> None:
    path.write_text("".join(json.dumps(native_record(t, "demo")) + "\n" for t in trajectories))


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_stops_replay_within_seconds_keeping_finished_results_and_a_rerun_resumes(
    docker_client, instance_image, task, tmp_path, signum
):
    """The first trajectory finishes, the second sleeps 15 s in its container: the signal ends the
    run well before the sleep would, the first result stays, and the rerun replays only the rest."""
    instance, repos = task
    fast = demo_trajectory()
    slow = replace(fast, steps=[Step("wait", BashAction(command="sleep 15"), ""), *fast.steps])
    _, instances = _write_inputs(tmp_path, instance, fast)
    trajectories = tmp_path / "three.jsonl"
    _write_trajectories(trajectories, [fast, slow, fast])  # one id three times: keys id, id#1, id#2
    out = tmp_path / "out"
    args = _replay_args(trajectories, instances, repos, out)
    with signals.started(args, tmp_path) as process:
        signals.wait_until(
            lambda: signals.line_count(out / "report.jsonl") == 1, process, 180, "first report"
        )
        signals.wait_for_container(docker_client, process, 60, "container")
        time.sleep(1.0)  # into the `sleep 15` of the second trajectory
        stopped = signals.stop(process, signum, tmp_path)
    signals.assert_stopped_cleanly(
        stopped,
        docker_client,
        f"interrupted: 1 of 3 trajectory(ies) replayed, results in {out / 'report.jsonl'} and "
        f"{out / 'replayed.jsonl'}; rerun the same command to replay the rest",
    )
    [first] = [json.loads(line) for line in (out / "report.jsonl").read_text().splitlines()]
    assert first["trajectory_id"] == instance.instance_id and first["patch_matches_gold"]
    assert len((out / "replayed.jsonl").read_text().splitlines()) == 1

    rerun = signals.run(args, timeout=300)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    assert "skipping 1 trajectory(ies) already replayed" in rerun.stdout
    reports = [json.loads(line) for line in (out / "report.jsonl").read_text().splitlines()]
    assert reports[0] == first  # not redone
    ids = [r["trajectory_id"] for r in reports]
    assert ids == [instance.instance_id, f"{instance.instance_id}#1", f"{instance.instance_id}#2"]
    assert len((out / "replayed.jsonl").read_text().splitlines()) == 3
    assert "3 trajectories" in (out / "summary.md").read_text()
