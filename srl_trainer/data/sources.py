"""Reading expert data: any trajectory or math source into items, for ``prepare`` and ``train`` alike.

A :class:`Source` names where the records come from (hub dataset id, saved dataset folder, or
local .json/.jsonl/.traj files; empty: the embedded data of the domain) and how to read them.
:func:`read_items` returns the SWE trajectories (``agent.formats``) or parsed math records
(``data.math_steps``) with the counts of what was read and skipped; :class:`ItemStream` yields them
one record at a time (``prepare``: memory follows one record, not the source).
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
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


class ItemStream:
    """The items of a source, parsed one record at a time, with where each one is (``prepare``
    streams them: memory follows one record, not the source). Opening checks the source (a missing
    path, a prepared step dataset, an unknown format: one CliError line); iterating yields
    ``(where, item)``, counting what it read in ``records_read`` and what it left out in ``skipped``.
    """

    def __init__(self, source: Source) -> None:
        from agent.formats import FORMATS, SourceError, iter_located_records

        self.source = source
        self.path = source_path(source)
        path = self.path
        if os.path.isfile(os.path.join(path, "summary.json")) and os.path.isfile(
            os.path.join(path, "README.md")
        ):
            raise CliError(
                f"{path} is a prepared step dataset (prepare's output): pass it as --dataset {path}"
            )
        if source.domain == "swe" and source.format not in FORMATS:
            raise CliError(f"unknown trajectory format {source.format!r}; choose one of {', '.join(FORMATS)}")
        if not os.path.exists(os.path.expanduser(path)):  # a hub dataset id: fail fast when offline
            from srl_trainer.hub import offline_unless_reachable

            offline_unless_reachable()
        try:
            self._records, self._skipped = iter_located_records(path, source.split or None)
        except SourceError as error:
            raise CliError(str(error)) from None
        self._yielded = 0

    def skip(self, reason: str, where: str) -> None:
        """Count one more record left out (by the caller: too long, say) under ``reason``."""
        self._skipped.add(reason, where)

    @property
    def records_read(self) -> int:
        # Lines that were not even JSON were never yielded as records, but were read.
        return self._yielded + self._skipped.counts["invalid_json"]

    @property
    def skipped(self) -> SkippedRecords:
        return SkippedRecords(self._skipped.counts, self._skipped.where)

    def __iter__(self) -> Iterator[tuple[str, Any]]:
        from agent.formats import RecordError, SourceError, parse_record, record_name
        from srl_trainer.data.math_steps import parse_math_record

        try:
            for index, (where, record) in enumerate(self._records):
                self._yielded += 1
                name = record_name(where, record)
                try:
                    if self.source.domain == "swe":
                        item = parse_record(record, self.source.format)
                    else:
                        item = parse_math_record(record, index)
                except RecordError as error:
                    self.skip(error.reason, name)
                    continue
                except (AttributeError, TypeError, KeyError):  # a record of the wrong shape
                    self.skip("wrong_shape", name)
                    continue
                del record  # the raw record (a 200 MB observation, say) is not kept while the item is used
                yield name, item
                del item  # nor is this item while the next record is read
        except SourceError as error:  # a file of a folder that turns out unreadable, or not JSON
            raise CliError(str(error)) from None


def read_items(source: Source) -> SourceItems:
    """(items, records_read, skipped-by-reason) of ``source``, all in memory (``train`` picks records
    from the whole list); an unreadable source is a CliError."""
    stream = ItemStream(source)
    items = [item for _, item in stream]
    return SourceItems(items, stream.records_read, stream.skipped)
