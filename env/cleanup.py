"""Leave no container behind: removal on SIGINT/SIGTERM/exit, and the removal of dead runs' leftovers.

Sandboxes remove their own container on ``close()`` (and RepoEnv/replay close them in ``finally``
blocks). These handlers cover the rest: SIGTERM is turned into KeyboardInterrupt so the same
``finally`` blocks run, and an atexit hook removes whatever is still registered as live.

SIGKILL runs no handler: the containers of a killed run are removed by the next run on the host
(:func:`env.ownership.sweep_dead_runs`, when its first sandbox is made) or by ``cleanup``
(:func:`clean_leftovers`), which judges each container by the run that made it: only a dead run's
containers go, unless ``everything`` (``--all``) is asked for.
"""

from __future__ import annotations

import atexit
import signal
import threading
from dataclasses import dataclass, field

from env.ownership import LABEL_KEY, Leftover, project_containers, remove_containers
from env.sandbox import close_all_sandboxes


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def install_cleanup_handlers() -> None:
    """Make SIGTERM behave like Ctrl-C and remove live containers at interpreter exit.

    Call from the main thread of a command that creates sandboxes.
    """
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _raise_interrupt)
    atexit.register(close_all_sandboxes)


@dataclass
class Cleanup:
    """What a cleanup removed (or, in a dry run, would remove) and what it left to live runs."""

    removed: list[Leftover] = field(default_factory=list)
    kept: list[Leftover] = field(default_factory=list)
    images: int = 0


def clean_leftovers(
    client, everything: bool = False, session: str = "", dry_run: bool = False, include_images: bool = False
) -> Cleanup:
    """Remove the project's containers of dead runs of this host (all of them with ``everything``),
    only those of ``session`` (``pid@host``) when given; ``dry_run`` removes nothing. With
    ``include_images`` also the project's images (those no running container uses)."""
    import docker.errors

    found = project_containers(client, session)
    chosen = [c for c in found if everything or c.state == "dead"]
    result = Cleanup(chosen, [c for c in found if c not in chosen])
    if not dry_run:
        remove_containers(client, chosen)
    if include_images:
        images = client.images.list(filters={"label": LABEL_KEY})
        if dry_run:
            result.images = len(images)
            return result
        for image in images:
            try:
                client.images.remove(image.id, force=True)
                result.images += 1
            except docker.errors.APIError:  # still used by a running container
                pass
    return result
