"""benchmarks/show_rollouts.py prints every written step of a checkpoint's solutions and a count line."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_show_rollouts_prints_each_problem_its_steps_and_the_right_count(tmp_path, capsys):
    from srl_trainer.models import build_tiny_model

    build_tiny_model(tmp_path / "m", seed=0)
    spec = importlib.util.spec_from_file_location("show_rollouts", ROOT / "benchmarks" / "show_rollouts.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    problems = str(ROOT / "data" / "chains-counted" / "validation.jsonl")
    argv = [
        str(tmp_path / "m"),
        "--problems",
        problems,
        "--count",
        "4",
        "--max-steps",
        "2",
        "--max-new-tokens",
        "8",
    ]
    assert module.main(argv) == 0
    out = capsys.readouterr().out.splitlines()
    headers = [line for line in out if line.startswith("== Compute ")]
    assert len(headers) == 4  # one per problem, spread over 2, 4, 6 and 8 steps
    assert {h.split(" in ")[1].split(" step")[0] for h in headers} == {"2", "4", "6", "8"}
    assert all("(gold " in h and "ended by " in h for h in headers)
    assert out[-1].endswith("ended with an answer") and out[-1].split("/")[1].startswith("4 right")
