"""Math expert solutions (s1K-1.1 layout) split into the steps SRL rewards one at a time.

A record has ``question`` and a written solution: ``deepseek_attempt`` (the summarised solution the
paper splits) or else ``solution``. Steps are the solution's numbered items (``1. ...``,
``**2.** ...``, ``Step 3:``) when they run 1, 2, 3, ...; text before item 1 joins item 1. Without
such numbering the steps are the paragraphs. The final answer is the last ``\\boxed{}`` (or the
record's ``answer`` field).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from agent.formats import RecordError

_NUMBERED = re.compile(
    r"(?m)^[ \t]*(?:#{1,6}[ \t]*)?(?:\*\*)?(?:Step[ \t]+)?(\d{1,3})(?:[.):]|\*\*)(?=[\s*])"
)


@dataclass
class MathRecord:
    record_id: str
    question: str
    solution: str
    steps: list[str]
    answer: str


def matching_brace(text: str, opening: int) -> int | None:
    """Index of the ``}`` that closes the ``{`` at ``opening`` (nested braces balanced), or None."""
    depth = 0
    for index in range(opening, len(text)):
        depth += {"{": 1, "}": -1}.get(text[index], 0)
        if depth == 0:
            return index
    return None


def last_boxed(text: str) -> str:
    """Content of the last ``\\boxed{...}`` in ``text`` (braces balanced), or ``""``."""
    start = text.rfind("\\boxed")
    if start == -1:
        return ""
    brace = text.find("{", start)
    closing = matching_brace(text, brace) if brace != -1 else None
    return text[brace + 1 : closing].strip() if closing is not None else ""


def split_numbered(solution: str) -> list[str]:
    """Items numbered 1, 2, 3, ... at line starts; [] when the solution is not numbered that way."""
    starts = []
    expected = 1
    for match in _NUMBERED.finditer(solution):
        if int(match.group(1)) == expected:
            starts.append(match.start())
            expected += 1
    if len(starts) < 2:
        return []
    bounds = [0, *starts[1:], len(solution)]  # the preamble joins step 1
    return [solution[a:b].strip() for a, b in zip(bounds, bounds[1:], strict=False) if solution[a:b].strip()]


def split_paragraphs(solution: str) -> list[str]:
    return [p.strip() for p in re.split(r"\n\s*\n", solution) if p.strip()]


def split_solution(solution: str) -> list[str]:
    """The steps of one written solution: numbered items, else paragraphs."""
    return split_numbered(solution) or split_paragraphs(solution)


def parse_math_record(record: Any, index: int) -> MathRecord:
    """One s1K-style record -> MathRecord; :class:`RecordError` when it has no usable solution."""
    if not isinstance(record, dict):
        raise RecordError("unknown_format", "math record is not an object")
    question = str(record.get("question") or record.get("problem") or "").strip()
    if not question:
        raise RecordError("no_problem")
    solution = str(record.get("deepseek_attempt") or record.get("solution") or "").strip()
    if not solution:
        raise RecordError("no_solution")
    steps = split_solution(solution)
    answer = str(record.get("answer") or "").strip() or last_boxed(solution)
    record_id = str(record.get("id") or record.get("idx") or record.get("unique_id") or index)
    return MathRecord(record_id, question, solution, steps, answer)
