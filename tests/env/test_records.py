"""One record writer: a replayed trajectory and a collected episode read back into the same steps."""

from __future__ import annotations

import json

from agent.formats import read_trajectories
from agent.loop import run_agent, unlimited
from agent.records import native_record
from env.demo_task import demo_trajectory
from env.instances import Instance
from env.replay import ReplayConfig, replay_trajectory, write_replay_outputs

INSTANCE = Instance("acme__calc-1", "acme/calc", "0" * 40, problem_statement="add(2, 3) returns -1.")


class RecordedEnv:
    """Answers each action with the demo recording's observation (in order), like a faithful sandbox."""

    def __init__(self, trajectory) -> None:
        self.trajectory = trajectory

    def reset(self, instance, workspace=None) -> str:
        self.answers = iter(self.trajectory.steps)
        return self.trajectory.problem

    def step(self, action):
        step = next(self.answers)
        assert step.action == action
        return step.observation, action.tool == "finish"

    def patch(self) -> str:
        return "diff --git a/calc/__init__.py b/calc/__init__.py\n"


class ReplayPolicy:
    """Collect's policy protocol answering with the recorded (thought, action) pairs."""

    def __init__(self, trajectory) -> None:
        self.steps = iter(trajectory.steps)

    def reset(self, instance) -> None:
        pass

    def act(self, context, observation):
        step = next(self.steps)
        return step.thought, step.action


def test_replayed_and_collected_records_are_written_alike_and_read_back_to_the_same_steps(tmp_path):
    trajectory = demo_trajectory()
    replayed, _ = replay_trajectory(
        RecordedEnv(trajectory), trajectory, INSTANCE, ReplayConfig(run_tests=False)
    )
    paths = write_replay_outputs(tmp_path / "replay", [(replayed, _)])
    collected = run_agent(
        RecordedEnv(trajectory), INSTANCE, ReplayPolicy(trajectory), unlimited(10), keep_replies=True
    )
    assert collected.ended_by == "finish"
    collected.resolved = None  # as replayed without a test run
    collect_path = tmp_path / "collected.jsonl"
    collect_path.write_text(json.dumps(native_record(collected, "replay"), ensure_ascii=False) + "\n")

    replay_line = paths["replayed"].read_text()
    assert json.loads(replay_line) == json.loads(collect_path.read_text())  # one layout, byte for byte
    read = [read_trajectories(str(path)) for path in (paths["replayed"], collect_path)]
    assert all(r.kept == 1 and not r.skipped for r in read)
    steps = [[(s.thought, s.action, s.observation) for s in r.trajectories[0].steps] for r in read]
    assert steps[0] == steps[1] == [(s.thought, s.action, s.observation) for s in trajectory.steps]
    record = json.loads(replay_line)
    assert record["test_result"]["git_patch"].startswith("diff --git")
    assert [m["tool_call_id"] for m in record["messages"] if m["role"] == "tool"][0] == "call_000"
    assert record["messages"][-1]["role"] == "assistant"  # finish has no observation turn
