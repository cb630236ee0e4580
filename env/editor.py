"""``str_replace_editor`` with OpenHands semantics and observation texts, run against a Sandbox.

The texts follow OpenHands' editor (the tool that recorded the SWE-Gym trajectories), so a replayed
observation can be compared with the recorded one: ``cat -n`` numbering, two-level directory
listings, exactly-one-match ``str_replace``, ``insert`` after a line, per-file ``undo_edit``.
Paths are resolved inside the container (symlinks included) and refused unless they fall under one
of the allowed roots (the repository, and the workspace path a trajectory calls it by). The check
runs with a clean environment and absolute binaries in a private shell of the sandbox
(``Sandbox.exec_clean``), not in the agent's shell: there a ``PATH`` entry, a function or an alias
named ``realpath`` (or a ``BASH_ENV`` defining one) would decide what the editor may touch.

Files are read with a cap: a view reads at most :data:`VIEW_READ_BYTES` (a view shows 16,000
characters anyway; a ``view_range`` past them asks for ``sed``), an edit at most
:data:`MAX_EDIT_BYTES` (larger files are edited in the shell), so a huge file never comes whole into
the host's memory.
"""

from __future__ import annotations

import posixpath
import re

from agent.actions import EditorAction
from env.sandbox import Sandbox
from env.shell import bash_quote

SNIPPET_LINES = 4  # lines of context shown around an edit
MAX_VIEW_CHARS = 16_000  # longer views are clipped, as OpenHands does
VIEW_READ_BYTES = 1 << 20  # most of a file a view reads
MAX_EDIT_BYTES = 10 << 20  # larger files are not edited with the editor (OpenHands' limit too)
_CUT = re.compile(rb"\n\[\.\.\. (\d+) bytes cut \.\.\.\]\n\Z")  # env.sandbox.CUT_NOTE at the end
CLIPPED_NOTE = (
    "<response clipped><NOTE>To save on context only part of this file has been shown to you. "
    "You should retry this tool after you have searched inside the file with `grep -n` in order "
    "to find the line numbers of what you are looking for.</NOTE>"
)


class ToolError(Exception):
    """An editor call that cannot be done; its message is the observation (after ``ERROR:``)."""


def numbered(text: str, first_line: int = 1) -> str:
    """``cat -n`` style: right-aligned line numbers, a tab, the line."""
    if len(text) > MAX_VIEW_CHARS:
        text = text[:MAX_VIEW_CHARS] + CLIPPED_NOTE
    return "\n".join(f"{i + first_line:6}\t{line}" for i, line in enumerate(text.split("\n")))


