"""Math evaluation: the grader passes its self-check on real benchmark solutions; the CLI grades
any system's predictions and generates with a real (tiny) model."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from srl_trainer.evaluation.math import alter_answer, self_check
from srl_trainer.evaluation.math_benchmarks import load_benchmark
from srl_trainer.evaluation.math_grading import extract_answer, is_math_answer_correct
from tests.conftest import MATH_BENCHMARKS, REPO


@pytest.fixture(scope="module")
def benchmark_dir():
    if not MATH_BENCHMARKS.is_dir():
        pytest.skip(f"math benchmark files not found at {MATH_BENCHMARKS} (they live in ../shared)")
    return MATH_BENCHMARKS


def _self_check(name: str, benchmark_dir) -> dict:
    result = self_check(load_benchmark(name, benchmark_dir))
    print(f"{name}: {result}")  # pytest -s shows the measured numbers
    return result


# Command for the numbers in benchmarks/RESULTS.md: python benchmarks/math_grader_selfcheck.py
@pytest.mark.parametrize("name", ["aime24", "math500", "minerva_math"])
def test_grader_accepts_reference_solutions_and_rejects_altered_answers(benchmark_dir, name):
    """>= 98% correct as written, <= 2% once the answer the grader reads is altered."""
    result = _self_check(name, benchmark_dir)
    assert result["correct"] >= 0.98 * result["solutions"]
    assert result["altered_correct"] <= 0.02 * result["solutions"]


def test_a_signature_after_the_last_value_is_not_read_as_the_answer(benchmark_dir):
    """aime24 id 60 is an AoPS solution with no \\boxed that ends "$180 + 24 = 204$. -sepehr2010"; the
    Qwen2.5-Math harness reads its last number, the author's name's 2010, and grades it wrong."""
    (signed,) = [p for p in load_benchmark("aime24", benchmark_dir) if p.problem_id == "60"]
    assert signed.reference_solution.rstrip().endswith("-sepehr2010")
    assert extract_answer(signed.reference_solution) == "204"
    assert is_math_answer_correct(signed.reference_solution, signed.gold)


def test_olympiadbench_reference_solutions_often_do_not_end_on_their_answer(benchmark_dir):
    """98% is out of reach for a grader that reads one value from the text: OlympiadBench's solutions
    are proofs with no \\boxed and rarely a "the answer is"; some state the answer only in their first
    sentence ("Sergey can determine Xenia's number in 2 but not fewer moves.") and end on "as required",
    and 82 never write it as one value (multi-part answers written piecewise, or in words). The
    protocol reads the last value stated, which is the answer in about two thirds of them (449/675
    measured; benchmarks/math_grader_selfcheck.py). This pins that level so a change in either
    direction is noticed, and altered answers must still be rejected."""
    result = _self_check("olympiadbench", benchmark_dir)
    assert 0.62 <= result["correct"] / result["solutions"] <= 0.72
    assert result["altered_correct"] <= 0.02 * result["solutions"]


@pytest.mark.parametrize(
    "output, gold, answer",
    [
        ("so \\boxed{\\frac{1}{2}} and later 7", "0.5", "\\frac{1}{2}"),
        ("The final answer is $\\frac{2}{3}$. I hope it is correct.", "2/3", "\\frac{2}{3}"),
        ("Hence the answer is 5 moves. We check it for n = 7.", "5", "5 moves"),
        ("the answer is: $(1,2)$ as claimed, see 3", "(1, 2)", "(1,2)"),
        ("so $x=\\frac{\\mathbf{8 0 0}}{\\mathbf{3}}$", "\\frac{800}{3}", "\\frac{800}{3}"),
        ("there are $2^{8}=\\mathbf{2 5 6}$ plates.", "256", "256"),
        ("we get $t=3$, and 12,000 apples in all", "12000", "12000"),
        ("So the winner is \\boxed{\\text{Evelyn}}.", "\\text{Evelyn}", "Evelyn"),
        ("Thus $m+n=204$. -user2010", "204", "204"),
        ("so the total is 17 apples (see figure B2)", "17", "17"),
    ],
)
def test_extraction_follows_the_qwen_math_order(output, gold, answer):
    assert extract_answer(output) == answer
    assert is_math_answer_correct(output, gold)
    assert not is_math_answer_correct(alter_answer(output), gold)


def test_no_answer_is_wrong():
    assert extract_answer("no value here") == "" and not is_math_answer_correct("no value here", "1")


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
    from srl_trainer.models import build_tiny_model

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
