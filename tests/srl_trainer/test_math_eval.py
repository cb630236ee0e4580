"""Math evaluation: the grader passes its self-check on real benchmark solutions; the CLI grades
any system's predictions and generates with a real (tiny) model."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from srl_trainer.evaluation.math import (
    SOLUTIONS_STATE_THE_ANSWER,
    Generation,
    alter_answer,
    boxed_gold,
    format_table,
    grade,
    passes_self_check,
    self_check,
)
from srl_trainer.evaluation.math_benchmarks import MathProblem, load_benchmark
from srl_trainer.evaluation.math_grading import answer_value, extract_answer, is_math_answer_correct
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
@pytest.mark.parametrize("name", SOLUTIONS_STATE_THE_ANSWER)
def test_grader_accepts_reference_solutions_and_rejects_altered_answers(benchmark_dir, name):
    """>= 98% correct as written, <= 2% once the answer the grader reads is altered."""
    result = _self_check(name, benchmark_dir)
    assert result["correct"] >= 0.98 * result["solutions"]
    assert result["altered_correct"] <= 0.02 * result["solutions"]
    assert passes_self_check(result)


def test_olympiadbench_final_answers_written_boxed_pass_the_self_check_bar(benchmark_dir):
    """The decision of issue 13: OlympiadBench is held to the bar with its final_answer written as a
    model would (after its solution text, in \\boxed{}), e.g. "(45^{\\circ}, 60^{\\circ}),(135^{\\circ},
    60^{\\circ})" and "62.5%"; its solution-text level is pinned as measured below."""
    problems = boxed_gold(load_benchmark("olympiadbench", benchmark_dir))
    assert problems[0].reference_solution.endswith(f"\\boxed{{{problems[0].gold}}}$.")
    result = self_check(problems)
    assert result["solutions"] == 675 and passes_self_check(result)


