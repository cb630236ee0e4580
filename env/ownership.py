"""Who made a container, whether that run is still alive, the removal of dead runs' leftovers, and
the options every container of the project carries (owner labels, a capped log).

Every container the project makes carries the owning process as labels: ``srl-trainer.session`` =
``pid@host`` and ``srl-trainer.started`` = the process's start time (clock ticks after boot, from
``/proc/PID/stat``). The start time tells a dead run from a live one whose pid was reused. A run is
judged only on the host that made it: another host's pids mean nothing here, so its containers are
"foreign" and kept (``cleanup --all`` removes them).

:func:`sweep_dead_runs` runs once per process, when its first sandbox is made: a run killed with
SIGKILL (no handler runs) loses its containers at the next run on the same host.
"""

from __future__ import annotations

import os
import socket
import threading
from dataclasses import dataclass

LABEL_KEY = "srl-trainer.owner"  # every image and container the project makes carries it
SESSION_LABEL = "srl-trainer.session"  # pid@host of the process that made the container
STARTED_LABEL = "srl-trainer.started"  # that process's start time, in clock ticks after boot
HOST = socket.gethostname()
SESSION = f"{os.getpid()}@{HOST}"
# What PID 1 prints goes to the engine's log file: unbounded by default (10 MB printed became 377 MB
# of log). The json-file driver's rotation keeps one file of at most 1 MB.
LOG_CONFIG = {"Type": "json-file", "Config": {"max-size": "1m", "max-file": "1"}}


def process_start_ticks(pid: int) -> str | None:
    """The start time of process ``pid`` (field 22 of /proc/PID/stat), or None when no such process."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            text = stat.read()
    except FileNotFoundError:
        return None
    except OSError:  # no /proc (not Linux): only whether the pid exists can be told
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            pass
        return ""
    # The command name (field 2) may hold spaces and parentheses: count fields after its last ')'.
    return text.rsplit(")", 1)[1].split()[19]


def owner_labels() -> dict[str, str]:
    """The labels naming this process as a container's owner."""
    return {SESSION_LABEL: SESSION, STARTED_LABEL: _STARTED}


def run_state(labels: dict[str, str]) -> str:
    """``live``, ``dead``, ``foreign`` (made on another host) or ``unknown`` (no owner label)."""
    pid, _, host = (labels.get(SESSION_LABEL) or "").partition("@")
    if not pid.isdigit() or not host:
        return "unknown"
    if host != HOST:
        return "foreign"
    started = process_start_ticks(int(pid))
    if started is None:
        return "dead"
    recorded = labels.get(STARTED_LABEL, "")
    return "dead" if recorded and started and recorded != started else "live"  # reused pid: dead


_STARTED = process_start_ticks(os.getpid()) or ""


@dataclass(frozen=True)
class Leftover:
    """One project container and the state of the run that made it."""

    id: str
    name: str
    session: str
    state: str  # live | dead | foreign | unknown


def project_containers(client, session: str = "") -> list[Leftover]:
    """Every container with the project's label (one list call), or only those of ``session``."""
    label = f"{SESSION_LABEL}={session}" if session else LABEL_KEY
    rows = client.api.containers(all=True, filters={"label": label})
    found = []
    for row in rows:
        labels = row.get("Labels") or {}
        if LABEL_KEY not in labels:
            continue
        name = (row.get("Names") or ["?"])[0].lstrip("/")
        found.append(Leftover(row["Id"], name, labels.get(SESSION_LABEL, ""), run_state(labels)))
    return found


def remove_containers(client, leftovers: list[Leftover]) -> int:
    """Force-remove ``leftovers``; one removed meanwhile (by its owner, another sweep) is not counted."""
    import docker.errors

    removed = 0
    for leftover in leftovers:
        try:
            client.api.remove_container(leftover.id, force=True)
            removed += 1
        except docker.errors.NotFound:
            pass
        except docker.errors.APIError as error:
            if error.status_code != 409:  # 409: removal already in progress elsewhere
                raise
    return removed


_SWEPT = threading.Event()
_SWEEP_LOCK = threading.Lock()


def sweep_dead_runs(client) -> int:
    """Remove the containers of dead runs of this host, once per process; returns how many.

    Cheap (one list call) and never fatal: an engine hiccup here must not stop the run itself.
    """
    import docker.errors

    with _SWEEP_LOCK:
        if _SWEPT.is_set():
            return 0
        _SWEPT.set()
        try:
            return remove_containers(client, [c for c in project_containers(client) if c.state == "dead"])
        except docker.errors.DockerException:
            return 0
