"""Where commands run: the :class:`Sandbox` protocol and :class:`DockerSandbox`, one container.

A DockerSandbox is one container per episode: no network, memory/CPU/pids limits, an owner label,
optionally a non-root user. Commands go through one long-lived shell (:mod:`env.shell`), so ``cd``
and ``export`` persist and a round trip costs milliseconds. If the shell dies (the OOM killer, a
command that kills its parent) it is restarted with the saved cwd and exports, so the sandbox stays
usable. Files move through the engine's archive API, which has no output-size limit.
"""

from __future__ import annotations

import contextlib
import io
import os
import socket
import tarfile
import threading
import time
import weakref
from dataclasses import dataclass, field
from typing import Protocol, Self

from env.images import LABEL_KEY
from env.shell import ExecShell, ShellDied, ShellReply, bash_quote

SESSION_LABEL = "srl-trainer.session"  # pid@host of the process that made the container
SESSION = f"{os.getpid()}@{socket.gethostname()}"
SHELL_WRITE_LIMIT = 1 << 20  # larger files go through the archive API


@dataclass
class SandboxConfig:
    """Limits and behaviour of one sandbox container."""

    memory: str = field(default="2g", metadata={"help": "Memory limit (no swap beyond it)."})
    cpus: float = field(default=1.0, metadata={"help": "CPU limit in cores."})
    pids_limit: int = field(default=512, metadata={"help": "Most processes at once (fork bombs)."})
    timeout: int = field(default=120, metadata={"help": "Default seconds a command may run."})
    output_head: int = field(default=30_000, metadata={"help": "Bytes kept from the start of a long output."})
    output_tail: int = field(default=20_000, metadata={"help": "Bytes kept from the end of a long output."})
    user: str = field(default="", metadata={"help": "Run commands as this user (default root)."})
    workdir: str = field(default="/testbed", metadata={"help": "Starting directory of the shell."})
    write_bytecode: bool = field(
        default=False,
        metadata={
            "help": "Let Python write .pyc caches in the sandbox. Off by default: Python trusts a .pyc "
            "whose source has the same size and mtime in whole seconds, so an edit and its undo within "
            "one second (or a same-length fix) can run stale code and make results depend on timing."
        },
    )


@dataclass(frozen=True)
class CommandResult:
    """What one command did: exit code (137 when killed), merged stdout+stderr, and whether the
    in-container timeout or the out-of-memory killer killed it, or the output was cut."""

    exit_code: int
    output: str
    timed_out: bool = False
    truncated: bool = False
    oom_killed: bool = False


class Sandbox(Protocol):
    """An isolated place to run shell commands and read/write files."""

    def run(self, command: str, timeout: float | None = None) -> CommandResult: ...

    def read_file(self, path: str) -> bytes: ...

    def write_file(self, path: str, data: bytes) -> None: ...

    def close(self) -> None: ...


# Live sandboxes of this process, so signal handlers and atexit can remove their containers.
_LIVE: weakref.WeakSet[DockerSandbox] = weakref.WeakSet()
_LIVE_LOCK = threading.Lock()
_SHUTTING_DOWN = threading.Event()


def close_all_sandboxes() -> int:
    """Remove the container of every live sandbox of this process; refuse new ones from now on."""
    _SHUTTING_DOWN.set()
    with _LIVE_LOCK:
        live = list(_LIVE)
    for sandbox in live:
        sandbox.close()
    return len(live)