def test_the_self_check_bar_is_98_percent_correct_and_2_percent_altered():
    assert passes_self_check({"solutions": 100, "correct": 98, "altered_correct": 2})
    assert not passes_self_check({"solutions": 100, "correct": 97, "altered_correct": 0})
    assert not passes_self_check({"solutions": 100, "correct": 100, "altered_correct": 3})
    assert not passes_self_check({"solutions": 0, "correct": 0, "altered_correct": 0})


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
    protocol reads the last value stated, which is the answer in about two thirds of them (451/675
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


# Golds from MATH-500 and OlympiadBench, and units a model adds; the harness's strip_string keeps the value.
@pytest.mark.parametrize(
    "gold, bare",
    [
        ("\\frac{270}7\\text{ degrees}", "\\frac{270}{7}"),
        ("30^\\circ", "30"),
        ("(45^{\\circ}, 60^{\\circ})", "(45, 60)"),
        ("45\\%", "45"),
        ("62.5%", "62.5"),
        ("5 cm", "5"),
        ("864 \\mbox{ inches}^2", "864"),
        ("15\\mbox{ cm}^2", "15"),
        ("5.4 \\text{ cents}", "5.4"),
        ("10 dollars", "10"),
        ("12 \\text{ square feet}", "12"),
        ("2\\pi \\text{ cm}^2", "2\\pi"),
        ("3\\times 10^{8}\\,\\mathrm{m/s}", "3 \\times 10^8"),
    ],
)
def test_a_gold_with_a_unit_or_text_accepts_the_bare_value(gold, bare):
    assert is_math_answer_correct(f"so the answer is $\\boxed{{{bare}}}$.", gold)
    assert not is_math_answer_correct(alter_answer(f"so the answer is $\\boxed{{{bare}}}$."), gold)
    assert is_math_answer_correct(f"\\boxed{{{gold}}}", bare)  # and the other way round


@pytest.mark.parametrize(
    "output, gold",
    [
        ("\\boxed{\\frac{270}{7}}", "\\frac{271}{7}\\text{ degrees}"),
        ("\\boxed{31}", "30^\\circ"),
        ("\\boxed{44}", "45\\%"),
        ("\\boxed{16}", "15\\mbox{ cm}^2"),
        ("\\boxed{5.5 \\text{ cents}}", "5.4 \\text{ cents}"),
        ("\\boxed{(45, 61)}", "(45^{\\circ}, 60^{\\circ})"),
    ],
)
def test_a_unit_does_not_make_a_wrong_number_right(output, gold):
    assert not is_math_answer_correct(output, gold)


@pytest.mark.parametrize(
    "output, gold, correct",
    [
        ("\\boxed{\\text{Evelyn}}", "\\text{Evelyn}", True),
        ("\\boxed{Evelyn}", "\\text{Evelyn}", True),
        ("\\boxed{Navin}", "\\text{Evelyn}", False),
        ("\\boxed{\\text{(C)}}", "\\text{(C)}", True),
        ("\\boxed{(D)}", "\\text{(C)}", False),
        ("\\boxed{east}", "\\text{east}", True),  # a unit word in the harness's list, here an answer
        ("\\boxed{west}", "\\text{east}", False),
    ],
)
def test_text_answers_are_still_compared_as_text(output, gold, correct):
    assert is_math_answer_correct(output, gold) is correct


@pytest.mark.parametrize(
    "text, value",
    [
        ("$5 \\text{ square feet}$.", "5"),
        ("12 miles per hour", "12"),
        ("\\text{east}", "east"),  # no value before it: the text is the answer
        ("x sec", "x sec"),  # a plain unit word counts only after a number
        ("2h", "2h"),  # a single letter is a unit only in \\text{}/\\mathrm{}
        ("2 \\sec", "2 \\sec"),  # a command, not the word
    ],
)
def test_only_a_unit_after_a_value_is_removed(text, value):
    assert answer_value(text) == value


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


def _write_predictions(path, rows: list[tuple[str, str]]):
    """One line per (problem_id, output), all aime24."""
    lines = [{"benchmark": "aime24", "problem_id": i, "sample_index": 0, "output": o} for i, o in rows]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def test_predictions_from_any_system_are_graded_by_their_output(benchmark_dir, tmp_path):
    problems = load_benchmark("aime24", benchmark_dir, limit=4)
    predictions = _write_predictions(
        tmp_path / "preds.jsonl",
        [
            (problems[0].problem_id, f"so it is \\boxed{{{problems[0].gold}}}"),
            (problems[1].problem_id, "\\boxed{1}"),
        ],
    )
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
    assert re.search(r"aime24\s+2 of 30\s+1\s+50\.0", result.stdout), result.stdout
    report = json.loads((tmp_path / "out" / "report.json").read_text())["benchmarks"]["aime24"]
    assert (report["graded_problems"], report["problems"], report["graded_samples"]) == (2, 30, 2)
    rows = [json.loads(x) for x in (tmp_path / "out" / "generations.jsonl").read_text().splitlines()]
    assert [r["correct"] for r in rows] == [True, False]


def test_unknown_problem_ids_are_one_line_naming_the_file_and_ids_and_exit_1(benchmark_dir, tmp_path):
    """Before issue 13 they were skipped: the table said n/a and the command exited 0."""
    known = load_benchmark("aime24", benchmark_dir, limit=2)[0].problem_id
    rows = [(known, "\\boxed{1}")] + [(f"no-such-id-{n}", "\\boxed{1}") for n in range(7)]
    predictions = _write_predictions(tmp_path / "preds.jsonl", rows)
    out = tmp_path / "out"
    result = _cli(
        "--benchmarks", "aime24", "--benchmark-dir", str(benchmark_dir), "--predictions", str(predictions),
        "--out", str(out),
    )  # fmt: skip
    assert result.returncode == 1 and len(result.stderr.strip().splitlines()) == 1, result.stderr
    for part in [
        str(predictions),
        "7 of 8",
        "aime24/no-such-id-0",
        "aime24/no-such-id-4",
        "and 2 more",
        "--benchmarks",
    ]:
        assert part in result.stderr
    assert "no-such-id-5" not in result.stderr  # the first few, not all
    assert not out.exists()  # nothing graded, nothing written


def test_the_table_says_how_many_problems_of_each_benchmark_were_graded():
    problems = [MathProblem("aime24", str(i), "q", str(i), "") for i in range(30)]
    problems += [MathProblem("amc23", str(i), "q", "1", "") for i in range(4)]
    generations = [Generation("aime24", str(i), k, f"\\boxed{{{i}}}") for i in range(5) for k in range(2)]
    _, report = grade(generations, problems, sizes={"aime24": 30, "amc23": 40})
    table = format_table(report).splitlines()
    assert re.fullmatch(r"aime24\s+5 of 30\s+2\s+100\.0", table[1])
    assert re.fullmatch(r"amc23\s+0 of 40\s+0\s+n/a", table[2])  # loaded (--limit 4), none graded
    assert report["aime24"]["graded_problems"] == 5 and report["aime24"]["graded_samples"] == 10


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
