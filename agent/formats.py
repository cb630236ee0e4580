"""Readers for the expert-trajectory formats SWE-Gym, SWE-smith and SWE-agent publish.

All of them produce :class:`agent.trajectory.Trajectory`. A source is a hub dataset id (through
``datasets.load_dataset``), a folder written by ``Dataset.save_to_disk``, a local ``.json`` /
``.jsonl`` / ``.traj`` file, or a folder of such files. A record that cannot be read is skipped and
counted by reason; only a source that cannot be opened at all raises :class:`SourceError`.

Deliberate choices for the quirks of real data (see FORMATS.md):

- Assistant turns without a tool call (followed by the "Please continue" nudge) are not actions;
  their text joins the thought of the next action. Same for OpenHands' ``think`` tool.
- A final ``finish`` call that lacks ``</function>`` is accepted (it is the last thing in the turn).
  A ``<finish>...</finish>`` pseudo-tag is not a call: the record keeps its earlier steps and the
  tag's text becomes free text (so the trajectory simply ends without a finish step).
- ``finish``'s ``message`` / ``task_completed`` arguments are dropped from the action (the message is
  kept as thought): the canonical finish has no arguments, so the reward does not score prose.
- SWE-smith's ``bash`` / ``submit`` are ``execute_bash`` / ``finish``; the ``OBSERVATION:`` prefix is
  removed from observations everywhere.
- SWE-agent commands (``open``, ``edit 1:3 ... end_of_edit``, ...) are kept verbatim as
  ``execute_bash`` commands (they are shell commands of SWE-agent's interface); ``submit`` is finish.
- A record that uses a tool outside the OpenHands set (``browser``, ``execute_ipython_cell``, ...)
  is skipped as ``unsupported_tool``: dropping the call would make later observations inexplicable.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent.actions import (
    ActionFormatError,
    BashAction,
    FinishAction,
    find_function_calls,
    make_action,
    parse_function_call,
)
from agent.json_input import JsonInputError, iter_json_lines, parse_json, read_json_document
from agent.trajectory import Step, Trajectory

FORMATS = ("auto", "openhands_text", "openhands_native", "sweagent")
FILE_SUFFIXES = (".json", ".jsonl", ".traj")
# The largest .json/.traj document read (whole); JSON lines files have no limit (read line by line).
MAX_JSON_DOCUMENT_BYTES = 128 << 20

# Tool names of other scaffolds that mean the same OpenHands tool.
TOOL_ALIASES = {"bash": "execute_bash", "submit": "finish"}
THINK_TOOL = "think"


class SourceError(Exception):
    """A trajectory source that cannot be opened (missing path, unreadable file, unknown id)."""


class RecordError(Exception):
    """One record that cannot be used; ``reason`` is the short key it is counted under."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


@dataclass
class ReadResult:
    """What a source yielded: the trajectories and, per reason, how many records were skipped."""

    trajectories: list[Trajectory] = field(default_factory=list)
    skipped: Counter = field(default_factory=Counter)
    records_read: int = 0
    # reason -> where each skipped record is ("file.jsonl:12", "file.json record 3 (instance id)")
    skipped_where: dict[str, list[str]] = field(default_factory=dict)

    @property
    def kept(self) -> int:
        return len(self.trajectories)


# --------------------------------------------------------------------------- helpers


def strip_observation_prefix(text: str) -> str:
    """Drop the ``OBSERVATION:`` / ``EXECUTION RESULT of [tool]:`` header an observation carries."""
    text = text or ""
    for pattern in (r"\AOBSERVATION:\n?", r"\AEXECUTION RESULT of \[[^\]]*\]:\n?"):
        text = re.sub(pattern, "", text)
    return text


def _message_text(content: Any) -> str:
    """Message content as text; OpenAI-style content lists are joined."""
    if content is None:
        return ""
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return str(content)


_EXAMPLE_BLOCK = re.compile(
    r"-+ START OF EXAMPLE -+.*?-+ END OF EXAMPLE -+\s*"
    r"(?:Do NOT assume the environment is the same as in the example above\.\s*)?",
    re.DOTALL,
)


def clean_problem(text: str) -> str:
    """The task text of a first user message, without the in-context example some prompts carry."""
    text = _EXAMPLE_BLOCK.sub("", text)
    text = re.sub(
        r"\AHere's a running example of how to perform a task with the provided tools\.\s*", "", text
    )
    text = re.sub(r"-+ NEW TASK DESCRIPTION -+\s*", "", text)
    return text.strip()


def _tool_action(name: str, arguments: dict[str, Any]):
    """Map a recorded call to an action, or ``None`` for a ``think`` call (pure reasoning)."""
    name = TOOL_ALIASES.get(name, name)
    if name == THINK_TOOL:
        return None
    if name not in ("execute_bash", "str_replace_editor", "finish"):
        raise RecordError("unsupported_tool", name)
    try:
        return make_action(name, arguments, strict=False)
    except ActionFormatError as error:
        raise RecordError("malformed_action", str(error)) from None


