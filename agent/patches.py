"""Reading git unified diffs (the form of every patch: gold, test and model), with ``unidiff``."""

from __future__ import annotations


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
