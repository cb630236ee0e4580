"""Turn the task-repository source trees in this folder into reproducible git repositories.

    python data/repos/build_repos.py --out DIR [--bundles] [--only NAME ...]

Each ``owner__name/`` tree next to this script becomes ``DIR/owner__name``: a git repository on
branch ``main`` with one commit whose author, committer, dates, message and file modes are fixed, so
its commit hash is the same on every machine and every run. With ``--bundles`` it also writes
``DIR/owner__name.bundle`` (what ``--repos DIR`` accepts). Prints one ``name commit`` line per repo.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
MANIFEST = HERE / "manifest.json"
COMMIT_MESSAGE = "Initial import\n"
# Fixed identity and time: with these, the same tree always gives the same commit hash.
GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "SRL Corpus",
    "GIT_AUTHOR_EMAIL": "corpus@srl-trainer.invalid",
    "GIT_AUTHOR_DATE": "2024-01-01T00:00:00+00:00",
    "GIT_COMMITTER_NAME": "SRL Corpus",
    "GIT_COMMITTER_EMAIL": "corpus@srl-trainer.invalid",
    "GIT_COMMITTER_DATE": "2024-01-01T00:00:00+00:00",
}
SKIPPED_PARTS = {"__pycache__", ".pytest_cache", ".git"}


def repo_trees() -> list[Path]:
    """The source trees named in the manifest, in manifest order."""
    entries = json.loads(MANIFEST.read_text(encoding="utf-8"))
    return [HERE / entry["name"] for entry in entries]


def tree_files(tree: Path) -> list[Path]:
    """The files of ``tree`` that go into the commit (no caches, no compiled files), sorted."""
    files = []
    for path in sorted(tree.rglob("*")):
        relative = path.relative_to(tree)
        if path.is_file() and not SKIPPED_PARTS & set(relative.parts) and path.suffix != ".pyc":
            files.append(relative)
    return files


def git_env() -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("GIT_")}
    env.update(GIT_IDENTITY)
    env.update({"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull, "TZ": "UTC", "LC_ALL": "C"})
    return env


def git(args: list[str], cwd: Path) -> str:
    result = subprocess.run(
        ["git", "-c", "core.autocrlf=false", "-c", "commit.gpgsign=false", *args],
        cwd=cwd,
        env=git_env(),
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise SystemExit(f"git {' '.join(args)} failed in {cwd}: {result.stderr.strip()}")
    return result.stdout.strip()


def build_repo(tree: Path, out_dir: Path, bundle: bool = False) -> str:
    """Write ``out_dir/<tree name>`` as a one-commit repository; return its commit hash."""
    target = out_dir / tree.name
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    for relative in tree_files(tree):
        destination = target / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_bytes((tree / relative).read_bytes())
        destination.chmod(0o644)  # the mode is part of the tree hash
    git(["init", "-q", "-b", "main"], target)
    git(["add", "--all"], target)
    git(["commit", "-q", "--no-verify", "-m", COMMIT_MESSAGE], target)
    commit = git(["rev-parse", "HEAD"], target)
    if bundle:
        bundle_path = out_dir / f"{tree.name}.bundle"
        bundle_path.unlink(missing_ok=True)
        git(["bundle", "create", "-q", str(bundle_path), "HEAD", "main"], target)
    return commit


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="folder to write the repositories into")
    parser.add_argument("--bundles", action="store_true", help="also write owner__name.bundle files")
    parser.add_argument("--only", nargs="*", default=None, help="build only these owner__name trees")
    args = parser.parse_args(argv)
    trees = repo_trees()
    if args.only:
        unknown = set(args.only) - {tree.name for tree in trees}
        if unknown:
            parser.error(f"unknown repositories: {', '.join(sorted(unknown))}")
        trees = [tree for tree in trees if tree.name in args.only]
    if shutil.which("git") is None:
        print("git is not installed; install it to build the task repositories", file=sys.stderr)
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    for tree in trees:
        print(tree.name, build_repo(tree, args.out, bundle=args.bundles))
    return 0


if __name__ == "__main__":
    sys.exit(main())
