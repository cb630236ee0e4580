"""`solve` as a real subprocess: its output folder, results written as each instance ends, what
Ctrl-C / SIGTERM in the middle leaves behind, and the rerun that finishes the rest.

The model is a stand-in OpenAI-compatible endpoint served from this test process: it answers
``finish`` at once, except on the instance whose problem says SLOW, where it first runs
``sleep 30`` in the sandbox (until the test switches it off for the rerun).
"""

from __future__ import annotations

import json
import signal

import pytest

from tests.env import signals
from tests.env.stand_in import FINISH, StandInModel

pytestmark = pytest.mark.docker


@pytest.fixture
def stand_in():
    model = StandInModel([FINISH])
    yield model
    model.close()


def _solve_args(instances, repos, out, url) -> list[str]:
    return ["solve", "--instances", str(instances), "--repos", str(repos), "--out", str(out),
            "--base-url", url, "--served-model", "stand-in", "--max-steps", "3"]  # fmt: skip


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_stops_solve_within_seconds_keeping_finished_predictions_and_a_rerun_resumes(
    docker_client, instance_image, task, tmp_path, stand_in, signum
):
    instance, repos = task
    instances = signals.write_numbered_instances(
        tmp_path, instance, ["add is wrong", "SLOW: add is wrong", "add is wrong"]
    )
    out = tmp_path / "not" / "yet" / "preds.jsonl"  # solve makes the folder, parents too
    trajectories = out.with_suffix(".trajectories.jsonl")
    stopped = signals.stop_in_the_slow_sleep(
        _solve_args(instances, repos, out, stand_in.url), tmp_path, stand_in, signum
    )
    signals.assert_stopped_cleanly(
        stopped,
        docker_client,
        f"interrupted: 1 of 3 instance(s) solved, predictions in {out}, trajectories in {trajectories}; "
        "rerun the same command to solve the rest",
    )
    [first] = [json.loads(line) for line in out.read_text().splitlines()]
    assert first["instance_id"] == "acme__calc-1" and first["model_patch"] == ""
    assert json.loads(trajectories.read_text())["instance_id"] == "acme__calc-1"

    stand_in.slow = False
    rerun = signals.run(_solve_args(instances, repos, out, stand_in.url))
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    assert "solved 2 instance(s) (1 already done); ended by: finish 2" in rerun.stdout
    predictions = [json.loads(line) for line in out.read_text().splitlines()]
    assert predictions[0] == first  # not redone
    assert [p["instance_id"] for p in predictions] == ["acme__calc-1", "acme__calc-2", "acme__calc-3"]
    assert len(trajectories.read_text().splitlines()) == 3
    assert f"predictions: {out}" in rerun.stdout


def test_solve_where_every_instance_errors_exits_1_with_a_summary_and_prints_no_unwritten_path(
    task, tmp_path, stand_in
):
    instance, _ = task
    instances = signals.write_numbered_instances(tmp_path, instance, ["add is wrong", "add is wrong"])
    out = tmp_path / "deep" / "preds.jsonl"
    done = signals.run(_solve_args(instances, tmp_path / "no-repos", out, stand_in.url))
    assert done.returncode == 1
    assert (
        done.stderr.strip()
        .splitlines()[-1]
        .startswith(
            "error: every one of the 2 instance(s) ended with an error, nothing was written; the first: "
        )
    )
    assert str(out) not in done.stdout and not out.exists() and out.parent.is_dir()
