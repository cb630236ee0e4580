"""Math evaluation: the grader passes its self-check on real benchmark solutions; the CLI grades
any system's predictions and generates with a real (tiny) model."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from srl_trainer.math_benchmarks import load_benchmark
from srl_trainer.math_grading import is_math_answer_correct
from tests.conftest import MATH_BENCHMARKS, REPO


@pytest.fixture(scope="module")
def benchmark_dir():
    if not MATH_BENCHMARKS.is_dir():
        pytest.skip(f"math benchmark files not found at {MATH_BENCHMARKS} (they live in ../shared)")
    return MATH_BENCHMARKS


def _alter_final_answer(solution: str) -> str:
    """The same solution with its final boxed answer replaced by a wrong one."""
    start = solution.rfind("\\boxed{")
    depth, end = 0, start + len("\\boxed")
    for end in range(start + len("\\boxed"), len(solution)):
        depth += {"{": 1, "}": -1}.get(solution[end], 0)
        if depth == 0:
            break
    return solution[:start] + "\\boxed{9876543}" + solution[end + 1 :]


# Reference solutions that box their answer; the self-check must pass on >= 98% of them.
@pytest.mark.parametrize("name", ["aime24", "math500", "minerva_math"])
def test_grader_accepts_reference_solutions_and_rejects_altered_answers(benchmark_dir, name):
    problems = load_benchmark(name, benchmark_dir)
    correct = [is_math_answer_correct(p.reference_solution, p.gold) for p in problems]
    boxed = [p for p in problems if "\\boxed{" in p.reference_solution]
    altered = [is_math_answer_correct(_alter_final_answer(p.reference_solution), p.gold) for p in boxed]
    accuracy = sum(correct) / len(correct)
    print(
        f"{name}: reference {100 * accuracy:.1f}% of {len(problems)}, "
        f"altered {100 * sum(altered) / len(altered):.1f}% of {len(boxed)}"
    )
    assert accuracy >= 0.98
    assert sum(altered) / len(altered) <= 0.02


def test_olympiadbench_reference_solutions_mostly_state_no_final_answer(benchmark_dir):
    # OlympiadBench's `solution` texts are proofs that usually never write the final answer in an
    # extractable place (no \boxed, no "the answer is"); the grader cannot reach 98% on them
    # honestly. This pins the measured level so a change in either direction is noticed.
    problems = load_benchmark("olympiadbench", benchmark_dir, limit=150)
    accuracy = sum(is_math_answer_correct(p.reference_solution, p.gold) for p in problems) / len(problems)
    print(f"olympiadbench: reference {100 * accuracy:.1f}% of {len(problems)}")
    assert 0.3 < accuracy < 0.9


def test_gold_answers_of_every_benchmark_load(benchmark_dir):
    counts = {
        name: len(load_benchmark(name, benchmark_dir))
        for name in ["aime24", "aime25", "amc23", "math500", "minerva_math", "gsm8k", "olympiadbench"]
    }
    assert counts == {
        "aime24": 30,
        "aime25": 30,
        "amc23": 40,
        "math500": 500,
        "minerva_math": 272,
        "gsm8k": 1319,
        "olympiadbench": 675,
    }
    assert load_benchmark("amc23", benchmark_dir)[0].gold == "27"  # float 27.0 in the file


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "srl_trainer.swe", "evaluate", "--domain", "math", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_predictions_from_any_system_are_graded_by_their_output(benchmark_dir, tmp_path):
    problems = load_benchmark("aime24", benchmark_dir, limit=4)
    lines = [
        {
            "benchmark": "aime24",
            "problem_id": problems[0].problem_id,
            "sample_index": 0,
            "output": f"so it is \\boxed{{{problems[0].gold}}}",
            "correct": False,
        },  # verdict ignored
        {
            "benchmark": "aime24",
            "problem_id": problems[1].problem_id,
            "sample_index": 0,
            "output": "\\boxed{1}",
        },
        {"benchmark": "aime24", "problem_id": "no-such-id", "sample_index": 0, "output": "\\boxed{1}"},
    ]
    predictions = tmp_path / "preds.jsonl"
    predictions.write_text("".join(json.dumps(line) + "\n" for line in lines))
    result = _cli(
        "--benchmarks",
        "aime24",
        "--benchmark-dir",
        str(benchmark_dir),
        "--limit",
        "4",
        "--predictions",
        str(predictions),
        "--out",
        str(tmp_path / "out"),
    )
    assert result.returncode == 0, result.stderr
    assert re.search(r"aime24\s+4\s+1\s+50\.0", result.stdout)
    report = json.loads((tmp_path / "out" / "report.json").read_text())["benchmarks"]["aime24"]
    assert report["unknown_problem_ids"] == 1 and report["graded_samples"] == 2
    rows = [json.loads(x) for x in (tmp_path / "out" / "generations.jsonl").read_text().splitlines()]
    assert [r["correct"] for r in rows] == [True, False]


@pytest.mark.parametrize(
    "args, message",
    [
        (["--predictions", "/no/such/file.jsonl"], "no such predictions file"),
        (["--benchmarks", "aime99", "--predictions", __file__], "unknown benchmark"),
        ([], "give --model"),
    ],
)
def test_bad_evaluate_input_is_one_line_and_exit_1(benchmark_dir, tmp_path, args, message):
    result = _cli(
        "--domain", "math", "--benchmark-dir", str(benchmark_dir), "--out", str(tmp_path / "o"), *args
    )
    assert result.returncode == 1 and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_malformed_benchmark_file_is_one_line_and_exit_1(tmp_path):
    (tmp_path / "aime24").mkdir()
    (tmp_path / "aime24" / "test.jsonl").write_text('{"problem": "x", "answer": 1}\nnot json\n')
    result = _cli(
        "--domain", "math", "--benchmarks", "aime24", "--benchmark-dir", str(tmp_path), "--model", "unused"
    )
    assert result.returncode == 1 and "test.jsonl:2" in result.stderr


def test_generation_with_a_real_tiny_model_is_saved_and_graded(benchmark_dir, tmp_path):
    from srl_trainer.tiny_model import build_tiny_model

    model = build_tiny_model(tmp_path / "tiny")
    result = _cli(
        "--benchmarks",
        "amc23,aime25",
        "--benchmark-dir",
        str(benchmark_dir),
        "--limit",
        "2",
        "--model",
        str(model),
        "--samples",
        "2",
        "--max-new-tokens",
        "8",
        "--out",
        str(tmp_path / "o"),
    )
    assert result.returncode == 0, result.stderr
    rows = [json.loads(x) for x in (tmp_path / "o" / "generations.jsonl").read_text().splitlines()]
    assert len(rows) == 8  # 2 benchmarks x 2 problems x 2 samples
    assert {(r["benchmark"], r["sample_index"]) for r in rows} == {
        ("amc23", 0),
        ("amc23", 1),
        ("aime25", 0),
        ("aime25", 1),
    }
    assert "amc23" in result.stdout and "average" in result.stdout
