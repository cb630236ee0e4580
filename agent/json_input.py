"""Reading JSON that a user or a policy wrote: every bad line is one message, never a traceback.

``json.loads`` alone lets hostile input through as tracebacks: a deeply nested line raises
RecursionError (not JSONDecodeError), a non-UTF-8 byte raises UnicodeDecodeError for the whole file,
and ``NaN`` / ``Infinity`` parse into floats that later code takes for text. The readers here turn
each into a message naming the file and line, so the caller skips that record, counts it, and goes
on with the rest. Lines are read one at a time (binary, decoded per line): one bad byte costs its
line, not the file, and memory follows the longest line, not the file.

This module sits in ``agent`` (the lowest layer) so that env/ and srl_trainer/ readers share it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

# Deeper than this is no record this project reads (trajectories nest under 10 levels); the cap
# also keeps later recursive code (json.dumps, copies) far from Python's recursion limit.
MAX_DEPTH = 100


class JsonInputError(ValueError):
    """A JSON document or line that cannot be used; the message says why, in one line."""


def _depth_exceeds(value: Any, limit: int) -> bool:
    """Whether ``value`` nests lists/objects deeper than ``limit`` (iterative: no recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def _reject_constant(name: str) -> Any:
    raise JsonInputError(f"not valid JSON: {name} is not a JSON value")


def parse_json(text: str | bytes, allow_nan: bool = False) -> Any:
    """``text`` parsed as strict JSON, or :class:`JsonInputError` saying why. NaN/Infinity are
    refused unless ``allow_nan`` (for files this project wrote itself: ``json.dumps`` writes them)."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as error:
            raise JsonInputError(f"not UTF-8 (byte {error.start + 1})") from None
    try:
        value = json.loads(text) if allow_nan else json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as error:
        raise JsonInputError(
            f"not valid JSON: {error.msg} at line {error.lineno} column {error.colno}"
        ) from None
    except RecursionError:
        raise JsonInputError(f"nested deeper than {MAX_DEPTH} levels") from None
    if _depth_exceeds(value, MAX_DEPTH):
        raise JsonInputError(f"nested deeper than {MAX_DEPTH} levels")
    return value


def iter_json_lines(path: str | Path) -> Iterator[tuple[int, Any, str]]:
    """``(line number, value, problem)`` for each non-blank line of a JSON-lines file, in order.

    ``problem`` is '' for a good line, else why the line is unusable (``value`` is then None).
    Raises :class:`JsonInputError` only when the file itself cannot be opened.
    """
    try:
        stream = Path(path).open("rb")
    except OSError as error:
        raise JsonInputError(f"{path}: cannot read ({error.strerror or error})") from None
    with stream:
        for number, line in enumerate(stream, 1):
            if not line.strip():
                continue
            try:
                yield number, parse_json(line), ""
            except JsonInputError as error:
                yield number, None, str(error)


def read_json_document(path: str | Path) -> Any:
    """The one JSON value of ``path``, or :class:`JsonInputError` naming the file and the problem
    (``PATH is not valid JSON: ... at line L column C``)."""
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise JsonInputError(f"{path}: cannot read ({error.strerror or error})") from None
    try:
        return parse_json(data)
    except JsonInputError as error:
        raise JsonInputError(f"{path} is {error}") from None
