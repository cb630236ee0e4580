"""`python -m srl_trainer.swe prepare` end to end, as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import REPO


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "srl_trainer.swe", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_prepare_on_the_samples_writes_dataset_and_prints_summary(samples, tmp_path):
    out = tmp_path / "steps"
    result = run_cli("prepare", "--trajectories", str(samples), "--out", str(out))
    assert result.returncode == 0, result.stderr
    for line in (
        "records read      8",
        "records kept      6",
        "skipped: unknown_format   2",
        "step examples     89",
        "prompt tokens     p50",
        "observations cut",
    ):
        assert line in result.stdout
    from datasets import load_from_disk

    dataset = load_from_disk(str(out / "dataset"))
    assert len(dataset) == 89 == json.loads((out / "summary.json").read_text())["examples"]
    assert {"prompt", "target", "solution", "instance_id", "step_index"} <= set(dataset.column_names)
    assert len((out / "preview.jsonl").read_text().splitlines()) == 50


def test_prepare_math_on_embedded_sample(tmp_path):
    sample = str(REPO / "data" / "sample" / "math.jsonl")
    result = run_cli("prepare", "--domain", "math", "--trajectories", sample, "--out", str(tmp_path / "m"))
    assert result.returncode == 0, result.stderr
    assert "records kept      6" in result.stdout and "step examples     18" in result.stdout


def test_prepare_math_defaults_to_the_embedded_math_training_split(tmp_path):
    result = run_cli("prepare", "--domain", "math", "--out", str(tmp_path / "m"))
    assert result.returncode == 0, result.stderr
    assert "data/math/train.jsonl" in result.stdout and "records kept      540" in result.stdout


@pytest.mark.parametrize(
    "make_args, message",
    [
        (lambda p: ["--trajectories", str(p / "missing.jsonl")], "no such file"),
        (lambda p: ["--trajectories", str(p / "bad.json")], "is not valid JSON"),
        (lambda p: ["--trajectories", str(p / "empty.jsonl")], "no usable swe record"),
        (lambda p: ["--format", "yaml"], "invalid choice"),
    ],
)
def test_bad_input_prints_one_line_and_exits_1(tmp_path, make_args, message):
    (tmp_path / "bad.json").write_text("{oops")
    (tmp_path / "empty.jsonl").write_text('{"messages": []}\n')
    result = run_cli("prepare", "--out", str(tmp_path / "out"), *make_args(tmp_path))
    assert result.returncode == 1
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_existing_output_is_not_replaced_without_overwrite(tmp_path):
    (tmp_path / "out").mkdir()
    result = run_cli("prepare", "--out", str(tmp_path / "out"))
    assert result.returncode == 1 and "--overwrite" in result.stderr


def test_every_command_explains_its_flags():
    result = run_cli("prepare", "--help")
    assert result.returncode == 0
    for flag in ("--trajectories", "--format", "--domain", "--out", "--max-prompt-tokens", "--tokenizer"):
        assert flag in result.stdout
