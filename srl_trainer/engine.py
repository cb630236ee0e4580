"""The Docker engine for the commands that run sandboxes: a connected client, or one CliError line."""

from __future__ import annotations

from srl_trainer.errors import CliError

START_ENGINE = "start dockerd (see .ci/setup_docker.sh)"


def docker_client(hint: str = START_ENGINE):
    """``docker.from_env()`` after a ping; without a reachable engine, one line ending in ``hint``."""
    import docker

    try:
        client = docker.from_env()
        client.ping()
    except Exception as error:  # no engine, no permission, a stale socket: nothing can run
        raise CliError(f"no Docker engine reachable ({type(error).__name__}); {hint}") from None
    return client
