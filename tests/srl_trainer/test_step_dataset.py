"""The prepare -> TRL hand-off: prepare's folder trains with `trl grpo` and the project's reward, and
TRL-format files read back as step rows."""

from __future__ import annotations

import json

import pytest

from srl_trainer.data.step_dataset import load_step_rows
from srl_trainer.errors import CliError
from srl_trainer.swe import main
from tests.conftest import REPO


def test_trl_grpo_script_trains_on_prepare_output_with_the_step_similarity_reward(tmp_path, capsys):
    from trl.scripts.grpo import main as trl_grpo
    from trl.scripts.grpo import make_parser

    from srl_trainer.models import build_tiny_model

    steps = tmp_path / "steps"
    sample = str(REPO / "data" / "sample" / "trajectories.json")
    assert main(["prepare", "--trajectories", sample, "--max-prompt-tokens", "640", "--out", str(steps)]) == 0
    model = build_tiny_model(tmp_path / "tiny", hidden_size=32)
    # What `trl grpo ...` runs (trl/scripts/grpo.py), in-process; the README shows the command line.
    args = make_parser().parse_args_and_config(
        args=[
            *("--model_name_or_path", str(model), "--dataset_name", str(steps)),
            *("--reward_funcs", "srl_trainer.training.rewards.step_similarity"),
            *("--output_dir", str(tmp_path / "trl-grpo"), "--max_steps", "1", "--num_generations", "2"),
            *("--per_device_train_batch_size", "2", "--max_completion_length", "8", "--report_to", "none"),
            *("--save_strategy", "no", "--logging_steps", "1", "--use_cpu", "true"),
        ]
    )
    capsys.readouterr()
    trl_grpo(*args)
    printed = capsys.readouterr()
    assert "rewards/step_similarity/mean" in printed.out + printed.err  # the project's reward scored it
    assert (tmp_path / "trl-grpo" / "config.json").exists()


def _jsonl(path, rows):
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def test_trl_prompt_completion_jsonl_reads_as_step_rows_and_over_budget_rows_are_skipped(tmp_path, tokenizer):
    short = [{"role": "user", "content": "Fix parse()."}]
    rows = [
        {"prompt": short, "completion": [{"role": "assistant", "content": "ACTION 1"}]},
        {
            "prompt": [{"role": "user", "content": "word " * 900}],
            "completion": [{"role": "assistant", "content": "x"}],
        },
        {"prompt": "Plain prompt.", "target": "ACTION 3", "instance_id": "repo__x-3"},
    ]
    read, over_budget = load_step_rows(str(_jsonl(tmp_path / "t.jsonl", rows)), "swe", tokenizer, 640)
    assert over_budget == 1
    assert [r["target"] for r in read] == ["ACTION 1", "ACTION 3"]
    assert read[1]["prompt"] == [{"role": "user", "content": "Plain prompt."}]
    assert (
        read[0]["domain"] == "swe"
        and read[0]["solution"] == "ACTION 1"
        and read[1]["instance_id"] == "repo__x-3"
    )


@pytest.mark.parametrize(
    "row, message",
    [
        ({"prompt": [{"role": "user", "content": "q"}]}, "neither 'target' nor 'completion'"),
        ({"text": "raw"}, "no conversational 'prompt'"),
        ({"prompt": "q", "target": "a", "domain": "math"}, "pass --domain math"),
    ],
)
def test_a_row_train_cannot_use_is_one_line(tmp_path, tokenizer, row, message):
    with pytest.raises(CliError, match=message):
        load_step_rows(str(_jsonl(tmp_path / "t.jsonl", [row])), "swe", tokenizer, 640)


def test_a_missing_dataset_is_one_line(tmp_path, tokenizer):
    with pytest.raises(CliError, match="no such file or folder"):
        load_step_rows(str(tmp_path / "none"), "swe", tokenizer, 640)
