"""One long-lived bash inside a container, spoken to over an attached exec socket.

Why a long-lived shell: one `docker exec` per command costs ~60-80 ms on a small machine; writing a
line to a shell that already runs costs a few ms. Each command still runs in its own child
``bash -c`` under ``timeout -s KILL`` (so a runaway command dies inside the container even if
nobody is listening), and the child writes its exported variables and working directory to a
state file on exit, which the long-lived shell sources: ``cd`` and ``export`` persist, as in the
OpenHands bash tool. Output is cut head+tail *inside* the container, so the host never receives
more than ``head + tail`` bytes however much a command prints.

Known limit: a command's output ends when the last process holding it exits, so a background job
that keeps the command's stdout (``server &``) holds the command until its timeout; the sandbox
then kills every process and restarts the shell. Redirect background output
(``server > log 2>&1 &``), as OpenHands' own prompt advises.

Wire format, per command (``N`` is a random nonce, so no command output can fake it)::

    <head bytes> \\x01SEP<N> <up to tail+1 bytes> \\x01END<N> <exit code>\\n
"""

from __future__ import annotations

import contextlib
import re
import secrets
import socket
import struct
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

STATE_FILE = "/tmp/.srl_state.sh"

# Runs as `bash -c CHILD bash COMMAND`: evaluates COMMAND; on exit saves exports and cwd for the
# parent. SHLVL is dropped so it does not grow by one per command.
_CHILD = (
    '__srl_c=$1; set --; trap \'unset SHLVL; { export -p; printf "cd -- %q\\n" "$PWD"; }'
    f' > {STATE_FILE}\' EXIT; eval "$__srl_c"'
)
_STATELESS_CHILD = '__srl_c=$1; set --; eval "$__srl_c"'  # keeps nothing between commands


# Byte -> its form inside $'...': printable ASCII as is, everything else (and ' and \\) escaped.
_QUOTED_BYTE = [chr(b) if 0x20 <= b < 0x7F and b not in (0x27, 0x5C) else f"\\x{b:02x}" for b in range(256)]
_QUOTED_BYTE[0] = ""  # bash strings cannot hold NUL


def bash_quote(text: str | bytes) -> str:
    """``text`` as a one-line bash ANSI-C string ``$'...'`` (NUL bytes dropped: bash cannot hold
    them). Every byte outside printable ASCII is escaped, so any command fits on one line."""
    raw = text if isinstance(text, bytes) else text.encode("utf-8", errors="surrogateescape")
    return "$'" + "".join(map(_QUOTED_BYTE.__getitem__, raw)) + "'"


def _setup(keep_state: bool) -> str:
    """The helpers defined once in the long-lived shell. ``__srl_run`` takes $1 timeout (s), $2 head
    bytes, $3 tail bytes + 1, $4 separator, $5 command; the reader group prints the separator
    between head and tail."""
    child = bash_quote(_CHILD if keep_state else _STATELESS_CHILD)
    return f"""
__SRL_CHILD={child}
__srl_run() {{
  {{ timeout -s KILL "$1" bash --noprofile --norc -c "$__SRL_CHILD" bash "$5" </dev/null 2>&1; }} \\
    | {{ head -c "$2"; printf '%s' "$4"; tail -c "$3"; }}
  __srl_rc=${{PIPESTATUS[0]}}
}}
""" + (f"[ -f {STATE_FILE} ] && . {STATE_FILE} >/dev/null 2>&1\n" if keep_state else "")


class ShellDied(RuntimeError):
    """The long-lived shell exited or stopped answering; the caller restarts it."""


@dataclass
class ShellReply:
    exit_code: int
    head: bytes
    tail: bytes


