"""Replaying a hand-written expert trajectory on a real container reproduces it exactly."""

from __future__ import annotations

import json

import pytest

from agent.actions import BashAction, EditorAction, FinishAction
from agent.trajectory import Step, Trajectory
from env.replay import ReplayConfig, replay_all, write_replay_outputs
from env.repo_env import RepoEnv

pytestmark = pytest.mark.docker

WS = "/workspace/acme__calc__1.0"
FILE = f"{WS}/calc/__init__.py"


def expert_trajectory() -> Trajectory:
    """What an OpenHands run on the calc task would have recorded (old bash-tool framing)."""
    steps = [
        Step(
            "Look at the repository.",
            EditorAction(command="view", path=WS),
            "Here's the files and directories up to 2 levels deep in "
            f"{WS}, excluding hidden items:\n{WS}\n{WS}/calc\n{WS}/calc/__init__.py\n"
            f"{WS}/tests\n{WS}/tests/test_sub.py",
        ),
        Step(
            "Open the module.",
            EditorAction(command="view", path=FILE, view_range=(1, 3)),
            f"Here's the result of running `cat -n` on {FILE}:\n"
            '     1\tdef add(a, b):\n     2\t    """Sum of a and b."""\n     3\t    return a - b\n',
        ),
        Step(
            "add subtracts; fix it.",
            EditorAction(
                command="str_replace",
                path=FILE,
                old_str='"""Sum of a and b."""\n    return a - b',
                new_str='"""Sum of a and b."""\n    return a + b',
            ),
            f"The file {FILE} has been edited. Here's the result of running `cat -n` on a "
            f"snippet of {FILE}:\n"
            '     1\tdef add(a, b):\n     2\t    """Sum of a and b."""\n     3\t    return a + b\n'
            "     4\t\n     5\t\n     6\tdef sub(a, b):\n     7\t    return a - b\n"
            "Review the changes and make sure they are as expected. "
            "Edit the file again if necessary.",
        ),
        Step(
            "Check it.",
            BashAction(command="python3 -c 'import calc; print(calc.add(2, 3))'"),
            "python3 -c 'import calc; print(calc.add(2, 3))'\r\n5[Python Interpreter: "
            "/opt/miniconda3/envs/testbed/bin/python]\nroot@openhands-workspace:"
            f"{WS} # \n[Command finished with exit code 0]",
        ),
        Step("Done.", FinishAction(), ""),
    ]
    problem = f"<uploaded_files>\n{WS}\n</uploaded_files>\nadd(2, 3) returns -1 instead of 5."
    return Trajectory(problem=problem, steps=steps, instance_id="acme__calc-1", resolved=True)


def test_replay_reproduces_every_step_and_ends_with_gold_patch_and_passing_tests(
    docker_client, instance_image, task, image_config, tmp_path
):
    instance, _ = task
    trajectory = expert_trajectory()
    results = replay_all(
        [trajectory],
        {instance.instance_id: instance},
        lambda: RepoEnv(docker_client, image_config),
        ReplayConfig(workers=1),
    )
    fresh, report = results[0]
    assert report.error == ""
    assert report.steps_run == len(trajectory.steps)
    assert report.similarities == [1.0] * len(trajectory.steps), [
        s.observation for s in fresh.steps
    ]
    assert report.first_divergent_step is None
    assert report.patch_matches_gold
    assert report.fail_to_pass_passed and report.pass_to_pass_passed
    assert fresh.resolved is True

    paths = write_replay_outputs(tmp_path, results)
    from agent.formats import read_trajectories

    read_back = read_trajectories(str(paths["replayed"]))
    assert read_back.kept == 1 and not read_back.skipped
    assert [s.action for s in read_back.trajectories[0].steps] == [s.action for s in fresh.steps]
    assert [s.observation for s in read_back.trajectories[0].steps] == [
        s.observation for s in fresh.steps
    ]
    assert json.loads(paths["report"].read_text())["first_divergent_step"] is None


def test_instance_image_hides_the_future_commits(docker_client, instance_image):
    out = docker_client.containers.run(
        instance_image,
        ["bash", "-c", "cd /testbed && git log --all --oneline | wc -l && git status --short"],
        network_mode="none",
        remove=True,
    ).decode()
    assert out.split() == ["1"]
