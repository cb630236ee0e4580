"""The generated math step data in data/math: counts, step layout, checked answers, reproducible build."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter

import pytest

from srl_trainer.data.math_steps import last_boxed, parse_math_record, split_solution
from srl_trainer.training.rewards import is_math_answer_correct
from tests.conftest import REPO

MATH_DIR = REPO / "data" / "math"
SPLITS = ("train.jsonl", "validation.jsonl")


def load(name: str) -> list[dict]:
    lines = (MATH_DIR / name).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


@pytest.fixture(scope="module")
def records() -> list[dict]:
    return [record for name in SPLITS for record in load(name)]


def test_counts_and_split(records):
    train, validation = load("train.jsonl"), load("validation.jsonl")
    assert len(records) >= 500
    assert len(validation) * 9 == len(train)
    assert len({r["id"] for r in records}) == len(records)
    assert len({r["question"] for r in records}) == len(records)


def test_several_families_and_templates(records):
    families = Counter(r["family"] for r in records)
    assert {"word", "linear", "fractions", "percentages", "counting"} <= set(families)
    assert min(families.values()) >= 20
    assert len({r["template"] for r in records}) >= 20


def test_every_record_splits_into_numbered_steps_ending_in_the_answer(records):
    for record in records:
        steps = split_solution(record["deepseek_attempt"])
        assert len(steps) >= 2, record["id"]
        for number, step in enumerate(steps, start=1):
            assert step.startswith(f"{number}. **"), (record["id"], step)
        assert last_boxed(record["deepseek_attempt"]) == record["answer"], record["id"]
        assert "\\boxed" in steps[-1]
        assert record["solution"] == record["deepseek_attempt"]


def test_records_parse_like_s1k(records):
    parsed = parse_math_record(records[0], 0)
    assert parsed.answer == records[0]["answer"]
    assert len(parsed.steps) >= 2


def test_math_verify_agrees_with_every_answer(records):
    for record in records:
        assert is_math_answer_correct(record["deepseek_attempt"], record["answer"]), record["id"]


def test_math_verify_rejects_a_wrong_answer(records):
    record = next(r for r in records if r["answer"].lstrip("-").isdigit())
    wrong = str(int(record["answer"]) + 1)
    assert not is_math_answer_correct(f"\\boxed{{{wrong}}}", record["answer"])


def test_rebuild_reproduces_committed_files(tmp_path):
    subprocess.run(
        [sys.executable, str(MATH_DIR / "build_math.py"), "--out", str(tmp_path)],
        check=True,
        capture_output=True,
    )
    for name in SPLITS:
        assert (tmp_path / name).read_bytes() == (MATH_DIR / name).read_bytes(), name