class Editor:
    """Executes :class:`EditorAction` in one sandbox; keeps the undo history of the episode."""

    def __init__(self, sandbox: Sandbox, roots: list[str], real_roots: list[str] | None = None) -> None:
        """``real_roots``: the roots with symlinks resolved, when the caller knows them (RepoEnv: the
        repository); otherwise they are resolved at the first call, so an agent that turned a
        root into a symlink before that would move it."""
        self.sandbox = sandbox
        self.roots = [posixpath.normpath(r) for r in roots]
        self.history: dict[str, list[str]] = {}
        self._real_roots_cache = [posixpath.normpath(r) for r in real_roots] if real_roots else None

    def execute(self, action: EditorAction) -> str:
        """The observation text of ``action`` (errors become ``ERROR:\\n<message>``)."""
        try:
            return self._execute(action)
        except ToolError as error:
            return f"ERROR:\n{error}"

    # -- paths ---------------------------------------------------------------------------------

    def _resolve(self, path: str) -> tuple[str, str]:
        """(real path in the container, kind: 'dir' | 'file' | 'missing') or ToolError."""
        if not path.startswith("/"):
            suggestion = posixpath.join(self.roots[0], path) if self.roots else "/" + path
            raise ToolError(
                f"The path {path} is not an absolute path, it should start with `/`. "
                f"Maybe you meant {suggestion}?"
            )
        probe = (
            f"p=$(realpath -m -- {bash_quote(path)}) || exit 1; "
            'if [ -d "$p" ]; then k=dir; elif [ -e "$p" ]; then k=file; else k=missing; fi; '
            'printf "%s %s" "$k" "$p"'
        )
        code, output = self.sandbox.exec_clean(probe)
        kind, _, real = output.partition(" ")
        allowed = [posixpath.normpath(r) for r in self._real_roots()]
        inside = any(real == root or real.startswith(root + "/") for root in allowed)
        if code != 0 or kind not in ("dir", "file", "missing") or not inside:
            raise ToolError(
                f"The path {path} is outside the repository; only paths under "
                f"{' or '.join(self.roots)} can be viewed or edited."
            )
        return real, kind

    def _real_roots(self) -> list[str]:
        if self._real_roots_cache is None:
            probe = " ".join(f"$(realpath -m -- {bash_quote(r)})" for r in self.roots)
            _, out = self.sandbox.exec_clean(f"printf '%s\\n' {probe}")
            self._real_roots_cache = [posixpath.normpath(line) for line in out.splitlines() if line]
        return self._real_roots_cache

    def _read_capped(self, real: str, limit: int) -> tuple[str, int | None]:
        """(text of at most ``limit`` bytes of the file, the file's size when it is longer, else None)."""
        data = self.sandbox.read_file(real, head=limit)
        match = _CUT.search(data) if len(data) > limit else None
        if match is None:
            return data.decode("utf-8", errors="replace"), None
        return data[: match.start()].decode("utf-8", errors="replace"), limit + int(match.group(1))

    def _read(self, path: str, real: str) -> str:
        """The whole file, for an edit; ToolError when it is too large to edit here."""
        text, size = self._read_capped(real, MAX_EDIT_BYTES)
        if size is not None:
            raise ToolError(
                f"The file {path} is too large ({size:,} bytes) to edit with this tool (limit "
                f"{MAX_EDIT_BYTES:,} bytes). Edit it with a shell command instead."
            )
        return text

    def _write(self, real: str, text: str) -> None:
        self.sandbox.write_file(real, text.encode("utf-8"))

    # -- commands ------------------------------------------------------------------------------

    def _execute(self, action: EditorAction) -> str:
        path = action.path
        real, kind = self._resolve(path)
        if action.command == "create":
            if kind != "missing":
                raise ToolError(
                    f"File already exists at: {path}. Cannot overwrite files using command `create`."
                )
            self.sandbox.run(f"mkdir -p -- {bash_quote(posixpath.dirname(real))}", timeout=10)
            self._write(real, action.file_text or "")
            self.history.setdefault(real, []).append("")
            return f"File created successfully at: {path}"
        if kind == "missing":
            raise ToolError(f"The path {path} does not exist. Please provide a valid path.")
        if kind == "dir":
            if action.command != "view":
                raise ToolError(
                    f"The path {path} is a directory and only the `view` command can be used on directories."
                )
            if action.view_range is not None:
                raise ToolError(
                    "The `view_range` parameter is not allowed when `path` points to a directory."
                )
            return self._view_dir(path, real)
        if action.command == "view":
            return self._view_file(path, real, action.view_range)
        if action.command == "str_replace":
            return self._str_replace(path, real, action.old_str or "", action.new_str or "")
        if action.command == "insert":
            return self._insert(path, real, action.insert_line or 0, action.new_str or "")
        if action.command == "undo_edit":
            return self._undo(path, real)
        raise ToolError(f"Unrecognized command {action.command}.")

    def _view_dir(self, path: str, real: str) -> str:
        # Listed from inside the directory so the shown paths keep the name the caller used.
        listing = self.sandbox.run(
            f"cd -- {bash_quote(real)} && find . -maxdepth 2 -not -path '*/.*' | LC_ALL=C sort",
            timeout=30,
        ).output
        shown = path.rstrip("/") or "/"
        lines = []
        for entry in listing.splitlines():
            if entry == ".":
                lines.append(shown)
            elif entry.startswith("./"):
                lines.append(posixpath.join(shown, entry[2:]))
        return (
            f"Here's the files and directories up to 2 levels deep in {path}, excluding hidden "
            "items:\n" + "\n".join(lines)
        )

    def _view_file(self, path: str, real: str, view_range: tuple[int, int] | None) -> str:
        text, size = self._read_capped(real, VIEW_READ_BYTES)
        first = 1
        if view_range is not None:
            lines = text.split("\n")
            start, end = view_range
            if size is not None:  # only the file's head was read: its last line may be cut
                lines.pop()
                if not 1 <= start <= (end if end != -1 else len(lines) + 1) <= len(lines):
                    raise ToolError(
                        f"The file {path} is too large ({size:,} bytes) to view lines [{start}, {end}] "
                        f"with this tool; only its first {len(lines)} lines can be viewed. Use "
                        f"`sed -n '{start},{end if end != -1 else '$'}p' {path}` instead."
                    )
            n = len(lines)
            bad = f"Invalid `view_range`: [{start}, {end}]."
            if start < 1 or start > n:
                raise ToolError(
                    f"{bad} It's first element `{start}` should be "
                    f"within the range of lines of the file: [1, {n}]"
                )
            if end != -1 and end > n:
                raise ToolError(
                    f"{bad} It's second element `{end}` should be "
                    f"smaller than the number of lines in the file: `{n}`"
                )
            if end != -1 and end < start:
                raise ToolError(
                    f"{bad} It's second element `{end}` should be larger or equal than its first `{start}`"
                )
            text = "\n".join(lines[start - 1 :] if end == -1 else lines[start - 1 : end])
            first = start
        return f"Here's the result of running `cat -n` on {path}:\n{numbered(text, first)}\n"

    def _str_replace(self, path: str, real: str, old: str, new: str) -> str:
        text = self._read(path, real)
        count = text.count(old) if old else 0
        if count == 0:
            raise ToolError(
                f"No replacement was performed, old_str `{old}` did not appear verbatim in {path}."
            )
        if count > 1:
            lines = [i + 1 for i, line in enumerate(text.split("\n")) if old in line]
            raise ToolError(
                f"No replacement was performed. Multiple occurrences of old_str `{old}` in lines "
                f"{lines}. Please ensure it is unique."
            )
        updated = text.replace(old, new)
        self._write(real, updated)
        self.history.setdefault(real, []).append(text)
        at = text.split(old)[0].count("\n")
        start = max(0, at - SNIPPET_LINES)
        end = at + SNIPPET_LINES + new.count("\n")
        snippet = "\n".join(updated.split("\n")[start : end + 1])
        return (
            f"The file {path} has been edited. Here's the result of running `cat -n` on a snippet "
            f"of {path}:\n{numbered(snippet, start + 1)}\n"
            "Review the changes and make sure they are as expected. "
            "Edit the file again if necessary."
        )

    def _insert(self, path: str, real: str, line: int, new: str) -> str:
        text = self._read(path, real)
        lines = text.split("\n")
        if line < 0 or line > len(lines):
            raise ToolError(
                f"Invalid `insert_line` parameter: {line}. It should be within the range of lines "
                f"of the file: [0, {len(lines)}]"
            )
        new_lines = new.split("\n")
        updated_lines = lines[:line] + new_lines + lines[line:]
        self._write(real, "\n".join(updated_lines))
        self.history.setdefault(real, []).append(text)
        start = max(0, line - SNIPPET_LINES)
        snippet = "\n".join(updated_lines[start : line + len(new_lines) + SNIPPET_LINES])
        return (
            f"The file {path} has been edited. Here's the result of running `cat -n` on a snippet "
            f"of the edited file:\n{numbered(snippet, start + 1)}\n"
            "Review the changes and make sure they are as expected (correct indentation, no "
            "duplicate lines, etc). Edit the file again if necessary."
        )

    def _undo(self, path: str, real: str) -> str:
        if not self.history.get(real):
            raise ToolError(f"No edit history found for {path}.")
        previous = self.history[real].pop()
        self._write(real, previous)
        return (
            f"Last edit to {path} undone successfully. Here's the result of running `cat -n` on "
            f"{path}:\n{numbered(previous)}\n"
        )