class ExecShell:
    """A bash started with docker's exec API, with stdin/stdout attached through one socket."""

    def __init__(
        self, api, container_id: str, *, user: str = "", workdir: str = "/", keep_state: bool = True
    ) -> None:
        """``keep_state`` False: no ``cd``/``export`` carries over and the state file (which the
        agent's commands write) is never read, so nothing done in another shell reaches this one."""
        self._api = api
        self._keep_state = keep_state
        self._nonce = secrets.token_hex(8)
        self._sep = f"\x01SEP{self._nonce}".encode()
        self._end = re.compile(rb"\x01END" + self._nonce.encode() + rb" (-?\d+)\n")
        exec_id = api.exec_create(
            container_id,
            ["bash", "--noprofile", "--norc"],
            stdin=True,
            stdout=True,
            stderr=True,
            tty=False,
            user=user,
            workdir=workdir,
        )["Id"]
        raw = api.exec_start(exec_id, socket=True)
        self._sock: socket.socket = getattr(raw, "_sock", raw)
        self._raw = raw  # keep the wrapper alive: closing it would close the socket
        self._pending = bytearray()  # bytes of the multiplexed stream not yet split into frames
        self._stdout = bytearray()
        self._lock = threading.Lock()  # held while one exchange uses the socket
        self._closing = False

    def start(self) -> None:
        """Define the helpers in the shell and wait until it answers (separate from __init__ so
        the owner holds the socket, and can shut it down, while this waits)."""
        with self._in_use():
            self._send(_setup(self._keep_state))
            self._send(f"printf '\\001END%s %d\\n' {self._nonce} 0\n")
            self._read_until_end(deadline=time.monotonic() + 30)

    @contextlib.contextmanager
    def _in_use(self) -> Iterator[None]:
        """Hold the socket for one exchange; if close() came meanwhile, release its fd after."""
        with self._lock:
            if self._closing:
                raise ShellDied("the shell was closed")
            try:
                yield
            finally:
                if self._closing:
                    self._release()

    def _send(self, text: str) -> None:
        try:
            self._sock.settimeout(60)  # not whatever deadline the last read left behind
            self._sock.sendall(text.encode())
        except OSError as error:
            raise ShellDied(f"cannot write to the shell: {error}") from error

    def _fill(self, deadline: float) -> None:
        """Read one chunk from the socket into the stdout buffer (stderr frames are dropped:
        the command's stderr is merged into stdout inside the container)."""
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("the shell did not answer in time")
        self._sock.settimeout(remaining)
        try:
            chunk = self._sock.recv(65536)
        except TimeoutError:
            raise TimeoutError("the shell did not answer in time") from None
        except OSError as error:
            raise ShellDied(f"cannot read from the shell: {error}") from error
        if not chunk:
            raise ShellDied("the shell exited")
        self._pending += chunk
        while len(self._pending) >= 8:
            stream, size = struct.unpack(">BxxxL", self._pending[:8])
            if len(self._pending) < 8 + size:
                break
            if stream == 1:
                self._stdout += self._pending[8 : 8 + size]
            del self._pending[: 8 + size]

    def _read_until_end(self, deadline: float) -> tuple[int, bytes]:
        while True:
            match = self._end.search(self._stdout)
            if match:
                code = int(match.group(1))  # read before the buffer shifts under the match
                body = bytes(self._stdout[: match.start()])
                del self._stdout[: match.end()]
                return code, body
            self._fill(deadline)

    def run(self, command: str, timeout: float, head: int, tail: int) -> ShellReply:
        """Run ``command``; the in-container timeout kills it after ``timeout`` s. Raises
        :class:`TimeoutError` when the shell itself stays silent well past that."""
        seconds = max(1, round(timeout))
        restore = f". {STATE_FILE} >/dev/null 2>&1; " if self._keep_state else ""
        line = (
            f"__srl_run {seconds} {head} {tail + 1} {bash_quote(self._sep.decode())} "
            f"{bash_quote(command)}; {restore}"
            f"printf '\\001END%s %d\\n' {self._nonce} \"$__srl_rc\"\n"
        )
        with self._in_use():
            self._send(line)
            exit_code, body = self._read_until_end(deadline=time.monotonic() + seconds + 5)
        head_part, _, tail_part = body.partition(self._sep)
        return ShellReply(exit_code=exit_code, head=head_part, tail=tail_part)

    def close(self) -> None:
        """Stop talking to the shell; safe from any thread, also while a command is in flight.

        shutdown() wakes a thread blocked in recv() (close() would not). The fd itself is closed
        only by whoever holds the socket: closing it under a reading thread could let the fd
        number be reused by another connection, which that thread would then read forever.
        """
        self._closing = True
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)
        if self._lock.acquire(blocking=False):
            try:
                self._release()
            finally:
                self._lock.release()

    def _release(self) -> None:
        for closer in (self._sock, self._raw):
            with contextlib.suppress(OSError):
                closer.close()
