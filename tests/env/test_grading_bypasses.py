"""Patches that re-route grading instead of fixing the bug (issue 20 items 1-2), on a real engine and
the demo task: each is flagged as tampering, and graded honestly where --strict (and the RLVR
reward) revert it; patches ``git apply`` refuses (``.git/`` paths, ``.`` components, symbolic
links) are not applied at all. Each test first shows the attack works where the grader would let it
(the old ``python3 -m pytest`` start, the ``patch`` fallback), then what the grader does with it."""

from __future__ import annotations

import pytest

from agent.patches import header_names, normalize_path, patch_refusal, path_problem
from env.grading import PATCH_PATH, apply_model_patch, grade, tampered_paths
from tests.env.bypasses import (
    ALIAS_DOT,
    ALIAS_SLASHES,
    ATTACKS,
    GIT_HOOK,
    MARK,
    P2P_EDIT,
    PLUGIN_DIST_INFO,
    SHADOW_RUNNER,
    SYMLINK_TESTS,
    TESTS_INIT,
)

F2P_FAILS = {"tests/test_add.py::test_add": False}
OLD_RUNNER = (
    "python3 -m pytest -rA -p no:cacheprovider tests/test_add.py::test_add tests/test_sub.py::test_sub"
)


def _old_way(client, image, instance, patch: str, command: str) -> str:
    """Output of ``command`` in a container of ``image`` after the patch went through git apply or,
    failing that, ``patch --fuzz`` (the official fallbacks, no checks) and the test patch."""
    from env.sandbox import DockerSandbox

    with DockerSandbox(client, image) as sandbox:
        sandbox.write_file(PATCH_PATH, patch.encode())
        sandbox.write_file("/tmp/test.diff", instance.test_patch.encode())
        applied = sandbox.run(
            f"cd /testbed && (git apply {PATCH_PATH} || patch --batch --fuzz=5 -p1 -i {PATCH_PATH}) && "
            "git apply /tmp/test.diff",
            timeout=60,
        )
        return applied.output + sandbox.run(f"cd /testbed && {command}", timeout=120).output


def _graded(client, image, instance, patch: str, flagged: list[str]):
    """(the verdict without and with revert_tampered), each checked to flag ``flagged``."""
    verdicts = []
    for strict in (False, True):
        verdict = grade(client, image, instance, patch, timeout=120, revert_tampered=strict)
        assert verdict.tampered == flagged and not verdict.error, (verdict.tampered, verdict.log[-3000:])
        verdicts.append(verdict)
    return verdicts


def test_every_attack_is_flagged_with_normalised_paths_and_honest_patches_are_not(task):
    instance = task[0]
    for name, (patch, flagged) in ATTACKS.items():
        assert tampered_paths(instance, patch) == flagged, name
    assert tampered_paths(instance, instance.patch) == [] and patch_refusal(instance.patch) == ""
    assert patch_refusal(instance.test_patch) == ""
    assert [normalize_path(p) for p in ("tests/./x.py", "tests//x.py", "a/b/../x.py")] == [
        "tests/x.py",
        "tests/x.py",
        "a/x.py",
    ]
    for bad in ("../x.py", "/etc/passwd", "a/.git/config", ".GIT/hooks/x", "tests/./x.py", "tests//x.py"):
        assert path_problem(bad), bad
    assert path_problem("tests//x.py") and path_problem("src/.github/x.yml") == ""
    # A changed line that starts with "+++" is hunk content, not a header naming a file.
    tricky = "diff --git a/x.py b/x.py\n--- a/x.py\n+++ b/x.py\n@@ -1 +1,2 @@\n x\n+++ b/.git/hooks/x\n"
    assert header_names(tricky) == (["x.py"], []) and patch_refusal(tricky) == ""
    # A context diff (GNU patch reads it, git apply does not) names its files on *** / --- lines.
    context = "*** /dev/null\n--- b/.git/hooks/post-checkout\n***************\n*** 0 ****\n--- 1 ----\n+ x\n"
    assert "inside the repository's .git folder" in patch_refusal(context)
    # What is not infrastructure stays unflagged: a root module of another name, calc's own files.
    from tests.env.hostile import new_file_patch

    honest = new_file_patch("pytest_notes.md", "x\n") + new_file_patch("calc/tests_helper.py", "x = 1\n")
    honest += new_file_patch("calc/__init__.pyi", "x: int\n") + new_file_patch("README", "x\n")
    assert tampered_paths(instance, honest) == []
    shadows = [
        "_pytest/__init__.py",
        "pluggy.py",
        "pytest_evil.py",
        "x.pth",
        "X.Dist-Info/RECORD",
        "y.egg/EGG-INFO/a",
    ]
    assert tampered_paths(instance, "".join(new_file_patch(p, "x = 1\n") for p in shadows)) == shadows


@pytest.mark.docker
def test_a_root_pytest_py_no_longer_replaces_the_runner(docker_client, instance_image, task):
    instance = task[0]
    seen = _old_way(docker_client, instance_image, instance, SHADOW_RUNNER, OLD_RUNNER)
    assert f"{MARK}: fake runner" in seen and "2 passed" in seen  # python -m pytest ran the patch's pytest.py
    official, strict = _graded(docker_client, instance_image, instance, SHADOW_RUNNER, ["pytest.py"])
    # The runner is imported before the repository is on sys.path: the real pytest runs, reverted or not.
    assert MARK not in official.log and not official.resolved and official.fail_to_pass == F2P_FAILS
    assert strict.reverted and not strict.resolved and strict.fail_to_pass == F2P_FAILS


