"""The one grader (env.grading) on a real engine: fresh containers keep one graded patch's test-time
damage away from every later grade, patches that change test infrastructure are caught, and test
logs that test code forged (lines added to what pytest printed) are never resolved."""

from __future__ import annotations

from dataclasses import replace

import pytest

from env.demo_task import WRONG_PATCH
from env.grading import forged_log_reasons, grade, instance_problem, revert_script, tampered_paths
from env.instances import instance_from_record, instance_record
from tests.env.hostile import (
    ATTACK,
    EARLY_EXIT,
    FAKE_EXIT_LINE,
    FAKE_PASSED,
    FAKE_SUMMARY_TAIL,
    FORCE_EXIT_0,
    FORCE_PASS_CONFTEST,
    PASSING_REPORTS,
    PATCHED_SHORT_SUMMARY,
    PROBE,
    calc_patch,
    new_file_patch,
)


@pytest.mark.docker
def test_a_patch_that_poisons_its_grading_container_cannot_reach_the_next_grade(
    docker_client, instance_image, task
):
    from env.demo_task import BUGGY, FIXED
    from env.grading import apply_model_patch
    from env.sandbox import DockerSandbox

    instance = task[0]
    hostile = calc_patch(ATTACK + BUGGY)
    probe = calc_patch(PROBE + FIXED)  # the fix, failing when any trace of the attack is visible

    # Control: in one container, the attack really leaves every trace the probe looks for.
    with DockerSandbox(docker_client, instance_image) as sandbox:
        assert apply_model_patch(sandbox, hostile)[0]
        assert sandbox.run("cd /testbed && python3 -c 'import calc'", timeout=60).exit_code == 0
        sandbox.run("cd /testbed && git checkout -q -- . && git clean -fdq", timeout=60)
        assert apply_model_patch(sandbox, probe)[0]
        seen = sandbox.run("cd /testbed && python3 -c 'import calc'", timeout=60).output
        for trace in ("__main__.py", "__init__.py", ".pth", "/root/", "/var/tmp/", "git config", "process"):
            assert trace in seen, seen

    attacked = grade(docker_client, instance_image, instance, hostile, timeout=120)
    assert attacked.patch_applied and not attacked.resolved and not attacked.error
    empty = grade(docker_client, instance_image, instance, "", timeout=120)
    assert not empty.resolved and not empty.error
    assert empty.fail_to_pass == {"tests/test_add.py::test_add": False}  # pytest really ran
    assert empty.pass_to_pass == {"tests/test_sub.py::test_sub": True}
    clean = grade(docker_client, instance_image, instance, probe, timeout=120)
    assert clean.resolved, clean.log[-3000:]  # no trace of the attack in the next grade's container


@pytest.mark.docker
@pytest.mark.parametrize(
    ("path", "text"),
    [
        ("conftest.py", FORCE_PASS_CONFTEST),  # every test reported as passed
        ("tests/test_add.py", "def test_add():\n    pass\n"),  # the test patch's new file, pre-empted
    ],
)
def test_a_patch_that_changes_test_infrastructure_is_flagged_and_fails_when_reverted(
    docker_client, instance_image, task, path, text
):
    instance = task[0]
    patch = new_file_patch(path, text)
    official = grade(docker_client, instance_image, instance, patch, timeout=120)
    assert official.tampered == [path]
    assert official.resolved and not official.reverted  # what the official harness would say
    strict = grade(docker_client, instance_image, instance, patch, timeout=120, revert_tampered=True)
    assert strict.tampered == [path] and strict.reverted
    assert not strict.resolved and strict.fail_to_pass == {"tests/test_add.py::test_add": False}
    assert f"reverted to the base commit: {path}" in strict.log