class DockerSandbox:
    """One container from ``image`` with a long-lived shell in it."""

    def __init__(self, client, image: str, config: SandboxConfig | None = None) -> None:
        if _SHUTTING_DOWN.is_set():
            raise RuntimeError("shutting down: no new sandboxes")
        self.config = config or SandboxConfig()
        self._client = client
        self._shell: ExecShell | None = None
        self._oom_kills = 0  # the memory cgroup's OOM-kill count when last looked at
        self._closed = False
        self.container = client.containers.create(
            image,
            ["sleep", "infinity"],
            network_mode="none",
            mem_limit=self.config.memory,
            memswap_limit=self.config.memory,
            nano_cpus=int(self.config.cpus * 1e9),
            pids_limit=self.config.pids_limit,
            labels={LABEL_KEY: "sandbox", SESSION_LABEL: SESSION},
            init=True,  # reaps zombies left by killed commands
            working_dir=self.config.workdir,
            environment={} if self.config.write_bytecode else {"PYTHONDONTWRITEBYTECODE": "1"},
            detach=True,
        )
        with _LIVE_LOCK:
            _LIVE.add(self)
        try:
            if _SHUTTING_DOWN.is_set():  # close_all_sandboxes ran while the container was made
                raise RuntimeError("shutting down: no new sandboxes")
            self.container.start()
            self._note_main_pid()
            if self.config.user:
                self.exec_as_root(f"chown -R {self.config.user} {self.config.workdir}")
            self._start_shell()
        except BaseException:
            self.close()
            raise

    @property
    def id(self) -> str:
        return self.container.id

    def exec_as_root(self, command: str) -> tuple[int, str]:
        """One-off ``docker exec`` as root, outside the agent's shell (setup and reset work)."""
        code, out = self.container.exec_run(["bash", "-c", command], user="root")
        return code, out.decode("utf-8", errors="replace")

    def _start_shell(self) -> None:
        if self._shell is not None:
            self._shell.close()
        self._shell = ExecShell(
            self._client.api,
            self.container.id,
            user=self.config.user,
            workdir=self.config.workdir,
        )
        if self._closed:  # close() ran on another thread while this shell was being made
            self._shell.close()
            raise RuntimeError("the sandbox was closed")
        self._shell.start()

    def kill_processes(self, then: str = "true") -> tuple[int, str]:
        """Kill every process but init (pid 1) and the container's main ``sleep``, then run the
        shell script ``then`` as root in the same exec (one round trip); returns its result.

        Several passes, because a fork bomb forks while it is being killed. When even that
        exec cannot start (the pids limit is full), the container is restarted (its filesystem,
        and so /testbed, survives a restart) and ``then`` runs after.
        """
        import docker.errors

        marker = "__srl_killed__"
        passes = (
            "for i in 1 2 3 4 5 6; do for d in /proc/[0-9]*; do p=${d#/proc/}; "
            f'[ "$p" -gt 1 ] && [ "$p" != {self._main_pid} ] && [ "$p" != "$$" ] '
            f'&& kill -9 "$p" 2>/dev/null; done; done; echo {marker}; '
        )
        try:
            code, out = self.exec_as_root(passes + then)
        except docker.errors.APIError:
            code, out = -1, ""
        if marker in out:
            return code, out.split(marker + "\n", 1)[-1]
        self.container.restart(timeout=0)
        self._note_main_pid()
        return self.exec_as_root(then)

    def _note_main_pid(self) -> None:
        # The container's main `sleep` (init's only child right after start): killing it would
        # stop the container, so kill_processes spares it.
        self._main_pid = self.exec_as_root("cat /proc/1/task/1/children")[1].split()[0]

    def restart_shell(self, kill_all: bool = False) -> None:
        """Start a fresh shell (cwd and exports come back from the state file). ``kill_all`` first
        kills every other process, e.g. a background job that keeps the output pipe open."""
        if kill_all:
            self.kill_processes()
        self._start_shell()

    def run(self, command: str, timeout: float | None = None) -> CommandResult:
        if self._closed:
            raise RuntimeError("the sandbox is closed")
        timeout = self.config.timeout if timeout is None else timeout
        started = time.monotonic()
        try:
            assert self._shell is not None
            reply = self._shell.run(command, timeout, self.config.output_head, self.config.output_tail)
        except (ShellDied, TimeoutError) as error:
            # The shell is gone or wedged (e.g. a background job keeps the output pipe open):
            # kill everything, start over, and report the command as failed.
            if self._closed:
                raise RuntimeError("the sandbox was closed while a command ran") from error
            self.restart_shell(kill_all=True)
            timed_out = isinstance(error, TimeoutError)
            note = (
                f"the command (or a process it left running) did not finish within {timeout:g} s"
                if timed_out
                else "the shell died"
            )
            message = f"[{note}; every process was killed and the shell restarted]"
            return CommandResult(-1, message, timed_out=timed_out)
        elapsed = time.monotonic() - started
        head = reply.head.decode("utf-8", errors="replace")
        truncated = len(reply.tail) > self.config.output_tail
        tail_bytes = reply.tail[1:] if truncated else reply.tail
        tail = tail_bytes.decode("utf-8", errors="replace")
        if truncated:
            output = (
                f"{head}\n[... output truncated: showing the first {len(reply.head)} and the last "
                f"{len(tail_bytes)} bytes ...]\n{tail}"
            )
        else:
            output = head + tail
        # `timeout -s KILL` kills its own process group too, so a timeout shows as 137.
        timed_out = reply.exit_code == 137 and elapsed >= max(1, round(timeout)) - 0.05
        oom_killed = reply.exit_code == 137 and not timed_out and self._new_oom_kill()
        return CommandResult(
            reply.exit_code, output, timed_out=timed_out, truncated=truncated, oom_killed=oom_killed
        )

    def _new_oom_kill(self) -> bool:
        """Whether the container's memory cgroup counted an OOM kill since the last look."""
        reply = self._run_raw(
            "cat /sys/fs/cgroup/memory.events /sys/fs/cgroup/memory/memory.oom_control 2>/dev/null",
            timeout=10,
        )
        text = reply.head.decode(errors="replace") if reply is not None else ""
        counts = [int(line.split()[1]) for line in text.splitlines() if line.startswith("oom_kill ")]
        count = max(counts, default=0)
        new, self._oom_kills = count > self._oom_kills, count
        return new

    def _run_raw(self, command: str, timeout: float = 30) -> ShellReply | None:
        """A short helper command through the shell, raw bytes back; None if the shell failed."""
        try:
            assert self._shell is not None
            return self._shell.run(command, timeout, self.config.output_head, 0)
        except (ShellDied, TimeoutError):
            self.restart_shell(kill_all=True)
            return None

    def read_file(self, path: str) -> bytes:
        """Contents of the regular file ``path`` (raises FileNotFoundError / IsADirectoryError).

        Small files come through the shell (one round trip); large ones through the archive API.
        """
        q = bash_quote(path)
        reply = self._run_raw(
            f"[ -d {q} ] && exit 4; [ -e {q} ] || exit 3; "
            f'[ "$(stat -c %s -- {q})" -le {self.config.output_head} ] || exit 5; cat -- {q}'
        )
        if reply is not None and reply.exit_code == 0:
            return reply.head
        if reply is not None and reply.exit_code == 3:
            raise FileNotFoundError(path)
        if reply is not None and reply.exit_code == 4:
            raise IsADirectoryError(path)
        return self._read_file_archive(path)

    def _read_file_archive(self, path: str) -> bytes:
        import docker.errors

        try:
            stream, stat = self.container.get_archive(path)
        except docker.errors.NotFound:
            raise FileNotFoundError(path) from None
        if stat.get("mode", 0) & (1 << 31):  # Go's os.ModeDir
            raise IsADirectoryError(path)
        data = b"".join(stream)
        with tarfile.open(fileobj=io.BytesIO(data)) as tar:
            member = tar.next()
            extracted = tar.extractfile(member) if member is not None else None
            if extracted is None:
                raise IsADirectoryError(path)
            return extracted.read()

    def write_file(self, path: str, data: bytes) -> None:
        """Create or replace ``path`` (its directory must exist); a replaced file keeps its mode
        and owner. Text goes through the shell as the sandbox user; NUL bytes or very large
        data through the archive API."""
        if b"\0" not in data and len(data) <= SHELL_WRITE_LIMIT:
            reply = self._run_raw(f"printf '%s' {bash_quote(data)} > {bash_quote(path)}")
            if reply is not None and reply.exit_code == 0:
                return
        self._write_file_archive(path, data)

    def _write_file_archive(self, path: str, data: bytes) -> None:
        import docker.errors

        directory, name = os.path.split(path)
        mode = 0o644
        with contextlib.suppress(docker.errors.NotFound):  # a new file keeps the default mode
            _, stat = self.container.get_archive(path)
            mode = stat.get("mode", mode) & 0o7777
        info = tarfile.TarInfo(name)
        info.size = len(data)
        info.mode = mode
        info.mtime = int(time.time())
        if self.config.user and self.config.user.split(":")[0].isdigit():
            info.uid = int(self.config.user.split(":")[0])
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w") as tar:
            tar.addfile(info, io.BytesIO(data))
        if not self.container.put_archive(directory or "/", buffer.getvalue()):
            raise OSError(f"cannot write {path}")

    def close(self) -> None:
        """Remove the container (idempotent; safe from signal handlers and other threads)."""
        if self._closed:
            return
        self._closed = True
        if self._shell is not None:
            self._shell.close()
        import docker.errors

        with contextlib.suppress(docker.errors.APIError):  # already gone: nothing to release
            self.container.remove(force=True)
        with _LIVE_LOCK:
            _LIVE.discard(self)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
