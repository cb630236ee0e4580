"""One run per output: a second command on a folder or file in use stops at once with one line.

Two runs writing one folder mix their evidence (one run's outcome.json beside the other's
patch.diff); two runs appending to one predictions file interleave their records.
The lock is ``fcntl.flock`` on a file in the folder: the kernel drops it when the
holding process ends, however it ends (a SIGKILL included), so a killed run never blocks the next
and there is no stale lock to clean up. The file holds who took it (pid, host, start time,
command), which the refusal names.
"""

from __future__ import annotations

import fcntl
import os
import socket
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from srl_trainer.errors import CliError

LOCK_NAME = ".srl-trainer.lock"


@contextmanager
def folder_lock(folder: str | Path, flag: str = "--out") -> Iterator[Path]:
    """Hold ``folder``'s lock (making the folder) for the ``with`` body; CliError naming the
    holder when another process holds it. ``flag`` is the option that chose the folder."""
    folder = Path(folder)
    with _held(folder, folder / LOCK_NAME, flag):
        yield folder


@contextmanager
def file_lock(file: str | Path, flag: str = "--out") -> Iterator[Path]:
    """The same for an output file (a predictions file that runs append to): its lock is a hidden
    ``.NAME.lock`` beside it, so runs writing other files of the folder go on side by side."""
    file = Path(file)
    with _held(file, file.parent / f".{file.name}.lock", flag):
        yield file


@contextmanager
def _held(target: Path, lock: Path, flag: str) -> Iterator[None]:
    try:
        lock.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as error:
        raise CliError(f"cannot use {flag} {target}: {error.strerror or error}") from None
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:  # BlockingIOError: held by another process
        holder = os.pread(descriptor, 4096, 0).decode("utf-8", "replace").strip() or "another process"
        os.close(descriptor)
        raise CliError(
            f"{flag} {target} is in use by another run ({holder}); wait for it to end, or give another {flag}"
        ) from None
    started = time.strftime("%Y-%m-%d %H:%M:%S %Z", time.localtime())
    command = sys.argv[1] if len(sys.argv) > 1 else "srl-trainer"
    holder = f"pid {os.getpid()} on {socket.gethostname()}, {command}, started {started}"
    os.ftruncate(descriptor, 0)
    os.pwrite(descriptor, holder.encode(), 0)
    try:
        yield
    finally:
        os.close(descriptor)  # closing the last descriptor releases the flock