def _finish_thought(name: str, arguments: dict[str, Any]) -> str:
    if TOOL_ALIASES.get(name, name) == "finish" and arguments.get("message"):
        return str(arguments["message"])
    if name == THINK_TOOL:
        return str(arguments.get("thought", ""))
    return ""


def _join(*parts: str) -> str:
    return "\n\n".join(p.strip() for p in parts if p and p.strip())


def _finalise(trajectory: Trajectory) -> Trajectory:
    if not trajectory.problem.strip():
        raise RecordError("no_problem")
    if not trajectory.steps:
        raise RecordError("no_actions")
    return trajectory


def _chat_trajectory(record: dict[str, Any], source_format: str) -> tuple[list[dict], Trajectory]:
    """The messages of a chat-style record and an empty trajectory whose problem is the first user turn."""
    messages = record.get("messages")
    if not isinstance(messages, list) or not messages:
        raise RecordError("no_messages")
    users = [m for m in messages if m.get("role") == "user"]
    if not users:
        raise RecordError("no_problem")
    trajectory = Trajectory(
        problem=clean_problem(_message_text(users[0].get("content"))),
        instance_id=record.get("instance_id"),
        resolved=record.get("resolved"),
        source_format=source_format,
    )
    return messages, trajectory


# --------------------------------------------------------------------------- OpenHands text calls


def parse_openhands_text(record: dict[str, Any]) -> Trajectory:
    """SWE-Gym OpenHands-SFT-Trajectories (and SWE-smith): calls written as text in assistant turns."""
    messages, trajectory = _chat_trajectory(record, "openhands_text")
    pending_thought = ""
    waiting: Step | None = None  # the step whose observation is the next user turn
    first_user_seen = False
    for message in messages:
        role = message.get("role")
        text = _message_text(message.get("content"))
        if role == "user":
            if not first_user_seen:
                first_user_seen = True
                continue
            if waiting is not None:
                waiting.observation = strip_observation_prefix(text)
                waiting = None
            continue
        if role != "assistant":
            continue
        spans = find_function_calls(text)
        if not spans:
            pending_thought = _join(pending_thought, text)
            continue
        if len(spans) > 1:
            raise RecordError("several_calls_in_turn")
        start, end = spans[0]
        call_text = text[start:] if end == -1 else text[start:end]
        try:
            name, arguments = parse_function_call(call_text, strict=False)
        except ActionFormatError as error:
            raise RecordError("malformed_action", str(error)) from None
        action = _tool_action(name, arguments)
        thought = _join(pending_thought, text[:start], _finish_thought(name, arguments))
        if action is None:  # a think call: reasoning only
            pending_thought = thought
            continue
        pending_thought = ""
        step = Step(thought=thought, action=action, observation="")
        trajectory.steps.append(step)
        waiting = step
    return _finalise(trajectory)


# --------------------------------------------------------------------------- OpenHands tool calls


def parse_openhands_native(record: dict[str, Any]) -> Trajectory:
    """SWE-Gym OpenHands-Sampled-Trajectories: OpenAI-style ``tool_calls`` and ``tool`` messages."""
    messages, trajectory = _chat_trajectory(record, "openhands_native")
    by_call_id: dict[str, Step] = {}
    pending_thought = ""
    for message in messages:
        role = message.get("role")
        if role == "tool":
            step = by_call_id.pop(message.get("tool_call_id") or "", None)
            if step is not None:
                step.observation = strip_observation_prefix(_message_text(message.get("content")))
            continue
        if role != "assistant":
            continue
        text = _message_text(message.get("content"))
        calls = message.get("tool_calls") or []
        if not calls:
            pending_thought = _join(pending_thought, text)
            continue
        # Several calls in one turn are several actions; the turn's text precedes the first.
        for index, call in enumerate(calls):
            function = call.get("function") or {}
            name = function.get("name") or ""
            raw = function.get("arguments") or "{}"
            try:
                arguments = json.loads(raw) if isinstance(raw, str) else dict(raw)
            except (json.JSONDecodeError, TypeError, ValueError):
                raise RecordError("bad_arguments_json", name) from None
            if not isinstance(arguments, dict):
                raise RecordError("bad_arguments_json", name)
            action = _tool_action(name, arguments)
            thought = _join(pending_thought, text if index == 0 else "", _finish_thought(name, arguments))
            if action is None:
                pending_thought = thought
                continue
            pending_thought = ""
            step = Step(thought=thought, action=action, observation="")
            trajectory.steps.append(step)
            by_call_id[call.get("id") or f"#{len(trajectory.steps)}"] = step
    return _finalise(trajectory)


