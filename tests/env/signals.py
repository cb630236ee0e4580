"""Helpers for the interrupt tests: run a command as a real subprocess, wait until it has written
its first result, signal it and time how long it takes to stop."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from env.sandbox import SESSION_LABEL

REPO = Path(__file__).resolve().parents[2]
STOP_WITHIN = 10.0  # seconds from the signal to the exit, as the commands promise


def start(args: list[str], log_dir: Path, name: str = "run") -> subprocess.Popen:
    """``python -m srl_trainer.swe ARGS`` in the background; output to files (a full pipe would
    block the process and so its exit)."""
    stdout = (log_dir / f"{name}.out").open("w")
    stderr = (log_dir / f"{name}.err").open("w")
    return subprocess.Popen(
        [sys.executable, "-m", "srl_trainer.swe", *args], cwd=REPO, stdout=stdout, stderr=stderr, text=True
    )


def run(args: list[str], timeout: float = 300) -> subprocess.CompletedProcess:
    """``python -m srl_trainer.swe ARGS`` to its end, output captured."""
    command = [sys.executable, "-m", "srl_trainer.swe", *args]
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=timeout)


def output(log_dir: Path, name: str = "run") -> tuple[str, str]:
    return (log_dir / f"{name}.out").read_text(), (log_dir / f"{name}.err").read_text()


def wait_until(condition: Callable[[], bool], process: subprocess.Popen, timeout: float, what: str) -> None:
    """Poll ``condition`` until it holds; fail when the process ends or ``timeout`` passes first."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert process.poll() is None, f"the command ended (status {process.returncode}) before {what}"
        assert time.monotonic() < deadline, f"no {what} within {timeout} s"
        time.sleep(0.2)


def signal_and_time(process: subprocess.Popen, signum: int) -> tuple[int, float]:
    """Send ``signum``; (exit status, seconds until the process ended). Kills it after 60 s."""
    sent = time.monotonic()
    os.kill(process.pid, signum)
    try:
        code = process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    seconds = time.monotonic() - sent
    print(f"signal {signum} -> exit {code} in {seconds:.2f} s")  # shown with pytest -s
    return code, seconds


def session_containers(client, pid: int) -> list:
    """Containers (running or not) made by the process ``pid`` of this host."""
    label = f"{SESSION_LABEL}={pid}@{socket.gethostname()}"
    return client.containers.list(all=True, filters={"label": label})


def line_count(path: Path) -> int:
    return len(path.read_text().splitlines()) if path.is_file() else 0
