"""The chain-arithmetic family: rebuilt exactly, answers right, held-out problems never trained on."""

from __future__ import annotations

import json
import subprocess
import sys

from srl_trainer.data.math_steps import parse_math_record
from tests.conftest import REPO

CHAINS = REPO / "data" / "chains"
FILES = ("train.jsonl", "validation.jsonl", "test.jsonl", "midtrain.txt")


def _rows(name: str) -> list[dict]:
    return [json.loads(line) for line in (CHAINS / name).read_text().splitlines()]


def test_rebuild_reproduces_committed_files(tmp_path):
    subprocess.run([sys.executable, str(CHAINS / "build_chains.py"), "--out", str(tmp_path)], check=True)
    for name in FILES:
        assert (tmp_path / name).read_bytes() == (CHAINS / name).read_bytes(), name


def test_held_out_expressions_never_appear_in_training_or_midtraining():
    train = {r["question"] for r in _rows("train.jsonl")}
    midtrain = (CHAINS / "midtrain.txt").read_text()
    for split in ("validation.jsonl", "test.jsonl"):
        for row in _rows(split):
            assert row["question"] not in train
            expression = row["question"].removeprefix("Compute ").split(" from left")[0]
            assert expression not in midtrain  # mid-training has single facts only


def test_every_solution_splits_into_its_steps_and_boxes_the_evaluated_answer():
    for split in ("train.jsonl", "test.jsonl"):
        for index, row in enumerate(_rows(split)):
            record = parse_math_record(row, index)
            assert len(record.steps) == row["steps"]
            expression = row["question"].removeprefix("Compute ").split(" from left")[0]
            assert record.answer == str(eval(expression))  # noqa: S307 - digits and +/- only
    levels = sorted({r["steps"] for r in _rows("test.jsonl")})
    assert levels == [2, 4, 6, 8]


COUNTED = REPO / "data" / "chains-counted"
SPLITS = ("train.jsonl", "validation.jsonl", "test.jsonl")


def test_counted_rebuild_reproduces_its_committed_files(tmp_path):
    command = [sys.executable, str(CHAINS / "build_chains.py"), "--counted", "--out", str(tmp_path)]
    subprocess.run(command, check=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(SPLITS)  # no mid-training files
    for name in SPLITS:
        assert (tmp_path / name).read_bytes() == (COUNTED / name).read_bytes(), name


def test_counted_family_is_the_same_problems_with_the_step_count_in_the_question():
    for name in SPLITS:
        plain = _rows(name)
        counted = [json.loads(line) for line in (COUNTED / name).read_text().splitlines()]
        assert len(counted) == len(plain)
        for a, b in zip(plain, counted, strict=True):
            steps = f"{b['steps']} step{'s' if b['steps'] > 1 else ''}"
            where = " from left to right"
            assert b["question"] == a["question"].replace(where, f"{where} in {steps}")
            assert {**a, "question": ""} == {**b, "question": ""}