# --------------------------------------------------------------------------- SWE-agent .traj


def _sweagent_problem(record: dict[str, Any]) -> str:
    for message in record.get("history") or []:
        text = _message_text(message.get("content"))
        if message.get("role") != "user" or "--- DEMONSTRATION ---" in text:
            continue
        match = re.search(r"ISSUE:\n(.*?)\n\s*INSTRUCTIONS:", text, re.DOTALL)
        return match.group(1).strip() if match else text.strip()
    return ""


def parse_sweagent(record: dict[str, Any]) -> Trajectory:
    """SWE-agent ``.traj``: a list of ``{thought, action, observation}``; actions are command lines."""
    entries = record.get("trajectory")
    if not isinstance(entries, list):
        raise RecordError("no_trajectory")
    info = record.get("info") or {}
    trajectory = Trajectory(
        problem=_sweagent_problem(record),
        instance_id=record.get("instance_id") or info.get("instance_id"),
        resolved=info.get("resolved"),
        source_format="sweagent",
    )
    for entry in entries:
        command = (entry.get("action") or "").strip()
        if not command:
            raise RecordError("malformed_action", "empty SWE-agent action")
        action = FinishAction() if command == "submit" else BashAction(command=command)
        trajectory.steps.append(
            Step(
                thought=(entry.get("thought") or "").strip(),
                action=action,
                observation=entry.get("observation") or "",
            )
        )
    return _finalise(trajectory)


# --------------------------------------------------------------------------- detection and sources

PARSERS = {
    "openhands_text": parse_openhands_text,
    "openhands_native": parse_openhands_native,
    "sweagent": parse_sweagent,
}


def detect_format(record: Any) -> str:
    """Which reader a record needs; raises :class:`RecordError` ``unknown_format`` if none fits."""
    if not isinstance(record, dict):
        raise RecordError("unknown_format", f"record is a {type(record).__name__}")
    if isinstance(record.get("trajectory"), list):
        return "sweagent"
    messages = record.get("messages")
    if isinstance(messages, str):  # some hub exports keep messages JSON-encoded
        return "openhands_text"
    if isinstance(messages, list):
        assistants = [m for m in messages if isinstance(m, dict) and m.get("role") == "assistant"]
        if any(m.get("tool_calls") for m in assistants):
            return "openhands_native"
        if any("<function=" in _message_text(m.get("content")) for m in assistants):
            return "openhands_text"
    raise RecordError("unknown_format", "no tool calls found")


def parse_record(record: Any, fmt: str = "auto") -> Trajectory:
    """One raw record -> Trajectory, or :class:`RecordError` naming why it cannot be used."""
    if isinstance(record, dict) and isinstance(record.get("messages"), str):
        try:
            record = {**record, "messages": parse_json(record["messages"])}
        except JsonInputError:  # not JSON, or nested too deep
            raise RecordError("bad_messages_json") from None
    name = detect_format(record) if fmt == "auto" else fmt
    if name not in PARSERS:
        raise ValueError(f"unknown trajectory format {fmt!r}; choose one of {', '.join(FORMATS)}")
    trajectory = PARSERS[name](record)
    # An id of another type (an integer) would fail later, in the dataset writer, as a traceback.
    if trajectory.instance_id is not None and not isinstance(trajectory.instance_id, str):
        raise RecordError("bad_instance_id", f"instance_id is a {type(trajectory.instance_id).__name__}")
    return trajectory


class Skipped:
    """Records left out while reading, by reason: how many, and where each one is."""

    def __init__(self) -> None:
        self.counts: Counter = Counter()
        self.where: dict[str, list[str]] = {}

    def add(self, reason: str, where: str) -> None:
        self.counts[reason] += 1
        self.where.setdefault(reason, []).append(where)


def record_name(where: str, record: Any) -> str:
    """Where a record is, with its instance id when it has one (what a user greps for)."""
    if isinstance(record, dict):
        name = record.get("instance_id") or record.get("id")
        if isinstance(name, str | int) and str(name):
            return f"{where} ({name})"
    return where