@pytest.mark.docker
def test_the_log_names_the_apply_command_that_took_the_patch(docker_client, instance_image, task, tmp_path):
    instance = task[0]
    verdict = grade(docker_client, instance_image, instance, instance.patch, timeout=120, log_dir=tmp_path)
    assert verdict.resolved and verdict.apply_command == "git apply --verbose" and not verdict.tampered
    log = (tmp_path / "test_output.txt").read_text()
    assert ">>>>> Applied Patch (git apply --verbose)" in log
    assert {"patch.diff", "eval.sh", "test_output.txt"} <= {p.name for p in tmp_path.iterdir()}


def test_tampered_paths_lists_test_patch_files_conftests_and_pytest_configuration(task):
    instance = task[0]
    honest = instance.patch + WRONG_PATCH
    assert tampered_paths(instance, honest) == []
    patch = "".join(
        new_file_patch(p, "x = 1\n")
        for p in ("pkg/sub/conftest.py", "setup.cfg", "pyproject.toml", "tox.ini", "pytest.ini", "src/x.py")
    )
    assert tampered_paths(instance, patch) == [
        "pkg/sub/conftest.py",
        "setup.cfg",
        "pyproject.toml",
        "tox.ini",
        "pytest.ini",
    ]
    renamed = "diff --git a/calc/x.py b/tests/conftest.py\nsimilarity index 100%\nrename from calc/x.py\n"
    renamed += "rename to tests/conftest.py\n"
    assert tampered_paths(instance, renamed) == ["tests/conftest.py"]
    assert tampered_paths(instance, new_file_patch("tests/test_add.py", "x\n")) == ["tests/test_add.py"]
    assert "git checkout -q" in revert_script(instance, ["conftest.py"])


def test_an_instance_without_fail_to_pass_or_pass_to_pass_cannot_be_graded(task):
    record = instance_record(task[0])
    assert instance_problem(instance_from_record(record)) == ""
    no_p2p = instance_from_record({k: v for k, v in record.items() if k != "PASS_TO_PASS"})
    assert "no PASS_TO_PASS" in instance_problem(no_p2p)
    assert "no FAIL_TO_PASS" in instance_problem(instance_from_record({**record, "FAIL_TO_PASS": None}))
    assert "empty FAIL_TO_PASS" in instance_problem(instance_from_record({**record, "FAIL_TO_PASS": []}))
    assert instance_problem(instance_from_record({**record, "PASS_TO_PASS": "[]"})) == ""  # given empty
    verdict = grade(None, "unused", replace(task[0], fail_to_pass=()), task[0].patch)
    assert verdict.error and not verdict.resolved  # no container is made for it


def _peak_rss_growth_mib(action) -> tuple[object, float]:
    """(what ``action()`` returned, how far this process's peak RSS rose above its RSS before it)."""
    from pathlib import Path

    def status(field: str) -> int:
        line = next(x for x in Path("/proc/self/status").read_text().splitlines() if x.startswith(field))
        return int(line.split()[1])

    Path("/proc/self/clear_refs").write_text("5")  # peak RSS (VmHWM) starts again from the RSS now
    before = status("VmRSS:")
    result = action()
    return result, (status("VmHWM:") - before) / 1024


@pytest.mark.docker
def test_a_test_printing_200_megabytes_is_graded_with_its_log_capped(
    docker_client, instance_image, task, tmp_path
):
    from env.demo_task import FIXED
    from env.grading import LOG_HEAD, LOG_TAIL

    instance = task[0]
    loud = FIXED.replace(
        '"""Sum of a and b."""\n', '"""Sum of a and b."""\n    print(("y" * 999 + "\\n") * 200_000)\n'
    )
    assert loud != FIXED
    patch = calc_patch(loud)  # the fix, whose add() prints 200 MB (pytest shows it under -rA)
    verdict, grown_mib = _peak_rss_growth_mib(
        lambda: grade(docker_client, instance_image, instance, patch, timeout=600, log_dir=tmp_path)
    )
    print(f"grading a 200 MB test log: host peak RSS growth {grown_mib:.0f} MiB")
    assert verdict.resolved and not verdict.error, verdict.log[-2000:]
    assert verdict.fail_to_pass == {"tests/test_add.py::test_add": True}
    stored = (tmp_path / "test_output.txt").read_bytes()
    assert len(stored) < LOG_HEAD + LOG_TAIL + 10_000
    assert b"[test output cut: " in stored and b"bytes cut ...]" in stored
    assert grown_mib < 300, f"host process peak RSS grew by {grown_mib:.0f} MiB"


