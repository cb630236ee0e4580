"""Reading git unified diffs (the form of every patch: gold, test and model), with ``unidiff``."""

from __future__ import annotations

import re


def _header_path(line: str) -> str | None:
    """The new path named by a ``diff --git a/OLD b/NEW`` line, or None for any other line.

    Unquoted paths may contain spaces and even `` b/``, which makes the line ambiguous; an unchanged
    path (the usual case) is the one reading where both halves name the same file.
    """
    from unidiff.constants import RE_DIFF_GIT_HEADER

    match = RE_DIFF_GIT_HEADER.match(line)
    if not match:
        return None
    names = line.removeprefix("diff --git ")
    half = (len(names) - 1) // 2
    if len(names) % 2 and names[half] == " " and names[2:half] == names[half + 3 :]:
        return names[2:half]
    return match["target"].strip('"')[2:]


def patched_files(patch: str) -> list[str]:
    """Repository-relative paths a git diff touches, in order, each once.

    A file's path is its new one (the old one for a deletion, the new one for a rename); paths may
    contain spaces. A diff unidiff cannot parse as a whole (one cut short, or a path containing
    `` b/``) still names its files in its ``diff --git`` headers, which are read instead.
    """
    from unidiff import PatchSet
    from unidiff.errors import UnidiffParseError

    try:
        files = [patched.path for patched in PatchSet(patch)]
    except UnidiffParseError:
        files = [path for path in map(_header_path, patch.splitlines()) if path is not None]
    return list(dict.fromkeys(files))


# What a hunk header says about its length: "@@ -12,3 +12,4 @@" (a missing count is 1).
_HUNK = re.compile(r"^@@ -\d+(?:,(\d+))? \+\d+(?:,(\d+))? @@")
# Header lines that name a file; the name is what follows, the a/ b/ prefix still on it ("*** " and
# "--- " also name the files of a context diff, which GNU patch reads and git apply does not).
_NAMING = ("--- ", "+++ ", "*** ", "rename from ", "rename to ", "copy from ", "copy to ", "Index: ")
# A git file mode of a symbolic link, in "new file mode 120000", "new mode 120000", "index a..b 120000".
_SYMLINK_MODE = re.compile(r"^(?:new file mode|new mode|index \S+) 120000\s*$")


def _unquote(name: str) -> str:
    """A name as git writes it, C-quoted ("a/caf\\303\\251.py") when it holds unusual bytes."""
    if len(name) > 1 and name[0] == name[-1] == '"':
        import ast

        try:
            return ast.literal_eval("b" + name).decode("utf-8", errors="replace")
        except (SyntaxError, ValueError):
            return name[1:-1]
    return name


def normalize_path(path: str) -> str:
    """A repository path as the file system resolves it: ``tests/./x.py``, ``tests//x.py`` and
    ``tests/a/../x.py`` are all ``tests/x.py``. A path leaving the tree keeps its leading ``..``."""
    import posixpath

    normal = posixpath.normpath(path) if path else path
    return "/" + normal.lstrip("/") if normal.startswith("//") else normal


def path_problem(path: str) -> str:
    """Why ``git apply`` would refuse to write the repository path ``path`` (its a/ or b/ prefix
    removed), or '': an absolute path, a ``.``, ``..`` or empty component, or anything under ``.git``.

    ``git apply`` refuses these ("invalid path"; an empty component in a new file's name, and no
    ``git diff`` writes one elsewhere); GNU ``patch``, the official harness's last fallback, writes
    ``tests/./x.py``, ``tests//x.py`` and ``.git/hooks/post-checkout`` (a hook that runs when the
    grader later checks files out), so every path is checked before any command sees the patch.
    """
    if path.startswith("/"):
        return f"{path!r} is an absolute path"
    parts = path.split("/")
    if any(part in (".", "..") for part in parts):
        return f"{path!r} has a '.' or '..' component"
    if "" in parts[:-1]:  # git apply refuses a new tests//x.py ("inconsistent new filename")
        return f"{path!r} has an empty component"
    if any(part.lower() == ".git" for part in parts):  # .GIT too: case-insensitive file systems
        return f"{path!r} is inside the repository's .git folder"
    return ""


