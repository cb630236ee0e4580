"""Reading expert data: any trajectory or math source into items, for ``prepare`` and ``train`` alike.

A :class:`Source` names where the records come from (hub dataset id, saved dataset folder, or
local .json/.jsonl/.traj files; empty: the embedded data of the domain) and how to read them.
:func:`read_items` returns the SWE trajectories (``agent.formats``) or parsed math records
(``data.math_steps``) with the counts of what was read and skipped.
"""

from __future__ import annotations

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


class SourceItems(NamedTuple):
    items: list[Any]  # agent.formats.Trajectory (swe) or data.math_steps records (math)
    records_read: int
    skipped: Counter  # reason -> records left out


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
    from agent.formats import RecordError, SourceError, iter_source_records, read_trajectories
    from srl_trainer.data.math_steps import parse_math_record

    split = source.split or None
    path = source_path(source)
    try:
        if source.domain == "swe":
            result = read_trajectories(path, source.format, split)
            return SourceItems(result.trajectories, result.records_read, result.skipped)
        records, skipped = iter_source_records(path, split)
        items, read, unusable = [], 0, Counter()
        for index, record in enumerate(records):
            read += 1
            try:
                items.append(parse_math_record(record, index))
            except RecordError as error:
                unusable[error.reason] += 1
        # `skipped` holds lines that were not even JSON; they were never yielded as records.
        return SourceItems(items, read + sum(skipped.values()), skipped + unusable)
    except SourceError as error:
        raise CliError(str(error)) from None
