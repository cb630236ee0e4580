"""prepare's memory follows the prompt budget, not the record (issue 20 item 4).

Before: one trajectory with 100,000 steps (a 75 MB file) grew prepare to 23 GB RSS and the kernel
killed it; one 200 MB observation reached 12.8 GB in 70 s. Measured after (2-core box, 2026-12-06):
551-643 MiB and 1059-1146 MiB peak RSS, 16-25 s each. The bound asserted is 2 GiB.
"""

from __future__ import annotations

import json

import pytest

from agent.actions import BashAction, FinishAction
from agent.trajectory import Step, Trajectory
from srl_trainer.data.stepwise import MAX_SOLUTION_CHARS, BudgetConfig, build_step_examples
from tests.srl_trainer.big_records import prepare_peak, write_huge_observation, write_many_steps

PEAK_LIMIT_MIB = 2048


@pytest.mark.slow
def test_a_100000_step_trajectory_is_skipped_and_counted_within_2_gib(tmp_path):
    source = tmp_path / "many.jsonl"
    assert write_many_steps(source) > 70 << 20
    code, peak, stdout, stderr = prepare_peak(source, tmp_path / "steps")
    assert code == 0, stderr
    assert peak < PEAK_LIMIT_MIB, f"peak RSS {peak:.0f} MiB"
    assert "skipped: too_many_steps   1" in stdout
    assert f"{source}:2 (demo__many-steps-1)" in stdout  # where it is, like every skipped record
    summary = json.loads((tmp_path / "steps" / "summary.json").read_text())
    assert summary["skipped"] == {"too_many_steps": 1} and summary["records_kept"] == 1
    assert summary["examples"] == 3 and summary["truncation"]["records_too_long"] == 1


@pytest.mark.slow
def test_a_200_mb_observation_is_cut_before_it_is_tokenized_within_2_gib(tmp_path):
    source = tmp_path / "huge.jsonl"
    assert write_huge_observation(source) > 200 << 20
    code, peak, stdout, stderr = prepare_peak(source, tmp_path / "steps")
    assert code == 0, stderr
    assert peak < PEAK_LIMIT_MIB, f"peak RSS {peak:.0f} MiB"
    assert "records kept      2" in stdout and "step examples     7" in stdout
    rows = [json.loads(line) for line in (tmp_path / "steps" / "preview.jsonl").read_text().splitlines()]
    [after] = [r for r in rows if r["instance_id"] == "demo__huge-observation-1" and r["step_index"] == 2]
    shown = after["prompt"][-1]["content"]
    assert "characters cut ...]" in shown and len(shown) < 5000
    assert after["prompt_tokens"] <= 2048


def test_the_step_cap_is_a_flag_and_zero_lifts_it(tmp_path, tokenizer):
    steps = [Step("", BashAction(f"echo {k}"), "ok") for k in range(30)] + [Step("", FinishAction(), "")]
    trajectory = Trajectory("Fix parse().", steps, "repo__x-1")
    capped, stats = build_step_examples([trajectory], tokenizer, BudgetConfig(max_steps_per_trajectory=30))
    assert capped == [] and stats.records_too_long == 1
    whole, stats = build_step_examples([trajectory], tokenizer, BudgetConfig(max_steps_per_trajectory=0))
    assert len(whole) == 31 and stats.records_too_long == 0
    # Each example repeats the whole solution: a record whose actions outgrow it is skipped too.
    long = Trajectory("Fix parse().", [Step("", BashAction("x" * (MAX_SOLUTION_CHARS + 1)), "ok")], "r-2")
    assert build_step_examples([long], tokenizer, BudgetConfig(max_steps_per_trajectory=0))[0] == []


def test_examples_of_a_long_record_share_one_solution_string(tokenizer):
    steps = [Step("", BashAction(f"echo {k}"), "ok " * 50) for k in range(150)]
    trajectory = Trajectory("Fix parse().", steps, "r-1")
    examples, stats = build_step_examples([trajectory], tokenizer, BudgetConfig())
    assert len(examples) == 150 and stats.steps_dropped > 0
    assert len({id(example.solution) for example in examples}) == 1
    assert all(e.prompt_tokens <= 2048 for e in examples)


def test_a_json_document_over_the_size_limit_is_one_line(tmp_path):
    from agent.formats import MAX_JSON_DOCUMENT_BYTES
    from tests.srl_trainer.test_prepare_cli import run_cli

    big = tmp_path / "big.json"
    with open(big, "wb") as stream:  # sparse: no disk, no time
        stream.truncate(MAX_JSON_DOCUMENT_BYTES + (1 << 20))
    result = run_cli("prepare", "--trajectories", str(big), "--out", str(tmp_path / "out"))
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1
    assert "MiB a .json/.traj document may take" in result.stderr and "JSON lines" in result.stderr
    assert not (tmp_path / "out").exists()
