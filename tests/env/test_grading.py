"""The one grader (env.grading) on a real engine: fresh containers keep one graded patch's test-time
damage away from every later grade, and patches that change test infrastructure are caught."""

from __future__ import annotations

from dataclasses import replace

import pytest

from env.demo_task import WRONG_PATCH
from env.grading import grade, instance_problem, revert_script, tampered_paths
from env.instances import instance_from_record, instance_record
from tests.env.hostile import ATTACK, FORCE_PASS_CONFTEST, PROBE, calc_patch, new_file_patch


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


FAKE_PASSED = (
    "import atexit as _atexit, os as _os\n"
    "def _fake():\n"  # after pytest's summary: swebench's parser keeps a test's last status line
    "    print('PASSED tests/test_add.py::test_add\\nPASSED tests/test_sub.py::test_sub', flush=True)\n"
    "{exit}"
    "_atexit.register(_fake)\n"
)


@pytest.mark.docker
def test_fake_passed_lines_printed_by_test_code_are_caught_only_with_a_failing_exit_status(
    docker_client, instance_image, task
):
    """Test code printing PASSED lines for failing tests: swebench's record of pytest's exit status
    (as the official harness runs the eval script) rejects the log; test code that also exits 0
    fools this grader as it fools the official harness (benchmarks/fault_bench.py reports it)."""
    from env.demo_task import BUGGY

    instance = task[0]
    caught = grade(docker_client, instance_image, instance, calc_patch(FAKE_PASSED.format(exit="") + BUGGY))
    assert ">>>>> Test Exit Code: 1" in caught.log and "PASSED tests/test_add.py::test_add" in caught.log
    assert not caught.resolved and not caught.error
    forced = FAKE_PASSED.format(exit="    _os._exit(0)\n") + BUGGY
    fooled = grade(docker_client, instance_image, instance, calc_patch(forced))
    assert ">>>>> Test Exit Code: 0" in fooled.log
    assert fooled.resolved  # the known hole, shared with the official harness
