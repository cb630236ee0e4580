"""Comparing fresh and recorded observations ignores only the framing, not the content."""

from __future__ import annotations

from env.replay import comparable_observation, find_instance, observation_similarity, workspace_of
from env.repo_env import bash_observation


def test_old_openhands_bash_framing_matches_our_observation():
    command = "grep -n slots attrs.py"
    recorded = (
        "OBSERVATION:\ngrep -n slots attrs.py\r\n297:    slots_default\r\n318:    slots = x"
        "[Python Interpreter: /opt/miniconda3/envs/testbed/bin/python]\n"
        "root@openhands-workspace:/workspace/python__mypy__1.6 # \n"
        "[Command finished with exit code 0]"
    )
    fresh = bash_observation(0, "297:    slots_default\n318:    slots = x\n", False, 120)
    assert observation_similarity(fresh, recorded, command) == 1.0


def test_a_different_exit_code_or_output_lowers_similarity():
    a = bash_observation(0, "ok\n", False, 120)
    assert observation_similarity(a, bash_observation(1, "ok\n", False, 120)) < 1.0
    assert observation_similarity(a, bash_observation(0, "different\n", False, 120)) < 0.9


def test_real_sample_bash_observations_normalise(samples):
    import json

    records = json.loads((samples / "swegym_openhands_sampled.json").read_text())
    tool_messages = [m for r in records for m in r["messages"] if m["role"] == "tool"]
    normalised = [comparable_observation(m["content"]) for m in tool_messages]
    assert not any(n.startswith("OBSERVATION:") or "[Python Interpreter:" in n for n in normalised)


def test_workspace_and_instance_lookup():
    from agent.trajectory import Trajectory
    from env.instances import Instance

    trajectory = Trajectory(problem="<uploaded_files>\n/workspace/python__mypy__1.6\n</uploaded_files>\nfix")
    assert workspace_of(trajectory) == "/workspace/python__mypy__1.6"
    instances = {"python__mypy-15976": Instance("python__mypy-15976", "python/mypy", "abc")}
    assert find_instance(instances, "python__mypy-15976_0") is instances["python__mypy-15976"]


def test_object_addresses_and_pytest_timings_do_not_count_as_divergence():
    recorded = "E  where None = <Config object at 0x7f2e338a4dd0>.get('a')\n1 failed, 24 passed in 0.25s\n"
    fresh = "E  where None = <Config object at 0x7fa50e731150>.get('a')\n1 failed, 24 passed in 0.08s\n"
    assert observation_similarity(fresh, recorded) == 1.0
    # The values around them still count.
    assert observation_similarity(fresh.replace("1 failed", "2 failed"), recorded) < 1.0
    assert observation_similarity(fresh.replace("get('a')", "get('b')"), recorded) < 1.0
