"""Append-only JSON-lines result files that survive an interrupt and let a rerun resume.

A command that works through many items (replay, solve, collect) appends one whole line per
finished item, so what finished is on disk whatever stops the run. A run killed in the middle of a
write leaves a torn last line; :func:`read_records` drops it (and cuts it from the file, so the next
append starts on a fresh line) instead of failing on it.
"""

from __future__ import annotations

import json
from pathlib import Path


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
    for line in data.decode("utf-8", errors="replace").splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
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
