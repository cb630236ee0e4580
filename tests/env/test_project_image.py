"""The project's own Dockerfile builds offline from a wheelhouse and its CLI runs inside."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import REPO

pytestmark = [pytest.mark.docker, pytest.mark.slow]


def test_project_image_builds_from_wheelhouse_and_runs_the_cli(docker_client, base_image):
    # The wheelhouse is resolved here (PyPI); the image build itself uses no index at all.
    subprocess.run(
        ["bash", "scripts/build_wheelhouse.sh", sys.executable], cwd=REPO, check=True, timeout=1800
    )
    tag = "srl-trainer/cli:test"
    image, _ = docker_client.images.build(
        path=str(REPO),
        buildargs={"BASE_IMAGE": base_image},
        tag=tag,
        network_mode="none",
        rm=True,
        forcerm=True,
        labels={"srl-trainer.owner": "project-image-test"},
    )
    try:
        output = docker_client.containers.run(
            tag,
            ["--help"],
            network_disabled=True,
            remove=True,
            labels={"srl-trainer.owner": "test"},
        ).decode()
        assert "prepare" in output and "Supervised Reinforcement Learning" in output
        output = docker_client.containers.run(
            tag, ["prepare", "--help"], network_disabled=True, remove=True
        ).decode()
        assert "--trajectories" in output
    finally:
        docker_client.images.remove(image.id, force=True)
