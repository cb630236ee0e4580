"""Replaying a hand-written expert trajectory on a real container reproduces it exactly."""

from __future__ import annotations

import json

import pytest

from env.demo_task import demo_trajectory
from env.replay import ReplayConfig, replay_all, write_replay_outputs
from env.repo_env import RepoEnv

pytestmark = pytest.mark.docker


def test_replay_reproduces_every_step_and_ends_with_gold_patch_and_passing_tests(
    docker_client, instance_image, task, image_config, tmp_path
):
    instance, _ = task
    trajectory = demo_trajectory()
    results = replay_all(
        [trajectory],
        {instance.instance_id: instance},
        lambda: RepoEnv(docker_client, image_config),
        ReplayConfig(workers=1),
    )
    fresh, report = results[0]
    assert report.error == ""
    assert report.steps_run == len(trajectory.steps)
    assert report.similarities == [1.0] * len(trajectory.steps), [s.observation for s in fresh.steps]
    assert report.first_divergent_step is None
    assert report.patch_matches_gold
    assert report.fail_to_pass_passed and report.pass_to_pass_passed
    assert fresh.resolved is True

    paths = write_replay_outputs(tmp_path, results)
    from agent.formats import read_trajectories

    read_back = read_trajectories(str(paths["replayed"]))
    assert read_back.kept == 1 and not read_back.skipped
    assert [s.action for s in read_back.trajectories[0].steps] == [s.action for s in fresh.steps]
    assert [s.observation for s in read_back.trajectories[0].steps] == [s.observation for s in fresh.steps]
    assert json.loads(paths["report"].read_text())["first_divergent_step"] is None


def test_instance_image_hides_the_future_commits(docker_client, instance_image):
    out = docker_client.containers.run(
        instance_image,
        ["bash", "-c", "cd /testbed && git log --all --oneline | wc -l && git status --short"],
        network_mode="none",
        remove=True,
    ).decode()
    assert out.split() == ["1"]
