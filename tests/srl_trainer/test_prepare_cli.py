"""`python -m srl_trainer.swe prepare` end to end, as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from srl_trainer.swe import main
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
        "swebench_lite_instances.jsonl:1 (django__django-16255)",  # which records, by line and id
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
    summary = json.loads((out / "summary.json").read_text())
    assert len(summary["skipped_records"]["unknown_format"]) == 2


def test_prepare_output_is_a_hub_style_folder_that_load_dataset_reads(tmp_path):
    import yaml
    from datasets import load_dataset

    out = tmp_path / "steps"
    sample = str(REPO / "data" / "sample" / "trajectories.json")
    assert main(["prepare", "--trajectories", sample, "--out", str(out)]) == 0
    steps = load_dataset(str(out), split="train")
    assert len(steps) == json.loads((out / "summary.json").read_text())["examples"]
    assert steps[0]["prompt"][0]["role"] == "system" and steps[0]["target"]  # TRL's conversational prompt
    card = yaml.safe_load((out / "README.md").read_text().split("---")[1])
    assert card["configs"][0]["data_files"][0]["split"] == "train"
    assert card["dataset_info"]["splits"][0]["num_examples"] == len(steps)
    assert "srl_trainer.training.rewards.step_similarity" in (out / "README.md").read_text()


def test_skipped_records_are_named_five_per_reason_on_screen_and_all_in_the_summary(
    samples, tmp_path, capsys
):
    source = tmp_path / "mixed.jsonl"
    good = (samples / "swesmith_textfc.jsonl").read_text().strip()
    source.write_text("\n".join([good] + ["{oops"] * 7) + "\n")
    out = tmp_path / "steps"
    assert main(["prepare", "--trajectories", str(source), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "skipped: invalid_json     7" in printed
    assert f"{source}:2" in printed and f"{source}:6" in printed and f"{source}:7" not in printed
    assert "... and 2 more (all in summary.json)" in printed
    where = json.loads((out / "summary.json").read_text())["skipped_records"]["invalid_json"]
    assert where == [f"{source}:{line}" for line in range(2, 9)]


def test_a_budget_nothing_fits_in_is_one_line_naming_the_flag(tmp_path, capsys):
    out = tmp_path / "steps"
    assert main(["prepare", "--max-prompt-tokens", "100", "--out", str(out)]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--max-prompt-tokens 100 leaves no room for a step" in err
    assert not out.exists()


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
        (
            lambda p: ["--trajectories", str(p / "bad.json")],
            "is not valid JSON: Expecting property name enclosed in double quotes at line 2 column 3",
        ),
        (lambda p: ["--trajectories", str(p / "empty.jsonl")], "no usable swe record"),
        (lambda p: ["--format", "yaml"], "invalid choice"),
    ],
)
def test_bad_input_prints_one_line_and_exits_1(tmp_path, make_args, message):
    (tmp_path / "bad.json").write_text("{\n  oops")
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