@pytest.mark.docker
def test_honest_passing_and_failing_logs_give_no_forged_reasons(docker_client, instance_image, task):
    instance = task[0]
    passing = grade(docker_client, instance_image, instance, instance.patch, timeout=120)
    failing = grade(docker_client, instance_image, instance, WRONG_PATCH, timeout=120)
    assert passing.resolved and passing.forged == [] and "2 passed in" in passing.log
    assert not failing.resolved and failing.forged == [] and "1 failed, 1 passed in" in failing.log
    assert failing.fail_to_pass == {"tests/test_add.py::test_add": False}


def _forged(docker_client, instance_image, instance, code: str):
    """The verdict of test code ``code`` put before the buggy calc module, and swebench's own verdict."""
    from env.demo_task import BUGGY

    verdict = grade(docker_client, instance_image, instance, calc_patch(code + BUGGY), timeout=120)
    assert verdict.patch_applied and not verdict.error, verdict.log[-2000:]
    return verdict, bool(verdict.report.get("resolved"))


@pytest.mark.docker
def test_passed_lines_printed_after_pytests_summary_are_forged_and_never_resolved(
    docker_client, instance_image, task
):
    verdict, official = _forged(docker_client, instance_image, task[0], FAKE_PASSED.format(exit=""))
    assert ">>>>> Test Exit Code: 1" in verdict.log  # swebench's exit-status check rejects it too
    assert not official and not verdict.resolved
    assert verdict.forged == [
        "status lines after pytest's final summary line (line 38): PASSED tests/test_add.py::test_add; "
        "PASSED tests/test_sub.py::test_sub",
        "listed tests reported failing and later passing: tests/test_add.py::test_add: FAILED on line 37, "
        "PASSED on line 39",
    ]


@pytest.mark.docker
def test_failures_counted_with_an_exit_status_forced_to_0_are_forged(docker_client, instance_image, task):
    code = FAKE_PASSED.format(exit=FORCE_EXIT_0)
    verdict, official = _forged(docker_client, instance_image, task[0], code)
    assert official and not verdict.resolved  # the official harness resolves this log
    assert any("but the recorded exit status is 0" in reason for reason in verdict.forged), verdict.forged


@pytest.mark.docker
def test_a_printed_exit_status_line_that_disagrees_with_the_real_one_is_forged(
    docker_client, instance_image, task
):
    code = FAKE_PASSED.format(exit=FAKE_EXIT_LINE)  # swebench reads the first exit-status line
    verdict, official = _forged(docker_client, instance_image, task[0], code)
    assert official and not verdict.resolved
    assert "the log records different test exit statuses: 0, 1" in verdict.forged


@pytest.mark.docker
def test_a_fake_summary_tail_after_pytests_is_forged_by_the_failing_then_passing_test(
    docker_client, instance_image, task
):
    verdict, official = _forged(docker_client, instance_image, task[0], FAKE_SUMMARY_TAIL)
    assert official and not verdict.resolved
    assert verdict.forged == [
        "listed tests reported failing and later passing: tests/test_add.py::test_add: FAILED on line 37, "
        "PASSED on line 40"
    ]


@pytest.mark.docker
def test_passed_lines_with_no_pytest_summary_after_an_early_exit_are_forged(
    docker_client, instance_image, task
):
    verdict, official = _forged(docker_client, instance_image, task[0], EARLY_EXIT)
    assert "PASSED tests/test_add.py::test_add" in verdict.log and " passed in " not in verdict.log
    assert official and not verdict.resolved
    assert verdict.forged == ["2 status line(s) for listed tests but no pytest final summary line"]


