"""Fixtures for the trainer tests: the Docker fixtures of tests/env (engine, images, the demo task)."""

from __future__ import annotations

from tests.env.conftest import (  # noqa: F401 - the same fixtures, re-exported
    base_image,
    docker_client,
    image_config,
    instance_image,
    task,
)