def _records_of_file(path: Path, skipped: Skipped) -> Iterator[tuple[str, Any]]:
    """(where, record) of a .json/.jsonl/.traj file: ``file:LINE`` for JSON lines, ``file record N``
    (1-based) for the items of a JSON list."""
    if path.suffix == ".jsonl":
        # agent.json_input: a line that is not JSON, not UTF-8, or nested too deep (RecursionError)
        # is counted as invalid_json and skipped; lines are read one at a time.
        try:
            for number, value, problem in iter_json_lines(path):
                if problem:
                    skipped.add("invalid_json", f"{path}:{number}")
                else:
                    yield f"{path}:{number}", value
        except JsonInputError as error:
            raise SourceError(str(error)) from None
        return
    # A .json/.traj document is parsed whole (JSON lines are read one line at a time): past this
    # size its Python objects alone could take gigabytes, so it is refused before it is read.
    size = path.stat().st_size
    if size > MAX_JSON_DOCUMENT_BYTES:
        raise SourceError(
            f"{path} is {size / 2**20:.0f} MiB, over the {MAX_JSON_DOCUMENT_BYTES >> 20} MiB a .json/.traj "
            "document may take (it is read whole); write it as JSON lines, one record per line "
            f"(a list: jq -c '.[]' {path} > records.jsonl)"
        )
    try:
        data = read_json_document(path)
    except JsonInputError as error:
        raise SourceError(str(error)) from None
    if isinstance(data, list):
        yield from ((f"{path} record {number}", item) for number, item in enumerate(data, 1))
    else:
        yield str(path), data


def _rows(dataset: Iterable[Any], source: str) -> Iterator[tuple[str, Any]]:
    return ((f"{source} row {index}", row) for index, row in enumerate(dataset))


def iter_located_records(source: str, split: str | None = None) -> tuple[Iterable[tuple[str, Any]], Skipped]:
    """(where, record) pairs of ``source``, and what was skipped while reading (lines not JSON)."""
    skipped = Skipped()
    path = Path(source).expanduser()
    if path.is_dir() and (
        (path / "dataset_info.json").exists()
        or (path / "state.json").exists()
        or (path / "dataset_dict.json").exists()
    ):
        return _rows(_load_saved_dataset(path, split), source), skipped
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.suffix in FILE_SUFFIXES and p.is_file())
        if not files:
            raise SourceError(f"{source} holds no {'/'.join(FILE_SUFFIXES)} files")
        return (r for f in files for r in _records_of_file(f, skipped)), skipped
    if path.is_file():
        if path.suffix not in FILE_SUFFIXES:
            raise SourceError(f"{source}: expected a {'/'.join(FILE_SUFFIXES)} file")
        return _records_of_file(path, skipped), skipped
    if re.fullmatch(r"[\w.-]+/[\w.-]+", source) and not source.startswith((".", "/")):
        return _rows(_load_hub_dataset(source, split), source), skipped
    raise SourceError(f"{source}: no such file or folder (and not a hub dataset id owner/name)")


def iter_source_records(source: str, split: str | None = None) -> tuple[Iterable[Any], Counter]:
    """The raw records of ``source`` and a counter that collects records skipped while reading."""
    located, skipped = iter_located_records(source, split)
    return (record for _, record in located), skipped.counts


def _pick_split(dataset: Any, source: str, split: str | None):
    from datasets import DatasetDict

    if not isinstance(dataset, DatasetDict):
        return dataset
    if split is None:
        if len(dataset) != 1:
            raise SourceError(f"{source} has splits {', '.join(dataset)}; choose one with --split")
        split = next(iter(dataset))
    if split not in dataset:
        raise SourceError(f"{source} has no split {split!r} (it has {', '.join(dataset)})")
    return dataset[split]


def _load_saved_dataset(path: Path, split: str | None) -> Iterable[Any]:
    from datasets import load_from_disk

    try:
        dataset = load_from_disk(str(path))
    except Exception as error:  # datasets raises several types for a damaged folder
        raise SourceError(f"cannot load the saved dataset {path}: {error}") from None
    return _pick_split(dataset, str(path), split)


def _load_hub_dataset(source: str, split: str | None) -> Iterable[Any]:
    from datasets import load_dataset

    try:
        dataset = load_dataset(source, split=split)
    except Exception as error:  # offline, unknown id, missing split: all end the same way
        raise SourceError(f"cannot load hub dataset {source}: {str(error).splitlines()[0]}") from None
    return _pick_split(dataset, source, split)


def read_trajectories(source: str, fmt: str = "auto", split: str | None = None) -> ReadResult:
    """Read every usable trajectory of ``source``; bad records are skipped and counted by reason."""
    if fmt not in FORMATS:
        raise SourceError(f"unknown trajectory format {fmt!r}; choose one of {', '.join(FORMATS)}")
    records, skipped = iter_located_records(source, split)
    result = ReadResult()
    for where, record in records:
        result.records_read += 1
        try:
            result.trajectories.append(parse_record(record, fmt))
        except RecordError as error:
            skipped.add(error.reason, record_name(where, record))
        except (AttributeError, TypeError, KeyError):  # a record of the wrong shape for fmt
            skipped.add("wrong_shape", record_name(where, record))
    # Lines that were not JSON never became records but were read all the same.
    result.records_read += skipped.counts["invalid_json"]
    result.skipped.update(skipped.counts)
    result.skipped_where = skipped.where
    return result
