"""Reading git unified diffs (the form of every patch: gold, test and model)."""

from __future__ import annotations


def patched_files(patch: str) -> list[str]:
    """Repository-relative paths a git diff touches, in order, each once."""
    files = [line.split(" b/", 1)[1] for line in patch.splitlines() if line.startswith("diff --git a/")]
    return list(dict.fromkeys(files))