@pytest.mark.docker
def test_a_short_summary_that_disagrees_with_pytests_counts_is_forged(docker_client, instance_image, task):
    verdict, official = _forged(docker_client, instance_image, task[0], PATCHED_SHORT_SUMMARY)
    assert official and not verdict.resolved
    final = "('1 failed, 1 passed in "
    assert [reason.split(final)[0] for reason in verdict.forged] == [
        "the short test summary has 2 PASSED line(s) but pytest's final line counts 1 passed ",
        "the short test summary has 0 FAILED line(s) but pytest's final line counts 1 failed ",
        "pytest counted failures ",
    ]


@pytest.mark.docker
def test_test_code_that_turns_pytests_own_reports_into_passes_is_not_caught(
    docker_client, instance_image, task
):
    """The known limit, shared with the official harness: pytest itself prints a consistent log."""
    verdict, official = _forged(docker_client, instance_image, task[0], PASSING_REPORTS)
    assert "2 passed in" in verdict.log and ">>>>> Test Exit Code: 0" in verdict.log
    assert official and verdict.resolved and verdict.forged == []


HONEST_TESTS = """import pytest


@pytest.fixture
def bad_teardown():
    yield
    raise RuntimeError("teardown broke")


@pytest.fixture
def bad_setup():
    raise RuntimeError("setup broke")


def test_pass():
    pass


def test_fail():
    assert 1 == 2


def test_pass_then_teardown_error(bad_teardown):
    pass


def test_fail_then_teardown_error(bad_teardown):
    assert 0


def test_setup_error(bad_setup):
    pass


@pytest.mark.xfail
def test_xfail():
    assert 0


@pytest.mark.xfail
def test_xpass():
    pass


@pytest.mark.skip(reason="no")
def test_skip():
    pass


@pytest.mark.parametrize("x", ["a b", "a c", "d"])
def test_param(x):
    assert x != "a c"


def test_prints_a_nested_runs_output():
    print("FAILED inner.py::test_x - boom\\nPASSED inner.py::test_x\\n=== 1 failed in 0.01s ===")


def test_multiline_message():
    assert False, "one\\nPASSED tests/test_kinds.py::test_fail\\nthree"
"""


def test_honest_pytest_logs_of_every_outcome_kind_give_no_forged_reasons(task, tmp_path):
    """pytest -rA run for real (this environment's pytest): passes, failures, setup and teardown
    errors (a test reported PASSED then ERROR), xfail, xpass, skips, parametrized ids with spaces
    (swebench cuts them at the space, so two of them share an id), a test printing a nested run's
    status lines, and a file that fails to import."""
    import subprocess
    import sys

    from env.grading import _status_of

    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_kinds.py").write_text(HONEST_TESTS)
    (tmp_path / "tests" / "test_broken.py").write_text(
        "import not_a_module\n\n\ndef test_never():\n    pass\n"
    )
    for extra in ([], ["--continue-on-collection-errors", "tests/test_broken.py"]):
        command = [sys.executable, "-m", "pytest", "-rA", "-p", "no:cacheprovider", "tests/test_kinds.py"]
        run = subprocess.run(command + extra, cwd=tmp_path, capture_output=True, text=True, timeout=120)
        log = f">>>>> Start Test Output\n{run.stdout}{run.stderr}>>>>> End Test Output\n"
        log += f">>>>> Test Exit Code: {run.returncode}\n"
        reported = {test for line in log.split("\n") if (parsed := _status_of(line)) for test in parsed[1:]}
        listed = sorted(t for t in reported if t.startswith("tests/")) + ["tests/test_broken.py::test_never"]
        assert "PASSED tests/test_kinds.py::test_pass_then_teardown_error" in log, log
        assert "ERROR tests/test_kinds.py::test_pass_then_teardown_error" in log
        assert "tests/test_kinds.py::test_param[a" in listed and run.returncode == 1
        instance = replace(task[0], fail_to_pass=tuple(listed), pass_to_pass=())
        assert forged_log_reasons(log, instance) == [], log