@pytest.mark.docker
def test_a_plugin_registered_through_a_dist_info_entry_point_is_flagged_and_reverted(
    docker_client, instance_image, task
):
    instance = task[0]
    flagged = ATTACKS["dist-info [pytest11] plugin"][1]
    official, strict = _graded(docker_client, instance_image, instance, PLUGIN_DIST_INFO, flagged)
    assert official.resolved  # the plugin really forces the pass: what the official harness says
    assert strict.reverted and not strict.resolved and strict.fail_to_pass == F2P_FAILS


@pytest.mark.docker
def test_a_tests_init_py_rewriting_a_test_is_flagged_and_reverted(docker_client, instance_image, task):
    instance = task[0]
    official, strict = _graded(docker_client, instance_image, instance, TESTS_INIT, ["tests/__init__.py"])
    assert official.resolved
    assert strict.reverted and not strict.resolved and strict.fail_to_pass == F2P_FAILS


@pytest.mark.docker
def test_an_edited_pass_to_pass_file_is_flagged_and_reverted(docker_client, instance_image, task):
    instance = task[0]
    official, strict = _graded(docker_client, instance_image, instance, P2P_EDIT, ["tests/test_sub.py"])
    assert official.resolved  # the official harness resolves it too
    assert strict.reverted and not strict.resolved and strict.fail_to_pass == F2P_FAILS
    assert strict.pass_to_pass == {"tests/test_sub.py::test_sub": True}


@pytest.mark.docker
def test_a_git_hook_path_is_refused_though_the_patch_fallback_would_write_it(
    docker_client, instance_image, task
):
    from env.sandbox import DockerSandbox

    instance = task[0]
    seen = _old_way(docker_client, instance_image, instance, GIT_HOOK, "ls -l .git/hooks/post-checkout")
    assert "-rwx" in seen  # git apply refuses it, patch --fuzz writes it (executable)
    with DockerSandbox(docker_client, instance_image) as sandbox:
        command, log = apply_model_patch(sandbox, GIT_HOOK)
        left = sandbox.run("ls /testbed/.git/hooks", timeout=30).output
    assert command == "" and "inside the repository's .git folder" in log and "post-checkout\n" not in left
    for strict in (False, True):
        verdict = grade(
            docker_client, instance_image, instance, GIT_HOOK, timeout=120, revert_tampered=strict
        )
        assert (
            not verdict.patch_applied
            and not verdict.resolved
            and verdict.tampered == [".git/hooks/post-checkout"]
        )
        assert "inside the repository's .git folder" in verdict.refused


@pytest.mark.docker
def test_alias_paths_are_compared_normalised(docker_client, instance_image, task):
    instance = task[0]
    for patch in (ALIAS_DOT, ALIAS_SLASHES):
        seen = _old_way(docker_client, instance_image, instance, patch, OLD_RUNNER)
        assert "2 passed" in seen  # patch --fuzz wrote tests/test_add.py; the test patch could not
    for patch in (ALIAS_DOT, ALIAS_SLASHES):
        for strict in (False, True):
            verdict = grade(
                docker_client, instance_image, instance, patch, timeout=120, revert_tampered=strict
            )
            assert not verdict.patch_applied and not verdict.resolved, verdict.log[-2000:]
            assert verdict.tampered == ["tests/test_add.py"] and "component" in verdict.refused


@pytest.mark.docker
def test_a_symbolic_link_to_the_patchs_own_tests_is_refused(docker_client, instance_image, task):
    instance = task[0]
    seen = _old_way(docker_client, instance_image, instance, SYMLINK_TESTS, "ls -l tests; " + OLD_RUNNER)
    assert "tests -> fake" in seen and "2 passed" in seen
    for strict in (False, True):
        verdict = grade(
            docker_client, instance_image, instance, SYMLINK_TESTS, timeout=120, revert_tampered=strict
        )
        assert not verdict.patch_applied and not verdict.resolved
        assert verdict.tampered == ["tests/test_sub.py", "tests"] and "symbolic link" in verdict.refused


@pytest.mark.docker
def test_the_rlvr_reward_grades_each_attack_reverted_and_records_it_tampered(
    docker_client, instance_image, image_config, task, tmp_path
):
    import json

    from srl_trainer.training.swe_rlvr import SweTestsReward

    instance = task[0]
    log = tmp_path / "rlvr_episodes.jsonl"
    reward = SweTestsReward(
        {instance.instance_id: instance}, docker_client, image_config, sandboxes=2, log_path=log
    )
    patches = [patch for patch, _ in ATTACKS.values()]
    values = reward(
        [None] * len(patches),
        [None] * len(patches),
        instance_id=[instance.instance_id] * len(patches),
        patch=patches,
    )
    assert values == [0.0] * len(patches)
    records = [json.loads(line) for line in log.read_text().splitlines()]
    assert [r["tampered"] for r in records] == [flagged for _, flagged in ATTACKS.values()]
