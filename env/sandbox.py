"""Where commands run: the :class:`Sandbox` protocol and :class:`DockerSandbox`, one container.

A DockerSandbox is one container per episode: no network, memory/CPU/pids limits, an owner label,
optionally a non-root user. Commands go through one long-lived shell (:mod:`env.shell`), so ``cd``
and ``export`` persist and a round trip costs milliseconds. If the shell dies (the OOM killer, a
command that kills its parent) it is restarted with the saved cwd and exports, so the sandbox stays
usable. Files move through the engine's archive API, which has no output-size limit; a file read
with a cap is streamed and only its head and tail are kept, so a huge file never sits in host memory.

Host limits: the container's log (what PID 1 prints) is capped by the json-file log driver's
rotation (:data:`env.ownership.LOG_CONFIG`, on every container the project makes). What a sandbox
may write to its filesystem is bounded by ``disk_limit``: a disk quota (``storage_opt``) where the
engine's storage driver has one (overlay2 on xfs with pquota; tried once per process, remembered),
otherwise a watchdog thread that polls the writable-layer size of this process's containers (one
list call every ``disk_check_seconds``) and stops a sandbox past its limit. The watchdog bounds a
write by ``disk_limit`` plus what the disk takes in one period (about 1-2 GB/s here).

A sandbox that can no longer run commands (its container stopped, or its system files are gone
after ``rm -rf /``, or the watchdog stopped it) raises :class:`SandboxBroken`; its owner makes a new
one (:class:`env.repo_env.RepoEnv` does so at the next reset).
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import tarfile
import threading
import time
import weakref
from dataclasses import dataclass, field
from typing import Protocol, Self

from env.ownership import LABEL_KEY, LOG_CONFIG, SESSION, SESSION_LABEL, owner_labels, sweep_dead_runs
from env.shell import ExecShell, ShellDied, ShellReply, bash_quote

__all__ = ["SESSION", "SESSION_LABEL", "CommandResult", "DockerSandbox", "Sandbox", "SandboxBroken"]

SHELL_WRITE_LIMIT = 1 << 20  # larger files go through the archive API
CUT_NOTE = b"\n[... %d bytes cut ...]\n"  # between the head and tail of a file read with a cap
CHECK_OUTPUT = 1 << 16  # most output of one exec_clean script
CLEAN_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
_SIZE_UNITS = {"": 1, "b": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}


def parse_size(text: str) -> int:
    """Bytes of a Docker-style size (``512m``, ``2g``, ``1073741824``); 0 or "" means none."""
    if not str(text).strip():
        return 0
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([bkmgt]?)i?b?\s*", str(text).lower())
    if not match:
        raise ValueError(f"not a size: {text!r} (e.g. 512m, 2g)")
    return int(float(match.group(1)) * _SIZE_UNITS[match.group(2)])


class SandboxBroken(RuntimeError):
    """The sandbox can no longer run commands (container stopped, system files gone, disk limit);
    a new sandbox is needed."""


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
    disk_limit: str = field(
        default="2g",
        metadata={
            "help": "Most the sandbox may write to its filesystem (e.g. 2g; 0: no limit). A disk quota "
            "where the storage driver has one, else a watchdog stops the sandbox past it."
        },
    )
    disk_check_seconds: float = field(
        default=1.0, metadata={"help": "How often the disk watchdog looks at the sandbox's size."}
    )
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

    def read_file(self, path: str, head: int | None = None, tail: int = 0) -> bytes: ...

    def exec_clean(self, script: str) -> tuple[int, str]: ...

    def write_file(self, path: str, data: bytes) -> None: ...

    def close(self) -> None: ...


# Live sandboxes of this process, so signal handlers and atexit can remove their containers.
_LIVE: weakref.WeakSet[DockerSandbox] = weakref.WeakSet()
_LIVE_LOCK = threading.Lock()
_SHUTTING_DOWN = threading.Event()
_QUOTA_SUPPORTED: bool | None = None  # whether the engine takes storage_opt size (None: not tried yet)


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
        self._check_shell: ExecShell | None = None  # exec_clean's private shell, made on first use
        self._oom_kills = 0  # the memory cgroup's OOM-kill count when last looked at
        self._closed = False
        self.broken = ""  # why the sandbox can no longer run commands ("" while it can)
        self.disk_limit = parse_size(self.config.disk_limit)
        sweep_dead_runs(client)  # once per process: containers of runs that were SIGKILLed
        self.container, self.disk_quota = self._create(client, image)
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
        if self.disk_limit and not self.disk_quota:
            _DiskWatchdog.watch()

    def _create(self, client, image: str):
        """The container (not started) and whether a disk quota bounds it."""
        import docker.errors

        options = dict(
            network_mode="none",
            mem_limit=self.config.memory,
            memswap_limit=self.config.memory,
            nano_cpus=int(self.config.cpus * 1e9),
            pids_limit=self.config.pids_limit,
            labels={LABEL_KEY: "sandbox", **owner_labels()},
            log_config=LOG_CONFIG,
            init=True,  # reaps zombies left by killed commands
            working_dir=self.config.workdir,
            environment={} if self.config.write_bytecode else {"PYTHONDONTWRITEBYTECODE": "1"},
            detach=True,
        )
        global _QUOTA_SUPPORTED
        if self.disk_limit and _QUOTA_SUPPORTED is not False:
            try:
                container = client.containers.create(
                    image, ["sleep", "infinity"], storage_opt={"size": str(self.disk_limit)}, **options
                )
                _QUOTA_SUPPORTED = True
                return container, True
            except docker.errors.APIError as error:
                if "storage-opt" not in str(error) and "quota" not in str(error).lower():
                    raise
                _QUOTA_SUPPORTED = False  # e.g. overlay2 on ext4: the watchdog bounds the disk instead
        return client.containers.create(image, ["sleep", "infinity"], **options), False

    @property
    def id(self) -> str:
        return self.container.id

    def exec_as_root(self, command: str) -> tuple[int, str]:
        """One-off ``docker exec`` as root, outside the agent's shell (setup and reset work)."""
        code, out = self.container.exec_run(["bash", "-c", command], user="root")
        return code, out.decode("utf-8", errors="replace")

    def exec_clean(self, script: str) -> tuple[int, str]:
        """Run the bash ``script`` as root with a clean environment (absolute ``env`` and ``bash``,
        a fixed PATH, no rc files) in a private shell of the sandbox's own, not the agent's: nothing
        the agent did in its shell (PATH, BASH_ENV, functions, aliases, traps, the state file)
        reaches it, so checks made here cannot be steered (the editor's path checks). One shell
        round trip; the private shell is started on first use and again after being killed (a reset
        kills every process), and a one-off exec does the work when it cannot be had."""
        if self._closed:
            raise RuntimeError("the sandbox is closed")
        if self.broken:
            raise SandboxBroken(self.broken)
        argv = ["/usr/bin/env", "-i", CLEAN_PATH, "LC_ALL=C.UTF-8", "/bin/bash", "--noprofile", "--norc"]
        command = " ".join(argv) + " -c " + bash_quote(script)
        for _ in range(2):
            try:
                if self._check_shell is None:
                    self._check_shell = ExecShell(
                        self._client.api, self.container.id, user="root", workdir="/", keep_state=False
                    )
                    self._check_shell.start()
                reply = self._check_shell.run(command, 30, CHECK_OUTPUT, 0)
                return reply.exit_code, (reply.head + reply.tail).decode("utf-8", errors="replace")
            except (ShellDied, TimeoutError):
                if self._check_shell is not None:
                    self._check_shell.close()
                self._check_shell = None
        code, out = self.container.exec_run([*argv, "-c", script], user="root", workdir="/")
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
        and so /testbed, survives a restart) and ``then`` runs after. A container that is no
        longer running raises :class:`SandboxBroken`.
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
        self.container.reload()
        if self.container.status != "running":  # it died: never revive an old container
            self.mark_broken("its container stopped")
            raise SandboxBroken(self.broken)
        self.container.restart(timeout=0)
        self._note_main_pid()
        return self.exec_as_root(then)

    def _note_main_pid(self) -> None:
        # The container's main `sleep` (init's only child right after start): killing it would
        # stop the container, so kill_processes spares it.
        code, out = self.exec_as_root("cat /proc/1/task/1/children")
        pids = out.split()
        if code != 0 or not pids or not pids[0].isdigit():
            self.mark_broken("its container does not run (it stopped, or its system files are gone)")
            raise SandboxBroken(self.broken)
        self._main_pid = pids[0]

    def restart_shell(self, kill_all: bool = False) -> None:
        """Start a fresh shell (cwd and exports come back from the state file). ``kill_all`` first
        kills every other process, e.g. a background job that keeps the output pipe open.
        Raises :class:`SandboxBroken` when the container cannot run a shell any more."""
        import docker.errors

        try:
            if kill_all:
                self.kill_processes()
            self._start_shell()
        except (docker.errors.APIError, ShellDied, TimeoutError) as error:
            if self._closed:
                raise RuntimeError("the sandbox was closed") from error
            self.mark_broken(f"its shell cannot be restarted ({str(error)[:200]})")
            raise SandboxBroken(self.broken) from error

    def mark_broken(self, reason: str) -> None:
        """Record why the sandbox is unusable and stop its container (every process dies; what it
        wrote stays until close() removes the container)."""
        import docker.errors

        self.broken = self.broken or reason
        with contextlib.suppress(docker.errors.APIError):
            self.container.kill()

    def _check_health(self) -> None:
        """Raise SandboxBroken when the tools the shell needs are gone (e.g. after ``rm -rf /``).

        Asked only after a command exited 126/127 ("not found", "cannot execute"), which is how the
        shell answers once ``timeout`` or ``head`` are missing, or 141 (SIGPIPE: the command outlived
        the ``head``/``tail`` reading its output, as after ``rm -rf /`` about one time in six);
        other commands pay nothing.
        """
        import docker.errors

        # One name per `command -v`: dash answers 0 for a list when only its first name exists.
        script = "for c in bash timeout head tail; do command -v $c >/dev/null || exit 1; done"
        probe = ["/bin/sh", "-c", script]
        try:
            code, _ = self.container.exec_run(probe, user="root", workdir="/")
        except docker.errors.APIError:
            code = -1
        if code != 0:
            self.mark_broken("its system files are gone (e.g. after rm -rf /); the sandbox was stopped")
            raise SandboxBroken(self.broken)

    def run(self, command: str, timeout: float | None = None) -> CommandResult:
        if self._closed:
            raise RuntimeError("the sandbox is closed")
        if self.broken:
            raise SandboxBroken(self.broken)
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
            if self.broken:  # the disk watchdog stopped the container under this command
                return CommandResult(-1, f"[{self.broken}]")
            self.restart_shell(kill_all=True)
            timed_out = isinstance(error, TimeoutError)
            note = (
                f"the command (or a process it left running) did not finish within {timeout:g} s"
                if timed_out
                else "the shell died"
            )
            message = f"[{note}; every process was killed and the shell restarted]"
            return CommandResult(-1, message, timed_out=timed_out)
        if reply.exit_code in (126, 127, 141):  # not found / cannot execute / SIGPIPE: the sandbox itself?
            self._check_health()
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
        if self.broken:
            raise SandboxBroken(self.broken)
        try:
            assert self._shell is not None
            return self._shell.run(command, timeout, self.config.output_head, 0)
        except (ShellDied, TimeoutError):
            if self.broken:
                raise SandboxBroken(self.broken) from None
            self.restart_shell(kill_all=True)
            return None

    def read_file(self, path: str, head: int | None = None, tail: int = 0) -> bytes:
        """Contents of the regular file ``path`` (raises FileNotFoundError / IsADirectoryError).

        With ``head``, a file longer than ``head + tail`` bytes comes back as its first ``head``
        bytes, :data:`CUT_NOTE` and its last ``tail`` bytes, streamed so that no more than that is
        ever held in memory (logs, views of huge files). Without, the whole file (edits need it).
        Small files come through the shell (one round trip); large ones through the archive API.
        """
        q = bash_quote(path)
        small = self.config.output_head if head is None else min(self.config.output_head, head + tail)
        reply = self._run_raw(
            f"[ -d {q} ] && exit 4; [ -e {q} ] || exit 3; "
            f'[ "$(stat -c %s -- {q})" -le {small} ] || exit 5; cat -- {q}'
        )
        if reply is not None and reply.exit_code == 0:
            return reply.head
        if reply is not None and reply.exit_code == 3:
            raise FileNotFoundError(path)
        if reply is not None and reply.exit_code == 4:
            raise IsADirectoryError(path)
        return self._read_file_archive(path, head, tail)

    def _read_file_archive(self, path: str, head: int | None = None, tail: int = 0) -> bytes:
        """The file streamed out of the container's archive API; with ``head``, only its first
        ``head`` and last ``tail`` bytes are kept (the rest is read past, or not read at all)."""
        import docker.errors

        try:
            stream, stat = self.container.get_archive(path, chunk_size=1 << 20)
        except docker.errors.NotFound:
            raise FileNotFoundError(path) from None
        if stat.get("mode", 0) & (1 << 31):  # Go's os.ModeDir
            raise IsADirectoryError(path)
        try:
            with tarfile.open(fileobj=_ChunkReader(stream), mode="r|") as tar:
                member = tar.next()
                extracted = tar.extractfile(member) if member is not None else None
                if extracted is None:
                    raise IsADirectoryError(path)
                if head is None or member.size <= head + tail:
                    return extracted.read()
                first = extracted.read(head)
                if not tail:  # nothing more to keep: stop reading (the stream is dropped unread)
                    return first + CUT_NOTE % (member.size - head)
                skipped = member.size - head - tail
                while skipped > 0:  # a streamed tar can only read forward
                    skipped -= len(extracted.read(min(skipped, 1 << 20)))
                return first + CUT_NOTE % (member.size - head - tail) + extracted.read(tail)
        finally:
            stream.close()

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
        for shell in (self._shell, self._check_shell):
            if shell is not None:
                shell.close()
        import docker.errors

        with contextlib.suppress(docker.errors.APIError):  # already gone: nothing to release
            self.container.remove(force=True)
        with _LIVE_LOCK:
            _LIVE.discard(self)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _ChunkReader(io.RawIOBase):
    """A readable file over an iterator of byte chunks (the archive API's stream), for tarfile's
    streaming mode: at most one chunk is held at a time."""

    def __init__(self, chunks) -> None:
        self._chunks = iter(chunks)
        self._left = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self._left:
            chunk = next(self._chunks, b"")
            if not chunk:
                return 0
            self._left = memoryview(chunk)
        size = min(len(buffer), len(self._left))
        buffer[:size] = self._left[:size]
        self._left = self._left[size:]
        return size


