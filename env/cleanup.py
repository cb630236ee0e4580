"""Leave no container behind: removal on SIGINT/SIGTERM/exit, and a sweep by the project label.

Sandboxes remove their own container on ``close()`` (and RepoEnv/replay close them in ``finally``
blocks). These handlers cover the rest: SIGTERM is turned into KeyboardInterrupt so the same
``finally`` blocks run, and an atexit hook removes whatever is still registered as live.
"""

from __future__ import annotations

import atexit
import signal
import threading

from env.images import LABEL_KEY
from env.sandbox import SESSION_LABEL, close_all_sandboxes


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def install_cleanup_handlers() -> None:
    """Make SIGTERM behave like Ctrl-C and remove live containers at interpreter exit.

    Call from the main thread of a command that creates sandboxes.
    """
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _raise_interrupt)
    atexit.register(close_all_sandboxes)


def remove_project_containers(client, include_images: bool = False, session: str = "") -> tuple[int, int]:
    """Force-remove every container carrying the project's label (any process), or only those of
    one ``session`` (``pid@host``); with ``include_images`` also the project's images.
    Returns (containers, images) removed."""
    import docker.errors

    label = f"{SESSION_LABEL}={session}" if session else LABEL_KEY
    containers = client.containers.list(all=True, filters={"label": label})
    for container in containers:
        try:
            container.remove(force=True)
        except docker.errors.NotFound:  # removed meanwhile by its owner
            pass
    images = 0
    if include_images:
        for image in client.images.list(filters={"label": LABEL_KEY}):
            try:
                client.images.remove(image.id, force=True)
                images += 1
            except docker.errors.APIError:  # still used by a container of another tool
                pass
    return len(containers), images
