"""RepoEnv episodes: warm reset restores the task exactly, and the workspace alias works."""

from __future__ import annotations

import pytest

from agent.actions import BashAction, EditorAction, FinishAction
from env.repo_env import RepoEnv

pytestmark = pytest.mark.docker


def test_warm_reset_reuses_the_container_and_restores_repo_shell_and_tmp(
    docker_client, instance_image, image_config, task
):
    instance = task[0]
    env = RepoEnv(docker_client, image_config)
    try:
        assert env.reset(instance) == instance.problem_statement
        first = env.sandbox.id
        env.step(BashAction("echo broken > calc/__init__.py && touch junk.py && cd /tmp"))
        env.step(BashAction("export LEFTOVER=1; echo x > /tmp/scratch; sleep 1000 &>/dev/null &"))
        assert env.patch() != ""
        env.reset(instance)
        assert env.sandbox.id == first  # warm: same container
        assert env.patch() == ""
        observation, _ = env.step(
            BashAction('pwd; echo "[$LEFTOVER]"; ls /tmp; ps -eo args | grep -cx "sleep 1000"')
        )
        assert observation == "/testbed\n[]\n0\n[Command finished with exit code 1]"
    finally:
        env.close()
    assert docker_client.containers.list(all=True, filters={"id": first}) == []


def test_workspace_alias_maps_recorded_paths_onto_testbed(docker_client, instance_image, image_config, task):
    env = RepoEnv(docker_client, image_config)
    try:
        env.reset(task[0], workspace="/workspace/acme__calc__1.0")
        observation, _ = env.step(BashAction("pwd && ls"))
        assert observation == "/workspace/acme__calc__1.0\ncalc\ntests\n[Command finished with exit code 0]"
        path = "/workspace/acme__calc__1.0/calc/__init__.py"
        observation, _ = env.step(EditorAction(command="view", path=path, view_range=(1, 1)))
        assert observation.startswith(f"Here's the result of running `cat -n` on {path}:")
        assert env.step(FinishAction()) == ("", True)
    finally:
        env.close()


def test_non_root_agent_can_edit_again_after_a_warm_reset(docker_client, instance_image, image_config, task):
    from env.repo_env import REPO_ROOT
    from env.sandbox import SandboxConfig

    env = RepoEnv(docker_client, image_config, SandboxConfig(workdir=REPO_ROOT, user="1000:1000"))
    path = "/testbed/calc/__init__.py"
    edit = EditorAction(
        command="str_replace", path=path, old_str="return a - b\n\n\n", new_str="return a + b\n\n\n"
    )
    try:
        for _ in range(2):  # the second episode runs on the warm container, after git ran as root
            env.reset(task[0])
            observation, _ = env.step(edit)
            assert observation.startswith(f"The file {path} has been edited."), observation
            assert env.step(BashAction("id -u"))[0].startswith("1000\n")
    finally:
        env.close()


@pytest.mark.parametrize("wreck", ["rm -rf", "container killed"])
def test_a_warm_reset_replaces_a_dead_container_with_a_fresh_one(
    docker_client, instance_image, image_config, task, wreck
):
    from env.sandbox import SandboxBroken

    env = RepoEnv(docker_client, image_config)
    try:
        env.reset(task[0])
        first = env.sandbox.id
        if wreck == "rm -rf":
            env.step(BashAction("rm -rf --no-preserve-root / 2>/dev/null"))
            with pytest.raises(SandboxBroken):  # the episode learns its sandbox is gone
                env.step(BashAction("ls"))
        else:
            env.sandbox.container.kill()
        for _ in range(2):  # and every later reset works, warm again after the first
            env.reset(task[0])
            assert env.step(BashAction("grep -c def calc/__init__.py"))[0].startswith("2\n")
        assert env.sandbox.id != first
    finally:
        env.close()
    assert docker_client.containers.list(all=True, filters={"id": first}) == []