class _DiskWatchdog:
    """One thread per process: every ``disk_check_seconds`` it asks the engine for the writable-layer
    size of this process's containers (one list call) and stops each sandbox past its disk_limit."""

    _lock = threading.Lock()
    _thread: threading.Thread | None = None
    _pid = 0  # the process the thread runs in (a forked child has no thread but inherits the field)

    @classmethod
    def watch(cls) -> None:
        with cls._lock:
            if cls._thread is None or cls._pid != os.getpid():
                cls._thread = threading.Thread(target=cls._loop, name="sandbox-disk-watchdog", daemon=True)
                cls._pid = os.getpid()
                cls._thread.start()

    @staticmethod
    def _watched() -> list[DockerSandbox]:
        with _LIVE_LOCK:
            return [s for s in _LIVE if s.disk_limit and not s.disk_quota and not s._closed and not s.broken]

    @classmethod
    def _loop(cls) -> None:
        while True:
            period = min((s.config.disk_check_seconds for s in cls._watched()), default=1.0)
            time.sleep(max(0.1, period))
            by_client: dict[int, list[DockerSandbox]] = {}
            for sandbox in cls._watched():
                by_client.setdefault(id(sandbox._client), []).append(sandbox)
            for sandboxes in by_client.values():
                with contextlib.suppress(Exception):  # an engine hiccup: look again next period
                    _DiskWatchdog._check(sandboxes)

    @staticmethod
    def _check(sandboxes: list[DockerSandbox]) -> None:
        """Stop each of ``sandboxes`` (one engine client's) whose writable layer is past its limit."""
        rows = sandboxes[0]._client.api.containers(
            all=True, size=True, filters={"label": f"{SESSION_LABEL}={SESSION}"}
        )
        sizes = {row["Id"]: row.get("SizeRw") or 0 for row in rows}
        for sandbox in sandboxes:
            size = sizes.get(sandbox.id, 0)
            if size > sandbox.disk_limit:
                sandbox.mark_broken(
                    f"the sandbox wrote {size >> 20} MiB to its disk, past its limit of "
                    f"{sandbox.config.disk_limit}: every process was killed and the sandbox stopped"
                )
