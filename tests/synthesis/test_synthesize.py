"""synthesize: mutations that break tests become instances; bad input is reported and skipped."""

from __future__ import annotations

import json
import subprocess

import pytest

from srl_trainer.swe import main
from srl_trainer.workflows.synthesis.mutations import find_mutations
from tests.synthesis.conftest import GEOMETRY, make_repo


def test_every_mutation_changes_one_spot_and_compiles():
    mutations = find_mutations(GEOMETRY)
    kinds = {m.kind for m in mutations}
    assert {"operator_swap", "comparison_flip", "off_by_one", "wrong_default", "dropped_branch"} <= kinds
    for mutation in mutations:
        mutant = mutation.apply(GEOMETRY)
        compile(mutant, "<mutant>", "exec")
        assert mutant[: mutation.start] == GEOMETRY[: mutation.start]
        assert mutant != GEOMETRY


def read_jsonl(path):
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_kept_instances_break_tests_and_hide_the_fix(geometry_repo, tmp_path, capsys):
    out = tmp_path / "out" / "instances.jsonl"
    code = main(
        ["synthesize", "--repo", str(geometry_repo), "--out", str(out), "--max-tasks", "3", "--no-verify"]
    )
    assert code == 0
    records = read_jsonl(out)
    assert len(records) == 3
    assert "summary: 3 instance(s)" in capsys.readouterr().out
    git_dir = tmp_path / "out" / "repos" / "acme__geometry"
    for record in records:
        assert record["repo"] == "acme/geometry" and record["FAIL_TO_PASS"]
        assert not set(record["FAIL_TO_PASS"]) & set(record["PASS_TO_PASS"])
        assert len(record["FAIL_TO_PASS"]) + len(record["PASS_TO_PASS"]) == 6
        # The base commit is a root commit: no history in the image holds the fix.
        parents = subprocess.run(
            ["git", f"--git-dir={git_dir}", "rev-list", "--parents", "-n1", record["base_commit"]],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        assert parents == [record["base_commit"]]
        fixed = [line[1:].strip() for line in record["patch"].splitlines() if line.startswith("+") and
                 not line.startswith("+++")]  # fmt: skip
        statement = record["problem_statement"]
        assert "expected" in statement.lower() and "```" in statement
        assert all(line not in statement for line in fixed if len(line) > 8)
    # Deterministic: the same seed gives the same instances and commits.
    again = tmp_path / "again" / "instances.jsonl"
    main(["synthesize", "--repo", str(geometry_repo), "--out", str(again), "--max-tasks", "3", "--no-verify"])
    assert read_jsonl(again) == records


def test_repo_without_tests_is_refused(tmp_path, capsys):
    repo = make_repo(tmp_path / "notests", {"lib.py": "def f(x):\n    return x + 1\n"})
    code = main(["synthesize", "--repo", str(repo), "--out", str(tmp_path / "o.jsonl"), "--no-verify"])
    assert code == 1
    assert "has no pytest tests" in capsys.readouterr().err


def test_failing_tests_are_left_out_and_hangs_time_out(tmp_path, capsys):
    source = (
        "def countdown(n):\n    steps = 0\n    while n > 0:\n"
        "        n -= 1\n        steps += 1\n    return steps\n"
    )
    tests = (
        "from lib import countdown\n\n\ndef test_countdown():\n    assert countdown(3) == 3\n\n\n"
        "def test_already_broken():\n    assert countdown(1) == 5\n"
    )
    repo = make_repo(tmp_path / "loops", {"lib.py": source, "tests/test_lib.py": tests})
    out = tmp_path / "o.jsonl"
    code = main(["synthesize", "--repo", str(repo), "--out", str(out), "--max-tasks", "20", "--no-verify",
                 "--tries-per-function", "20", "--test-timeout", "3"])  # fmt: skip
    printed = capsys.readouterr().out
    assert code == 0
    assert "[fails_before_mutation] tests/test_lib.py::test_already_broken" in printed
    assert "[timeout]" in printed  # `n -= 1` -> `n += 1` never ends
    for record in read_jsonl(out):
        assert "tests/test_lib.py::test_already_broken" not in record["FAIL_TO_PASS"] + record["PASS_TO_PASS"]


@pytest.mark.docker
def test_synthesized_instances_verify_in_docker_and_scripted_expert_resolves_one(
    docker_client, base_image, geometry_repo, tmp_path, capsys
):
    from agent.formats import read_trajectories

    out = tmp_path / "out" / "instances.jsonl"
    try:
        assert main(["synthesize", "--repo", str(geometry_repo), "--out", str(out), "--max-tasks", "2"]) == 0
        printed = capsys.readouterr().out
        assert printed.count("[verified]") == 2 and "verified 2" in printed
        records = read_jsonl(out)
        assert len(records) == 2
        traj, text = tmp_path / "traj.jsonl", tmp_path / "traj_text.jsonl"
        code = main(["collect", "--instances", str(out), "--policy", "scripted", "--repos",
                     str(tmp_path / "out" / "repos"), "--out", str(traj), "--text-format", str(text),
                     "--limit", "1", "--seed", "3"])  # fmt: skip
        assert code == 0
        assert "[resolved]" in capsys.readouterr().out
        for path, fmt in ((traj, "openhands_native"), (text, "openhands_text")):
            read = read_trajectories(str(path))
            assert read.kept == 1 and not read.skipped
            trajectory = read.trajectories[0]
            assert trajectory.source_format == fmt and trajectory.resolved is True
            assert trajectory.steps[-1].action.tool == "finish"
            assert any("passed" in step.observation for step in trajectory.steps)
        diversity = json.loads((tmp_path / "traj.diversity.json").read_text())
        assert diversity["trajectories"] == 1 and diversity["steps_histogram"]

        # Episodes are written as they end: a run stopped after the first of two resumes there.
        args = ["collect", "--instances", str(out), "--policy", "scripted", "--repos",
                str(tmp_path / "out" / "repos"), "--out", str(traj), "--limit", "1",
                "--episodes-per-instance", "2", "--seed", "3"]  # fmt: skip
        assert main(args) == 0
        whole = traj.read_text().splitlines()
        progress = tmp_path / "traj.jsonl.progress"
        settings, *episodes = progress.read_text().splitlines()  # a settings line, then one per episode
        assert settings.startswith("# settings ") and len(episodes) == 2
        traj.write_text(whole[0] + "\n")
        progress.write_text(f"{settings}\n{episodes[0]}\n")
        capsys.readouterr()
        assert main([*args, "--resume"]) == 0
        assert capsys.readouterr().out.count("[resolved]") == 1  # only the missing episode ran again
        resumed = traj.read_text().splitlines()
        assert resumed[0] == whole[0] and len(resumed) == 2
        assert json.loads(resumed[1])["messages"][2:4] == json.loads(whole[1])["messages"][2:4]
    finally:
        for image in docker_client.images.list(name="srl-trainer/instance"):
            if any("acme__geometry" in tag for tag in image.tags):
                docker_client.images.remove(image.id, force=True)
