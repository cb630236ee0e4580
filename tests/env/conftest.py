"""Fixtures for the environment tests: a real Docker engine, the offline base image, a task repo.

Docker tests are marked ``docker``. Without a reachable engine they skip with one line saying so;
with ``SRL_REQUIRE_DOCKER=1`` (set by .ci/run after .ci/setup_docker.sh) they fail instead.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from env.demo_task import build_demo_task
from env.instances import Instance


@pytest.fixture(scope="session")
def docker_client():
    try:
        import docker

        client = docker.from_env()
        client.ping()
    except Exception as error:  # any failure here means: no usable engine on this machine
        reason = f"no Docker engine reachable ({type(error).__name__}); run .ci/setup_docker.sh"
        if os.environ.get("SRL_REQUIRE_DOCKER") == "1":  # CI: the Docker tests must run
            pytest.fail(reason)
        pytest.skip(reason)
    yield client
    from env.images import LABEL_KEY
    from env.sandbox import SESSION, SESSION_LABEL

    # After the whole run, nothing this test session started may be left behind.
    left = client.containers.list(all=True, filters={"label": f"{SESSION_LABEL}={SESSION}"})
    assert not left, f"containers left after the tests: {[c.name for c in left]}"
    builds = client.containers.list(all=True, filters={"label": f"{LABEL_KEY}=image-build"})
    assert not builds, "image-build containers left after the tests"


@pytest.fixture(scope="session")
def base_image(docker_client) -> str:
    from env.images import ImageConfig, ensure_base_image

    return ensure_base_image(docker_client, ImageConfig())


@pytest.fixture(scope="session")
def task(tmp_path_factory) -> tuple[Instance, Path]:
    """The demo calc task (env.demo_task): its instance and the ``--repos`` directory."""
    repos = tmp_path_factory.mktemp("repos")
    return build_demo_task(repos), repos


@pytest.fixture(scope="session")
def image_config(task):
    from env.images import ImageConfig

    return ImageConfig(repos=str(task[1]))


@pytest.fixture(scope="session")
def instance_image(docker_client, base_image, task, image_config):
    from env.images import ensure_instance_image

    tag = ensure_instance_image(docker_client, task[0], image_config)
    yield tag
    # The demo repo is made anew each session (new commit ids), so its image is never reused.
    docker_client.images.remove(tag, force=True)
