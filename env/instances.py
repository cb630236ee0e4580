"""Task instances in the SWE-bench schema (SWE-Gym uses the same), read from .json or .jsonl files.

FAIL_TO_PASS / PASS_TO_PASS are JSON lists in some releases and JSON-encoded *strings* of lists in
others (the princeton-nlp HF release); both are accepted and stored as lists.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path


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
            value = json.loads(value)
        except json.JSONDecodeError:
            raise InstanceError(f"{instance_id}: {name} is a string but not a JSON list") from None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InstanceError(f"{instance_id}: {name} must be a list of test ids")
    return tuple(value)


def instance_from_record(record: dict) -> Instance:
    """Build an :class:`Instance` from one SWE-bench-schema record."""
    missing = [k for k in ("instance_id", "repo", "base_commit") if not record.get(k)]
    if missing:
        name = record.get("instance_id", "<record without instance_id>")
        raise InstanceError(f"{name}: missing field(s) {', '.join(missing)}")
    iid = str(record["instance_id"])
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


def read_instances(source: str | Path) -> dict[str, Instance]:
    """Read instances from a ``.jsonl`` file, a ``.json`` list (or single object), keyed by id."""
    path = Path(source)
    if not path.is_file():
        raise InstanceError(f"instances file {path} does not exist (give a SWE-bench .json/.jsonl)")
    text = path.read_text(encoding="utf-8")
    records: list[dict] = []
    try:
        if path.suffix == ".jsonl":
            records = [json.loads(line) for line in text.splitlines() if line.strip()]
        else:
            data = json.loads(text)
            records = data if isinstance(data, list) else [data]
    except json.JSONDecodeError as error:
        raise InstanceError(f"instances file {path} is not valid JSON: {error}") from None
    out: dict[str, Instance] = {}
    for record in records:
        if not isinstance(record, dict):
            raise InstanceError(f"instances file {path} holds a non-object record")
        instance = instance_from_record(record)
        out[instance.instance_id] = instance
    return out


def swebench_image_name(instance_id: str) -> str:
    """The official SWE-bench evaluation image of ``instance_id`` (named here, never pulled)."""
    return f"swebench/sweb.eval.x86_64.{instance_id.replace('__', '_1776_')}:latest".lower()


def swegym_image_name(instance_id: str) -> str:
    """The official SWE-Gym evaluation image for ``instance_id``."""
    return f"xingyaoww/sweb.eval.x86_64.{instance_id.replace('__', '_s_')}:latest".lower()
