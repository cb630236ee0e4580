"""Task instances in the SWE-bench schema (SWE-Gym uses the same), read from .json or .jsonl files.

FAIL_TO_PASS / PASS_TO_PASS are JSON lists in some releases and JSON-encoded *strings* of lists in
others (the princeton-nlp HF release); both are accepted and stored as lists. A field of the wrong
type (an integer instance_id, a list as test_patch, NaN anywhere) is an InstanceError naming the
record, never a silent ``str()`` of it: grading reads these fields.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from agent.json_input import JsonInputError, iter_json_lines, parse_json, read_json_document


class InstanceError(ValueError):
    """An instance file or record that cannot be used (missing file, bad JSON, missing field)."""


@dataclass(frozen=True)
class Instance:
    """One task: a repository at a base commit, the problem, the gold patch and its tests."""

    instance_id: str
    repo: str
    base_commit: str
    problem_statement: str = ""
    patch: str = ""
    test_patch: str = ""
    fail_to_pass: tuple[str, ...] = ()
    pass_to_pass: tuple[str, ...] = ()
    version: str = ""
    environment_setup_commit: str = ""
    extra: dict = field(default_factory=dict, compare=False, hash=False)
    # Which of FAIL_TO_PASS / PASS_TO_PASS the record lacked (absent or null): such an instance
    # cannot be graded (env.grading.instance_problem), while an explicit empty list is kept as given.
    missing_fields: tuple[str, ...] = field(default=(), compare=False)


def _test_list(value: object, name: str, instance_id: str) -> tuple[str, ...]:
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        try:
            value = parse_json(value)
        except JsonInputError:
            raise InstanceError(f"{instance_id}: {name} is a string but not a JSON list") from None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InstanceError(f"{instance_id}: {name} must be a list of test ids")
    return tuple(value)


TEXT_FIELDS = ("problem_statement", "patch", "test_patch", "environment_setup_commit")


def _field_types_problem(record: dict) -> str:
    """Why a field of ``record`` has a type grading cannot use, or ''."""
    for name in ("instance_id", "repo", "base_commit"):
        if record.get(name) is not None and not isinstance(record[name], str):
            return f"{name} must be a string, not {type(record[name]).__name__}"
    for name in TEXT_FIELDS:
        if record.get(name) is not None and not isinstance(record[name], str):
            return f"{name} must be a string or null, not {type(record[name]).__name__}"
    version = record.get("version")  # "3.0" on the hub; a bare number is read as its text
    if version is not None and (
        isinstance(version, bool)
        or not isinstance(version, str | int | float)
        or (isinstance(version, float) and not math.isfinite(version))
    ):
        return f"version must be a string or a number, not {type(version).__name__}"
    return ""


def instance_from_record(record: dict) -> Instance:
    """Build an :class:`Instance` from one SWE-bench-schema record."""
    name = record.get("instance_id")
    name = str(name) if isinstance(name, str | int) and str(name) else "<record without instance_id>"
    problem = _field_types_problem(record)
    if problem:
        raise InstanceError(f"{name}: {problem}")
    missing = [k for k in ("instance_id", "repo", "base_commit") if not record.get(k)]
    if missing:
        raise InstanceError(f"{name}: missing field(s) {', '.join(missing)}")
    iid = record["instance_id"]
    known = {
        "instance_id", "repo", "base_commit", "problem_statement", "patch", "test_patch",
        "FAIL_TO_PASS", "PASS_TO_PASS", "version", "environment_setup_commit",
    }  # fmt: skip
    return Instance(
        instance_id=iid,
        repo=str(record["repo"]),
        base_commit=str(record["base_commit"]),
        problem_statement=str(record.get("problem_statement") or ""),
        patch=str(record.get("patch") or ""),
        test_patch=str(record.get("test_patch") or ""),
        fail_to_pass=_test_list(record.get("FAIL_TO_PASS"), "FAIL_TO_PASS", iid),
        pass_to_pass=_test_list(record.get("PASS_TO_PASS"), "PASS_TO_PASS", iid),
        version=str(record.get("version") or ""),
        environment_setup_commit=str(record.get("environment_setup_commit") or ""),
        extra={k: v for k, v in record.items() if k not in known},
        missing_fields=tuple(k for k in ("FAIL_TO_PASS", "PASS_TO_PASS") if record.get(k) is None),
    )


def instance_record(instance: Instance) -> dict:
    """The SWE-bench fields every consumer reads (test lists as JSON lists); ``instance_from_record``
    reads it back. Callers add what their schema needs on top (version, image, string test lists)."""
    return {
        "instance_id": instance.instance_id,
        "repo": instance.repo,
        "base_commit": instance.base_commit,
        "patch": instance.patch,
        "test_patch": instance.test_patch,
        "problem_statement": instance.problem_statement,
        "FAIL_TO_PASS": list(instance.fail_to_pass),
        "PASS_TO_PASS": list(instance.pass_to_pass),
    }


def grading_key(instance: Instance) -> str:
    """A hash of everything grading can read from the record: every field but the problem
    statement (and ``hints_text``), which only the agent reads. A saved verdict is reused only
    for an instance with the same key (a changed FAIL_TO_PASS, test patch, base commit, version,
    repository... is graded again)."""
    fields = {
        **instance_record(instance),
        "version": instance.version,
        "environment_setup_commit": instance.environment_setup_commit,
        "missing_fields": list(instance.missing_fields),
        "extra": {k: v for k, v in instance.extra.items() if k != "hints_text"},
    }
    fields.pop("problem_statement")
    text = json.dumps(fields, sort_keys=True, ensure_ascii=False, default=repr)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def read_instances(source: str | Path, notes: list[str] | None = None) -> dict[str, Instance]:
    """Read instances from a ``.jsonl`` file, a ``.json`` list (or single object), keyed by id.

    Without ``notes`` the first unusable record raises InstanceError. With a ``notes`` list, each
    unusable record (not JSON, not UTF-8, nested too deep, not an object, a missing field or one of
    the wrong type) is skipped and described there in one line naming the file and line; the rest
    is read. A file that cannot be read at all raises InstanceError either way.
    """
    path = Path(source)
    if not path.is_file():
        raise InstanceError(f"instances file {path} does not exist (give a SWE-bench .json/.jsonl)")
    located: list[tuple[str, object, str]] = []  # (where, record, problem)
    try:
        if path.suffix == ".jsonl":
            located = [(f"line {n}", value, problem) for n, value, problem in iter_json_lines(path)]
        else:
            data = read_json_document(path)
            items = data if isinstance(data, list) else [data]
            located = [(f"record {n}", item, "") for n, item in enumerate(items, 1)]
    except JsonInputError as error:
        raise InstanceError(f"instances file {error}") from None
    out: dict[str, Instance] = {}
    for where, record, problem in located:
        try:
            if problem:
                raise InstanceError(problem)
            if not isinstance(record, dict):
                raise InstanceError(f"a {type(record).__name__}, not an instance object")
            instance = instance_from_record(record)
        except InstanceError as error:
            if notes is None:
                raise InstanceError(f"instances file {path} {where}: {error}") from None
            notes.append(f"{path.name}: {where}: {error}; skipped")
            continue
        out[instance.instance_id] = instance
    return out


def swebench_image_name(instance_id: str) -> str:
    """The official SWE-bench evaluation image of ``instance_id`` (named here, never pulled)."""
    return f"swebench/sweb.eval.x86_64.{instance_id.replace('__', '_1776_')}:latest".lower()


def swegym_image_name(instance_id: str) -> str:
    """The official SWE-Gym evaluation image for ``instance_id``."""
    return f"xingyaoww/sweb.eval.x86_64.{instance_id.replace('__', '_s_')}:latest".lower()
