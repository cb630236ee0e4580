"""The math benchmarks of the SRL paper and the Qwen2.5-Math harness, loaded from local files or the hub.

Local layout (the Qwen2.5-Math ``evaluation/data`` layout): ``DIR/<name>/test.jsonl``. Each
benchmark names where its question, gold answer and reference solution are.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from srl_trainer.data.math_steps import last_boxed
from srl_trainer.evaluation.math_grading import format_gold


class BenchmarkError(Exception):
    """A benchmark that cannot be loaded (unknown name, missing or malformed file)."""


@dataclass(frozen=True)
class MathProblem:
    benchmark: str
    problem_id: str
    question: str
    gold: str
    reference_solution: str  # "" where the benchmark ships none


def _first(row: dict, *names: str) -> Any:
    for name in names:
        if row.get(name) not in (None, ""):
            return row[name]
    return None


def _solution_text(row: dict) -> str:
    solution = row.get("solution")
    if isinstance(solution, list):  # OlympiadBench: alternative solutions; the first is the reference
        return str(solution[0]) if solution else ""
    return str(solution or "")


@dataclass(frozen=True)
class BenchmarkSpec:
    name: str
    gold: Callable[[dict], str]
    hub_id: str  # where online users load the same rows (split "test")


BENCHMARKS: dict[str, BenchmarkSpec] = {
    spec.name: spec
    for spec in (
        BenchmarkSpec("aime24", lambda r: format_gold(r["answer"]), "math-ai/aime24"),
        BenchmarkSpec("aime25", lambda r: format_gold(r["answer"]), "math-ai/aime25"),
        BenchmarkSpec("amc23", lambda r: format_gold(r["answer"]), "math-ai/amc23"),
        BenchmarkSpec("math500", lambda r: format_gold(r["answer"]), "HuggingFaceH4/MATH-500"),
        BenchmarkSpec("minerva_math", lambda r: last_boxed(r["solution"]), "math-ai/minervamath"),
        BenchmarkSpec(
            "gsm8k", lambda r: str(r["answer"]).split("####")[-1].strip().replace(",", ""), "openai/gsm8k"
        ),
        BenchmarkSpec("olympiadbench", lambda r: format_gold(r["final_answer"]), "Hothan/OlympiadBench"),
    )
}


def _rows_from_file(path: Path) -> list[dict]:
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            raise BenchmarkError(f"{path}:{number} is not a JSON object; fix or remove that line") from None
        if not isinstance(row, dict):
            raise BenchmarkError(f"{path}:{number} is not a JSON object; fix or remove that line")
        rows.append(row)
    return rows


def _rows_from_hub(spec: BenchmarkSpec) -> list[dict]:
    from datasets import load_dataset

    from srl_trainer.hub import offline_unless_reachable

    offline_unless_reachable()  # offline: the cache or one quick failure, not minutes of retries
    try:
        return list(load_dataset(spec.hub_id, split="test"))
    except Exception as error:  # offline / unknown id: one line for the user
        raise BenchmarkError(f"{spec.name}: no local file and cannot load {spec.hub_id} ({error})") from None


def load_benchmark(name: str, root: Path | None, limit: int = 0) -> list[MathProblem]:
    """The problems of benchmark ``name`` from ``root/<name>/test.jsonl``, else from the hub."""
    spec = BENCHMARKS.get(name)
    if spec is None:
        raise BenchmarkError(f"unknown benchmark {name!r}; choose from {', '.join(BENCHMARKS)}")
    path = root / name / "test.jsonl" if root is not None else None
    rows = _rows_from_file(path) if path is not None and path.exists() else _rows_from_hub(spec)
    problems = []
    for index, row in enumerate(rows):
        question = _first(row, "question", "problem")
        try:
            gold = spec.gold(row)
        except (KeyError, TypeError, IndexError):
            gold = ""
        if not question or not gold:
            raise BenchmarkError(f"{name} row {index} has no question or gold answer; is it {name}?")
        problem_id = str(_first(row, "id", "idx", "unique_id") or index)
        problems.append(MathProblem(name, problem_id, str(question), gold, _solution_text(row)))
    return problems[:limit] if limit else problems
