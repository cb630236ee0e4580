"""Append-only JSON-lines result files that survive an interrupt and let a rerun resume.

A command that works through many items (replay, solve, collect) appends one whole line per
finished item, so what finished is on disk whatever stops the run. A run killed in the middle of a
write leaves a torn last line; :func:`read_records` drops it (and cuts it from the file, so the next
append starts on a fresh line) instead of failing on it.

:func:`path_name` is the one way a name read from a record (an instance id, a model name) becomes
a file or folder name: every output path built from such a name goes through it.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from agent.json_input import JsonInputError, parse_json

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")
_HASHED = re.compile(r"-[0-9a-f]{12}\Z")  # the suffix path_name appends
NAME_LIMIT = 100  # characters kept before the hash; file names stop at 255 bytes


def path_name(name: object) -> str:
    """``name`` as one safe path component inside a folder: stable, readable, collision-free.

    Characters other than ``[A-Za-z0-9._-]`` become ``_``; when anything changed (or the name is
    empty, ``.``, ``..``, longer than NAME_LIMIT, or already ends like an escaped name), a hash of
    the original is appended, so two different names never share a component: ``a/b`` becomes
    ``a_b-<hash>``, while ``a_b`` stays ``a_b``. ``/abs/dir`` and ``../../x`` stay one level inside
    the folder they are joined to. The original name is what reports keep.
    """
    text = str(name)
    safe = _UNSAFE.sub("_", text)[:NAME_LIMIT]
    if safe == text and text not in ("", ".", "..") and not _HASHED.search(text):
        return text
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    return f"{safe}-{digest}"


def read_records(path: str | Path) -> list[dict]:
    """The whole JSON lines of ``path`` (none when it does not exist), in file order.

    A last line without its newline is the write a kill cut short: it is removed from the file.
    A complete line that is not a JSON object is kept in the file but not returned.
    """
    path = Path(path)
    if not path.is_file():
        return []
    data = path.read_bytes()
    if data and not data.endswith(b"\n"):
        data = data[: data.rfind(b"\n") + 1]  # rfind -1: no whole line at all, the file empties
        with path.open("r+b") as stream:
            stream.truncate(len(data))
    records = []
    for line in data.splitlines():
        try:
            record = parse_json(line, allow_nan=True)  # append_record writes NaN as json.dumps does
        except JsonInputError:  # not JSON, not UTF-8, or nested past any record's depth
            continue
        if isinstance(record, dict):
            records.append(record)
    return records


def append_record(path: str | Path, record: dict) -> None:
    """Append ``record`` as one line and flush it to the file before returning."""
    with Path(path).open("a", encoding="utf-8") as stream:
        stream.write(json.dumps(record, ensure_ascii=False) + "\n")


def write_records(path: str | Path, records: list[dict]) -> None:
    """Replace ``path`` by ``records`` through a temporary file, so no reader sees half of it."""
    path = Path(path)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    temporary.replace(path)
