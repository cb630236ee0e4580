"""`python -m srl_trainer.swe cleanup` removes what a crashed run left behind."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from env.images import LABEL_KEY
from env.sandbox import SESSION_LABEL

pytestmark = pytest.mark.docker
REPO = Path(__file__).resolve().parents[2]


def test_cleanup_command_removes_containers_a_killed_run_left(docker_client, base_image):
    crashed = "999999@crashed-host"  # a session no live process has
    labels = {LABEL_KEY: "sandbox", SESSION_LABEL: crashed}
    for _ in range(2):
        docker_client.containers.run(
            base_image, ["sleep", "infinity"], detach=True, network_mode="none", labels=labels
        )
    done = subprocess.run(
        [sys.executable, "-m", "srl_trainer.swe", "cleanup", "--session", crashed],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "removed 2 container(s)"
    left = docker_client.containers.list(all=True, filters={"label": f"{SESSION_LABEL}={crashed}"})
    assert left == []
