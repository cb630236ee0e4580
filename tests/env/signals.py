"""Helpers for the interrupt tests: run a command as a real subprocess, wait until it has written
its first result, signal it, time how long it takes to stop and check what it left behind; and the
instance files and ``train --domain swe`` arguments those commands are given."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from env.instances import Instance, instance_record
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


@contextmanager
def started(args: list[str], log_dir: Path, name: str = "run") -> Iterator[subprocess.Popen]:
    """``start`` for a ``with`` block: a process still running when the block is left (a wait
    failed) is killed."""
    process = start(args, log_dir, name)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


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


@dataclass(frozen=True)
class Stopped:
    """How a signalled command ended: its pid, exit status, seconds from the signal, its stderr."""

    pid: int
    code: int
    seconds: float
    err: str


def stop(process: subprocess.Popen, signum: int, log_dir: Path, name: str = "run") -> Stopped:
    """``signal_and_time`` for a process from ``start``/``started``, with the stderr it wrote."""
    code, seconds = signal_and_time(process, signum)
    return Stopped(process.pid, code, seconds, output(log_dir, name)[1])


def stop_in_the_slow_sleep(args: list[str], log_dir: Path, model, signum: int) -> Stopped:
    """Run the command until it is a second into the ``sleep 30`` that the stand-in ``model``
    (tests.env.stand_in) gives its SLOW instance, then send ``signum``."""
    with started(args, log_dir) as process:
        wait_until(model.slept.is_set, process, 180, "the second instance's sleep")
        time.sleep(1.0)  # into `sleep 30`
        return stop(process, signum, log_dir)


def assert_stopped_cleanly(stopped: Stopped, client, last_line: str, tail: int = 2000) -> None:
    """The promise of every interruptible command: exit status 130 within ``STOP_WITHIN`` seconds,
    ``last_line`` as the last line of stderr (what was kept, how to go on), no container left."""
    assert stopped.code == 130, stopped.err[-tail:]
    assert stopped.seconds < STOP_WITHIN, f"stopped after {stopped.seconds:.1f} s"
    assert stopped.err.strip().splitlines()[-1] == last_line
    assert session_containers(client, stopped.pid) == []


def session_containers(client, pid: int) -> list:
    """Containers (running or not) made by the process ``pid`` of this host."""
    label = f"{SESSION_LABEL}={pid}@{socket.gethostname()}"
    return client.containers.list(all=True, filters={"label": label})


def wait_for_container(client, process: subprocess.Popen, timeout: float, what: str) -> None:
    """Wait until the process ``process`` has a container of its session (``what`` names it)."""
    wait_until(lambda: session_containers(client, process.pid), process, timeout, what)


def write_instances(path: Path, instances: Iterable[Instance]) -> Path:
    """``instances`` as a JSONL instances file at ``path``."""
    path.write_text("".join(json.dumps(instance_record(instance)) + "\n" for instance in instances))
    return path


def write_numbered_instances(log_dir: Path, instance: Instance, problems: list[str]) -> Path:
    """``log_dir``/instances.jsonl with ``instance`` once for each problem statement, ids
    acme__calc-1, acme__calc-2, ..."""
    copies = [
        replace(instance, instance_id=f"acme__calc-{k + 1}", problem_statement=problem)
        for k, problem in enumerate(problems)
    ]
    return write_instances(log_dir / "instances.jsonl", copies)


def swe_train_args(method: str, out: Path, instances: Path, repos: Path, *extra: str) -> list[str]:
    """``train --method METHOD --domain swe`` into ``out``: the embedded sample steps for the SFT/SRL
    phases, ``instances`` with their ``repos`` for RLVR, then ``extra``."""
    from srl_trainer.data.embedded import data_dir

    steps = str(data_dir() / "sample" / "trajectories.json")
    args = ["train", "--method", method, "--domain", "swe", "--out", str(out), "--trajectories", steps]
    return [*args, "--rlvr-instances", str(instances), "--rlvr-repos", str(repos), *extra]


def line_count(path: Path) -> int:
    return len(path.read_text().splitlines()) if path.is_file() else 0
