"""Reading expert data: any trajectory or math source into items, for ``prepare`` and ``train`` alike.

A :class:`Source` names where the records come from (hub dataset id, saved dataset folder, or
local .json/.jsonl/.traj files; empty: the embedded data of the domain) and how to read them.
:func:`read_items` returns the SWE trajectories (``agent.formats``) or parsed math records
(``data.math_steps``) with the counts of what was read and skipped.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from srl_trainer.errors import CliError


@dataclass(frozen=True)
class Source:
    """Where the expert records come from and how they are read."""

    trajectories: str = field(
        default="",
        metadata={
            "help": "Hub dataset id, saved dataset folder, or .json/.jsonl/.traj file or folder. "
            "Empty: the embedded expert data of the domain."
        },
    )
    domain: str = field(default="swe", metadata={"help": "swe: agent trajectories; math: written solutions."})
    format: str = field(
        default="auto", metadata={"help": "SWE trajectory format; auto detects it per record."}
    )
    split: str = field(default="", metadata={"help": "Dataset split for hub ids / saved DatasetDicts."})


class SkippedRecords(Counter):
    """reason -> records left out; ``where``: reason -> where each one is, in reading order
    (``file.jsonl:12``, ``file.json record 3 (instance id)``, ``dataset row 7``)."""

    def __init__(self, counts: Any = (), where: dict[str, list[str]] | None = None):
        super().__init__(counts)
        self.where = {reason: list(places) for reason, places in (where or {}).items()}


class SourceItems(NamedTuple):
    items: list[Any]  # agent.formats.Trajectory (swe) or data.math_steps records (math)
    records_read: int
    skipped: SkippedRecords


def source_path(source: Source) -> str:
    """``source.trajectories``, else the embedded expert data of the domain."""
    from srl_trainer.data.embedded import default_expert_data

    return source.trajectories or str(default_expert_data(source.domain))


def no_usable_records(source: str, domain: str, skipped: dict[str, int], flags: str) -> CliError:
    """The one-line error when a source gave no usable record; ``flags`` are the ones to check."""
    reasons = ", ".join(f"{k}={v}" for k, v in skipped.items()) or "no records"
    return CliError(f"{source}: no usable {domain} record ({reasons}); check {flags}")


def read_items(source: Source) -> SourceItems:
    """(items, records_read, skipped-by-reason) of ``source``; an unreadable source is a CliError."""
    from agent.formats import RecordError, SourceError, iter_located_records, read_trajectories, record_name
    from srl_trainer.data.math_steps import parse_math_record

    split = source.split or None
    path = source_path(source)
    if os.path.isfile(os.path.join(path, "summary.json")) and os.path.isfile(os.path.join(path, "README.md")):
        raise CliError(f"{path} is a prepared step dataset (prepare's output): pass it as --dataset {path}")
    if not os.path.exists(os.path.expanduser(path)):  # a hub dataset id: fail fast when offline
        from srl_trainer.hub import offline_unless_reachable

        offline_unless_reachable()
    try:
        if source.domain == "swe":
            result = read_trajectories(path, source.format, split)
            skipped = SkippedRecords(result.skipped, result.skipped_where)
            return SourceItems(result.trajectories, result.records_read, skipped)
        records, unreadable = iter_located_records(path, split)
        items, read = [], 0
        for index, (where, record) in enumerate(records):
            read += 1
            try:
                items.append(parse_math_record(record, index))
            except RecordError as error:
                unreadable.add(error.reason, record_name(where, record))
        # Lines that were not even JSON were never yielded as records, but were read.
        read += unreadable.counts["invalid_json"]
        return SourceItems(items, read, SkippedRecords(unreadable.counts, unreadable.where))
    except SourceError as error:
        raise CliError(str(error)) from None
