"""The task repositories in data/repos: each passes its own tests, and the builder is reproducible."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

REPOS_DIR = REPO / "data" / "repos"
BUILDER = REPOS_DIR / "build_repos.py"
MANIFEST = json.loads((REPOS_DIR / "manifest.json").read_text(encoding="utf-8"))
NAMES = [entry["name"] for entry in MANIFEST]


def run_builder(out: Path, *extra: str) -> dict[str, str]:
    result = subprocess.run(
        [sys.executable, str(BUILDER), "--out", str(out), *extra],
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(line.split() for line in result.stdout.splitlines())


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    out = tmp_path_factory.mktemp("repos")
    return out, run_builder(out, "--bundles")


def source_lines(tree: Path) -> int:
    files = [p for p in tree.rglob("*.py") if "tests" not in p.relative_to(tree).parts]
    return sum(len(p.read_text(encoding="utf-8").splitlines()) for p in files)


def test_manifest_lists_every_tree_with_two_heldout():
    trees = sorted(p.name for p in REPOS_DIR.iterdir() if p.is_dir() and "__" in p.name)
    assert sorted(NAMES) == trees
    assert len(NAMES) >= 8
    assert sum(entry["split"] == "heldout" for entry in MANIFEST) == 2
    assert {entry["split"] for entry in MANIFEST} == {"train", "heldout"}
    assert len({entry["domain"] for entry in MANIFEST}) == len(MANIFEST)


@pytest.mark.parametrize("name", NAMES)
def test_repo_size_and_test_count(name):
    tree = REPOS_DIR / name
    assert 150 <= source_lines(tree) <= 600
    test_files = (tree / "tests").glob("test_*.py")
    tests = sum(p.read_text(encoding="utf-8").count("\ndef test_") for p in test_files)
    assert tests >= 25


@pytest.mark.parametrize("name", NAMES)
def test_repo_own_suite_passes_in_built_checkout(built, name):
    out, _ = built
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x"],
        cwd=out / name,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    assert " passed" in result.stdout and "failed" not in result.stdout


def test_builder_is_deterministic(built, tmp_path):
    _, first = built
    second = run_builder(tmp_path / "again", "--only", NAMES[0], NAMES[-1])
    assert second == {NAMES[0]: first[NAMES[0]], NAMES[-1]: first[NAMES[-1]]}
    assert set(first) == set(NAMES)


def test_bundle_clones_at_the_built_commit(built, tmp_path):
    out, commits = built
    name = NAMES[0]
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(out / f"{name}.bundle"), str(clone)], check=True)
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=clone, capture_output=True, text=True, check=True)
    assert head.stdout.strip() == commits[name]
    log = subprocess.run(
        ["git", "log", "--format=%an <%ae> %ad", "--date=iso-strict"],
        cwd=clone,
        capture_output=True,
        text=True,
        check=True,
    )
    assert log.stdout.strip() == "SRL Corpus <corpus@srl-trainer.invalid> 2024-01-01T00:00:00+00:00"