def _strip_prefix(name: str) -> str | None:
    """A header name without its first component (``-p1``), or None for /dev/null."""
    name = _unquote(name.split("\t", 1)[0].rstrip())
    if name in ("/dev/null", ""):
        return None
    if name.startswith("/"):
        return name  # absolute: left so for path_problem to refuse
    return name.split("/", 1)[1] if "/" in name else name


def _git_header_names(line: str) -> list[str]:
    """The two paths of a ``diff --git a/X b/Y`` line (``-p1``), or [] when spaces make it ambiguous."""
    rest = line.removeprefix("diff --git ")
    half = (len(rest) - 1) // 2
    if len(rest) % 2 and rest[half] == " " and rest[2:half] == rest[half + 3 :]:
        return [rest[2:half]]  # the usual unchanged path, spaces and all
    words = re.findall(r'"(?:[^"\\]|\\.)*"|[^ ]+', rest)
    if len(words) != 2:
        return []
    return [name for name in map(_strip_prefix, words) if name is not None]


def header_names(patch: str) -> tuple[list[str], list[str]]:
    """(every path the patch's headers name, the paths it makes symbolic links), read the way
    ``git apply`` and ``patch`` read a diff: hunk bodies skipped by their counted lengths, so a
    changed line that happens to start with ``+++`` is not taken for a header.

    Names come from ``diff --git``, ``---`` / ``+++`` (``***`` in a context diff), rename, copy and
    ``Index:`` lines, with their first component stripped (``-p1``), not normalised.
    """
    return _scan(patch)[:2]


def _scan(patch: str) -> tuple[list[str], list[str], list[str]]:
    """:func:`header_names`, plus every space-separated word of the ``diff --git`` lines (``-p1``),
    so an ambiguous line with spaces in its paths is over-read for :func:`patch_refusal`."""
    names: list[str] = []
    words: list[str] = []
    symlinks: list[str] = []
    current: list[str] = []  # the names of the file whose headers are being read
    old = new = 0  # lines left in the current hunk
    for line in patch.splitlines():
        if old > 0 or new > 0:
            first = line[:1]
            if first in (" ", ""):
                old, new = old - 1, new - 1
                continue
            if first == "-":
                old -= 1
                continue
            if first == "+":
                new -= 1
                continue
            if first == "\\":
                continue
            old = new = 0  # a hunk cut short: read on as headers
        hunk = _HUNK.match(line)
        if hunk:
            old = int(hunk[1]) if hunk[1] is not None else 1
            new = int(hunk[2]) if hunk[2] is not None else 1
            continue
        if line.startswith("diff --git "):
            current = _git_header_names(line)
            names += current
            words += [w for w in map(_strip_prefix, line.removeprefix("diff --git ").split(" ")) if w]
            continue
        if _SYMLINK_MODE.match(line):
            symlinks += current
            continue
        for prefix in _NAMING:
            if line.startswith(prefix):
                raw = line[len(prefix) :]
                # rename/copy/Index names carry no a/ b/ prefix
                name = _unquote(raw.split("\t", 1)[0]) if prefix[0] in "rcI" else _strip_prefix(raw)
                if name:
                    names.append(name)
                    current.append(name)
                break
    return list(dict.fromkeys(names)), list(dict.fromkeys(symlinks)), list(dict.fromkeys(words))


def patch_refusal(patch: str) -> str:
    """Why the patch must not be applied at all, or '': a path ``git apply`` refuses
    (:func:`path_problem`), or a symbolic link it would create or retarget (``tests -> fake`` makes
    the grader run the patch's own copies of the tests)."""
    names, symlinks, words = _scan(patch)
    for name in names + words:
        if problem := path_problem(name):
            return f"refused: {problem}"
    if symlinks:
        return f"refused: the patch makes {', '.join(map(repr, symlinks))} a symbolic link"
    return ""
