"""The agent loop on a real container, and `solve` -> `evaluate` end to end with a real tiny model."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from agent.actions import BashAction, EditorAction, FinishAction, render_action
from agent.loop import AgentConfig, oracle_files_note, run_agent
from env.instances import instance_record
from tests.conftest import REPO

pytestmark = pytest.mark.docker


def test_loop_feeds_back_format_errors_and_ends_with_the_patch(docker_client, task, image_config):
    """A deterministic stand-in for the model (a list of replies) drives the real loop and sandbox."""
    from env.repo_env import RepoEnv

    instance, _ = task
    replies = iter(
        [
            "I will just fix it.",  # no </think>: a format error the loop reports back
            "<think>read</think>"
            + render_action(EditorAction(command="view", path="/testbed/calc/__init__.py")),
            "<think>fix</think>"
            + render_action(
                EditorAction(
                    command="str_replace",
                    path="/testbed/calc/__init__.py",
                    old_str="return a - b\n\n\ndef sub",
                    new_str="return a + b\n\n\ndef sub",
                )
            ),
            "<think>done</think>" + render_action(FinishAction()),
        ]
    )
    seen: list[list[dict]] = []

    def complete(messages):
        seen.append(messages)
        return next(replies)

    env = RepoEnv(docker_client, image_config)
    try:
        episode = run_agent(env, instance, complete, AgentConfig(max_steps=10), oracle_files=True)
    finally:
        env.close()
    assert episode.ended_by == "finish" and episode.format_errors == 1
    assert [s.action.tool for s in episode.steps] == ["str_replace_editor", "str_replace_editor", "finish"]
    assert "+    return a + b" in episode.patch
    assert "did not follow the format (no </think>)" in seen[1][-1]["content"]
    assert "The fix belongs in: /testbed/calc/__init__.py" in seen[0][1]["content"]
    # As in training, the model sees its earlier actions in canonical form, not its thoughts.
    assert seen[3][-2]["content"] == render_action(episode.steps[1].action)
    assert seen[3][-1]["content"].startswith(
        "OBSERVATION:\nThe file /testbed/calc/__init__.py has been edited"
    )


def test_loop_stops_at_the_step_limit(docker_client, task, image_config):
    from env.repo_env import RepoEnv

    env = RepoEnv(docker_client, image_config)
    try:
        episode = run_agent(
            env,
            task[0],
            lambda m: "<think>x</think>" + render_action(BashAction("true")),
            AgentConfig(max_steps=3),
        )
    finally:
        env.close()
    assert episode.ended_by == "step_limit" and len(episode.steps) == 3 and episode.patch == ""


def test_oracle_note_names_the_gold_files():
    assert oracle_files_note("diff --git a/x/y.py b/x/y.py\n") == "\n\nThe fix belongs in: /testbed/x/y.py"


def test_solve_then_evaluate_with_the_tiny_model(docker_client, task, tmp_path):
    from srl_trainer.models import build_tiny_model

    instance, repos = task
    row = {**instance_record(instance), "problem_statement": "add is wrong"}
    (tmp_path / "instances.jsonl").write_text(json.dumps(row) + "\n")
    model = build_tiny_model(tmp_path / "tiny")

    def run(*a):
        return subprocess.run(
            [sys.executable, "-m", "srl_trainer.swe", *a],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=600,
        )

    preds = tmp_path / "preds.jsonl"
    solved = run(
        "solve",
        "--instances",
        str(tmp_path / "instances.jsonl"),
        "--model",
        str(model),
        "--repos",
        str(repos),
        "--max-steps",
        "2",
        "--max-new-tokens",
        "16",
        "--out",
        str(preds),
    )
    assert solved.returncode == 0, solved.stderr[-2000:]
    assert "ended by: step_limit 1" in solved.stdout  # an untrained model never emits a valid action
    [prediction] = [json.loads(x) for x in preds.read_text().splitlines()]
    assert prediction["instance_id"] == instance.instance_id and prediction["model_patch"] == ""
    trajectory = json.loads(preds.with_suffix(".trajectories.jsonl").read_text())
    assert trajectory["format_errors"] == 2 and trajectory["resolved"] is None
    again = run(
        "solve",
        "--instances",
        str(tmp_path / "instances.jsonl"),
        "--model",
        str(model),
        "--repos",
        str(repos),
        "--out",
        str(preds),
    )
    assert "solved 0 instance(s) (1 already done)" in again.stdout
    evaluated = run(
        "evaluate",
        "--instances",
        str(tmp_path / "instances.jsonl"),
        "--predictions",
        str(preds),
        "--repos",
        str(repos),
        "--out",
        str(tmp_path / "eval"),
    )
    assert evaluated.returncode == 0, evaluated.stderr[-2000:]
    assert "resolved 0/1 = 0.0%" in evaluated.stdout and "empty_patch" in evaluated.stdout
