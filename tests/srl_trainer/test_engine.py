"""Commands that need Docker say so in one line when no engine answers (a socket nobody listens on)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from srl_trainer.engine import docker_client
from srl_trainer.errors import CliError
from tests.conftest import REPO


def test_no_engine_is_one_line_with_the_hint(tmp_path, monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-engine.sock")
    with pytest.raises(CliError, match=r"^no Docker engine reachable \(\w+\); or pass --no-verify$"):
        docker_client("or pass --no-verify")


def test_a_docker_command_without_an_engine_exits_1_with_one_line(tmp_path):
    env = {**os.environ, "DOCKER_HOST": f"unix://{tmp_path}/no-engine.sock"}
    command = [sys.executable, "-m", "srl_trainer.swe", "cleanup"]
    result = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True)
    assert result.returncode == 1
    (line,) = result.stderr.strip().splitlines()
    assert "no Docker engine reachable" in line and "start dockerd" in line
