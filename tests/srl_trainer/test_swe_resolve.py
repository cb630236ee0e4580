"""The resolve rate on the embedded held-out instances: real containers, the real loop, swebench grading.

An untrained tiny model never emits a valid action, so it resolves nothing; a scripted policy that
applies each instance's gold patch with `git apply` and finishes resolves everything it plays.
"""

from __future__ import annotations

import base64
import json

import pytest

from agent.actions import BashAction, FinishAction
from agent.loop import AgentConfig
from srl_trainer.evaluation.swe_resolve import resolve_rate
from tests.env.conftest import docker_client  # noqa: F401

pytestmark = pytest.mark.docker

KEYS = {"instances", "resolved", "resolve_rate", "nonempty_patches", "ended_by"}


class GoldPatchPolicy:
    """Applies the instance's gold patch through execute_bash, then finishes."""

    def reset(self, instance) -> None:
        # base64 carries the patch through the shell intact, whatever quotes or heredoc words it holds.
        encoded = base64.b64encode(instance.patch.encode()).decode()
        apply = BashAction(f"cd /testbed && echo {encoded} | base64 -d | git apply")
        self.replies = iter([("Apply the known fix.", apply), ("Done.", FinishAction())])

    def act(self, context, observation):
        return next(self.replies)


def test_an_untrained_model_resolves_nothing(docker_client, tmp_path):  # noqa: F811
    from srl_trainer.models import build_tiny_model, load_model

    model, tokenizer = load_model(str(build_tiny_model(tmp_path / "tiny")))
    model.train()  # as the trainer holds it
    score = resolve_rate(model, tokenizer, count=2, agent_config=AgentConfig(max_steps=2), max_new_tokens=16)
    assert set(score) == KEYS
    assert score["instances"] == 2 and score["resolved"] == 0 and score["resolve_rate"] == 0.0
    assert score["nonempty_patches"] == 0 and score["ended_by"] == {"step_limit": 2}
    assert model.training  # the trainer gets its model back in the mode it was in


def test_the_gold_patch_is_resolved(docker_client):  # noqa: F811
    score = resolve_rate(
        None, None, count=2, agent_config=AgentConfig(max_steps=4), workers=2, complete=GoldPatchPolicy()
    )
    assert score == {
        "instances": 2,
        "resolved": 2,
        "resolve_rate": 1.0,
        "nonempty_patches": 2,
        "ended_by": {"finish": 2},
    }


def test_without_a_docker_engine_train_reports_the_resolve_rate_as_not_measured_and_goes_on(
    tmp_path, monkeypatch, capsys
):
    """The README main job scores held-out instances when an engine answers; on a machine without
    one it must still run, and say which number it could not measure."""
    from srl_trainer.cli import main

    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/nobody-listens.sock")
    tiny = ["--method", "sft", "--sft-max-steps", "1", "--max-train-steps", "8", "--max-eval-steps", "2"]
    tiny += ["--eval-max-new-tokens", "8", "--eval-resolve", "2"]
    out = tmp_path / "run"
    assert main(["train", *tiny, "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "resolve rate: not measured (no Docker engine reachable" in printed
    summary = json.loads((out / "summary.json").read_text())
    assert "no Docker engine reachable" in summary["after_sft"]["resolve"]["not_measured"]
