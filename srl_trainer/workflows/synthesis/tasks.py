"""Turn a local Python repository with pytest tests into SWE-bench-format bug-fix instances.

Pipeline (each stage reports per item and skips what fails):

1. Snapshot the repository's files into a scratch copy and run its tests there (host Python,
   timeout). Tests that already fail are reported and left out; no passing test ends the run.
2. Try one mutation per function at a time (:mod:`srl_trainer.workflows.synthesis.mutations`), running the
   tests on the host with a timeout; keep a mutation only if it makes passing tests fail, each
   failing test reported by its own id (an import-breaking mutation is not a bug-fix task).
3. Write the task repository: a bare git repository ``<repos_out>/<owner>__<name>`` whose branch
   ``main`` is the original snapshot and whose branch ``task/<instance_id>`` is the buggy snapshot
   as a *root* commit (no parent), so an instance image built from it (``--repos <repos_out>``)
   holds no history with the fix in it. Commit ids are deterministic (fixed author and dates).
4. Verify every instance in a Docker sandbox built from that repository (see
   :func:`verify_instance`): FAIL_TO_PASS fail at the base commit, everything passes with the patch.
"""

from __future__ import annotations

import hashlib
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from agent.patches import patched_files
from srl_trainer.workflows.synthesis.mutations import Mutation, find_mutations, pick_one_per_function
from srl_trainer.workflows.synthesis.problem import write_problem_statement

SKIP_DIRS = {
    ".git",
    "__pycache__",
    ".pytest_cache",
    ".venv",
    "venv",
    "env",
    "node_modules",
    ".mypy_cache",
    ".ruff_cache",
    "build",
    "dist",
    ".tox",
    ".eggs",
}
NOT_MUTATED_DIRS = {"tests", "test", "testing", "docs", "examples", "scripts", "benchmarks"}
GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "srl-trainer synthesis",
    "GIT_AUTHOR_EMAIL": "synthesis@srl-trainer.invalid",
    "GIT_COMMITTER_NAME": "srl-trainer synthesis",
    "GIT_COMMITTER_EMAIL": "synthesis@srl-trainer.invalid",
    "GIT_AUTHOR_DATE": "2025-01-01T00:00:00+0000",
    "GIT_COMMITTER_DATE": "2025-01-01T00:00:00+0000",
}
_SUMMARY = re.compile(r"^(PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS) (\S+?)(?: - .*)?$", re.MULTILINE)


class SynthesisError(RuntimeError):
    """The repository cannot be used at all (no tests, no passing test, not a directory)."""


@dataclass
class SynthesisConfig:
    """What ``synthesize`` reads, how hard it tries, and where it writes."""

    repo: str = field(default="", metadata={"help": "Local Python repository with pytest tests."})
    out: str = field(default="", metadata={"help": "Instances file to write (.jsonl)."})
    repo_name: str = field(
        default="",
        metadata={
            "help": "owner/name for the instances (default: from the folder, owner__name or local/NAME)."
        },
    )
    repos_out: str = field(
        default="",
        metadata={"help": "Folder for the task git repositories, usable as --repos (default: beside --out)."},
    )
    max_tasks: int = field(default=20, metadata={"help": "Stop after this many kept instances."})
    seed: int = field(default=0, metadata={"help": "Seed for the order of functions and mutations."})
    tries_per_function: int = field(
        default=3, metadata={"help": "Mutations tried on one function before moving to the next."}
    )
    test_timeout: float = field(
        default=60.0, metadata={"help": "Seconds one host test run may take (a mutant past it is a hang)."}
    )
    verify: bool = field(default=True, metadata={"help": "Verify every instance in a Docker sandbox."})
    python: str = field(default=sys.executable, metadata={"help": "Python that runs the tests on the host."})


@dataclass
class TestRun:
    status: dict[str, str]
    output: str
    seconds: float
    timed_out: bool = False


@dataclass
class Candidate:
    """A kept mutation with everything needed to write its instance."""

    path: str  # relative to the repository root
    mutation: Mutation
    original: str
    failing: list[str]
    passing: list[str]
    output: str


@dataclass
class SynthesisReport:
    """What happened to every mutation tried and every instance verified."""

    outcomes: Counter = field(default_factory=Counter)
    lines: list[str] = field(default_factory=list)
    failing_before: list[str] = field(default_factory=list)

    def note(self, outcome: str, line: str) -> None:
        self.outcomes[outcome] += 1
        self.lines.append(f"[{outcome}] {line}")
        print(f"[{outcome}] {line}", flush=True)


def repo_name_for(path: Path, given: str = "") -> str:
    if given:
        if not re.fullmatch(r"[\w.-]+/[\w.-]+", given):
            raise SynthesisError(f"--repo-name {given!r} is not owner/name")
        return given
    name = path.resolve().name
    return name.replace("__", "/", 1) if "__" in name else f"local/{name}"


def source_files(root: Path) -> list[str]:
    """The files of the repository as its author sees them (git-tracked or untracked-not-ignored)."""
    listed = subprocess.run(
        ["git", "-C", str(root), "ls-files", "-co", "--exclude-standard", "-z"],
        capture_output=True,
        text=True,
        check=False,
    )
    inside = subprocess.run(
        ["git", "-C", str(root), "rev-parse", "--show-toplevel"], capture_output=True, text=True, check=False
    )
    if listed.returncode == 0 and Path(inside.stdout.strip()).resolve() == root.resolve():
        files = [f for f in listed.stdout.split("\0") if f]
    else:
        files = []
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and not d.endswith(".egg-info"))
            rel = Path(dirpath).relative_to(root)
            files += [str(rel / f) if str(rel) != "." else f for f in sorted(filenames)]
    return sorted(f for f in files if not f.endswith((".pyc", ".pyo")) and (root / f).is_file())


def is_mutable_source(path: str) -> bool:
    parts = Path(path).parts
    name = parts[-1]
    if not name.endswith(".py") or name in ("conftest.py", "setup.py", "noxfile.py", "__main__.py"):
        return False
    if name.startswith("test_") or name.endswith("_test.py"):
        return False
    return not any(p in NOT_MUTATED_DIRS or p.startswith(".") for p in parts[:-1])


def run_tests(workdir: Path, python: str, timeout: float) -> TestRun:
    """Run the whole suite in ``workdir``; statuses by test id from pytest's ``-rA`` summary."""
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONPATH": str(workdir), "PYTHONHASHSEED": "0"}
    env.pop("PYTEST_ADDOPTS", None)
    command = [python, "-m", "pytest", "-rA", "-q", "--tb=short", "-p", "no:cacheprovider", "-o", "addopts="]
    start = time.monotonic()
    process = subprocess.Popen(
        command,
        cwd=workdir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
        start_new_session=True,  # a hanging mutant's children die with it
    )
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
        return TestRun({}, output or "", time.monotonic() - start, timed_out=True)
    status = {m.group(2): m.group(1) for m in _SUMMARY.finditer(output)}
    return TestRun(status, output, time.monotonic() - start)


def _instance_id(repo: str, path: str, mutation: Mutation) -> str:
    key = f"{repo}\0{path}\0{mutation.start}\0{mutation.end}\0{mutation.replacement}"
    return f"{repo.replace('/', '__')}-{hashlib.sha256(key.encode()).hexdigest()[:8]}"


def find_breaking_mutations(
    root: Path, workdir: Path, config: SynthesisConfig, report: SynthesisReport
) -> list[Candidate]:
    """Steps 1-2: the kept mutations, found on the host copy in ``workdir``."""
    baseline = run_tests(workdir, config.python, config.test_timeout)
    if baseline.timed_out:
        raise SynthesisError(f"the tests of {root} did not finish within {config.test_timeout:g}s")
    passing = sorted(t for t, s in baseline.status.items() if s in ("PASSED", "XFAIL"))
    failing_before = sorted(t for t, s in baseline.status.items() if s in ("FAILED", "ERROR"))
    if not baseline.status:
        tail = " | ".join(baseline.output.strip().splitlines()[-2:])
        raise SynthesisError(f"{root} has no pytest tests (pytest collected nothing: {tail})")
    for test in failing_before:
        report.note("fails_before_mutation", f"{test} fails on the unmodified repository; left out")
    report.failing_before = failing_before
    if not passing:
        raise SynthesisError(f"no test of {root} passes before mutation; nothing to break")
    # A mutant that runs 10x longer than the clean suite is treated as hanging.
    timeout = min(config.test_timeout, max(10.0, 10 * baseline.seconds))

    files = [f for f in source_files(workdir) if is_mutable_source(f)]
    candidates: list[tuple[str, Mutation]] = []
    originals: dict[str, str] = {}
    for rel in files:
        text = (workdir / rel).read_text(encoding="utf-8", errors="replace")
        try:
            found = find_mutations(text)
        except SyntaxError:
            report.note("unparsable", f"{rel} is not valid Python; not mutated")
            continue
        originals[rel] = text
        candidates += [(rel, m) for m in found]
    if not candidates:
        raise SynthesisError(f"{root} has no functions to mutate outside its tests")
    by_site = {id(m): rel for rel, m in candidates}
    rng = random.Random(config.seed)
    groups = pick_one_per_function([m for _, m in candidates], rng)
    # Same-named functions in different files are one group above; split them back by file.
    queues = [
        [m for m in group if by_site[id(m)] == rel]
        for group in groups
        for rel in sorted({by_site[id(m)] for m in group})
    ]

    kept: list[Candidate] = []
    while len(kept) < config.max_tasks and any(queues):
        for queue in queues:  # one pass: at most one kept mutation per function
            for _ in range(config.tries_per_function):
                if not queue or len(kept) >= config.max_tasks:
                    break
                mutation = queue.pop(0)
                rel = by_site[id(mutation)]
                where = f"{rel}:{mutation.line} {mutation.function} {mutation.kind} ({mutation.description})"
                target = workdir / rel
                target.write_text(mutation.apply(originals[rel]), encoding="utf-8")
                try:
                    result = run_tests(workdir, config.python, timeout)
                finally:
                    target.write_text(originals[rel], encoding="utf-8")
                if result.timed_out:
                    report.note("timeout", f"{where}: tests ran past {timeout:g}s")
                    continue
                missing = [t for t in passing if t not in result.status]
                broken = sorted(t for t in passing if result.status.get(t) in ("FAILED", "ERROR"))
                if missing:
                    report.note("collection_error", f"{where}: {len(missing)} tests not run (import broke)")
                    continue
                if not broken:
                    report.note("survived", f"{where}: no test failed")
                    continue
                kept.append(
                    Candidate(
                        rel,
                        mutation,
                        originals[rel],
                        broken,
                        [t for t in passing if t not in broken],
                        result.output,
                    )
                )
                report.note("kept", f"{where}: breaks {len(broken)} test(s)")
                break
            queues = [q for q in queues if q]
    return kept


def _git(git_dir: Path, *args: str, index: Path | None = None, work_tree: Path | None = None) -> str:
    env = {**os.environ, **GIT_IDENTITY}
    if index is not None:
        env["GIT_INDEX_FILE"] = str(index)
    command = (
        ["git", f"--git-dir={git_dir}"] + ([f"--work-tree={work_tree}"] if work_tree else []) + list(args)
    )
    return subprocess.run(command, env=env, check=True, capture_output=True, text=True).stdout


def _commit_original(git_dir: Path, workdir: Path, files: list[str], index: Path, repo: str) -> str:
    """Commit ``files`` of ``workdir`` as branch ``main`` of ``git_dir``; returns their tree."""
    _git(git_dir, "add", "-f", "--", *files, index=index, work_tree=workdir)
    original_tree = _git(git_dir, "write-tree", index=index).strip()
    original = _git(git_dir, "commit-tree", original_tree, "-m", f"{repo}: original snapshot").strip()
    _git(git_dir, "update-ref", "refs/heads/main", original)
    return original_tree


def _commit_task_snapshot(
    git_dir: Path, workdir: Path, paths: list[str], index: Path, original_tree: str, repo: str
) -> tuple[str, str]:
    """(tree, commit) of the original tree with ``paths`` as they now are in ``workdir``: a root
    commit (no parent), so nothing reachable from it holds the fix."""
    _git(git_dir, "read-tree", original_tree, index=index)
    _git(git_dir, "add", "-f", "--", *paths, index=index, work_tree=workdir)
    tree = _git(git_dir, "write-tree", index=index).strip()
    return tree, _git(git_dir, "commit-tree", tree, "-m", f"{repo}: snapshot").strip()


def write_task_repository(
    workdir: Path, files: list[str], repos_out: Path, repo: str, kept: list[Candidate], rng: random.Random
) -> list[dict]:
    """Step 3: the bare task repository and one SWE-bench record per kept mutation."""
    git_dir = repos_out / repo.replace("/", "__")
    if not git_dir.exists():
        git_dir.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(git_dir)], check=True)
    records = []
    with tempfile.TemporaryDirectory(prefix="srl-synth-index-") as scratch:
        index = Path(scratch) / "index"
        original_tree = _commit_original(git_dir, workdir, files, index, repo)
        for candidate in kept:
            instance_id = _instance_id(repo, candidate.path, candidate.mutation)
            buggy = candidate.mutation.apply(candidate.original)
            target = workdir / candidate.path
            target.write_text(buggy, encoding="utf-8")
            try:
                tree, base = _commit_task_snapshot(
                    git_dir, workdir, [candidate.path], index, original_tree, repo
                )
            finally:
                target.write_text(candidate.original, encoding="utf-8")
            _git(git_dir, "update-ref", f"refs/heads/task/{instance_id}", base)
            patch = _git(
                git_dir, "diff", "--no-color", "--no-ext-diff", tree, original_tree, "--", candidate.path
            )
            records.append(
                {
                    "instance_id": instance_id,
                    "repo": repo,
                    "base_commit": base,
                    "patch": patch,
                    "test_patch": "",
                    "problem_statement": write_problem_statement(
                        candidate.output, candidate.failing, rng, workdir
                    ),
                    "hints_text": "",
                    "created_at": "2025-01-01T00:00:00Z",
                    "version": "0.0",
                    "FAIL_TO_PASS": candidate.failing,
                    "PASS_TO_PASS": candidate.passing,
                    "environment_setup_commit": base,
                    "mutation": {
                        "file": candidate.path,
                        "function": candidate.mutation.function,
                        "kind": candidate.mutation.kind,
                    },
                }
            )
    return records


def rebuild_task_repository(source: Path, records: list[dict], repos_out: Path) -> Path:
    """Write again the task repository ``synthesize`` made for ``records`` (all of one repo), from the
    original source tree and the records alone: each base commit is the original with its fix
    reversed. Commit ids are deterministic, so every one must come out equal to the record's
    ``base_commit``; a difference (the source tree changed) is a SynthesisError naming the instance."""
    repo = records[0]["repo"]
    git_dir = repos_out / repo.replace("/", "__")
    if git_dir.exists():
        shutil.rmtree(git_dir)
    git_dir.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(git_dir)], check=True)
    files = source_files(source)
    with tempfile.TemporaryDirectory(prefix="srl-task-repo-") as scratch:
        workdir, index = Path(scratch) / "repo", Path(scratch) / "index"
        for rel in files:
            (workdir / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source / rel, workdir / rel)
        original_tree = _commit_original(git_dir, workdir, files, index, repo)
        for record in records:
            touched = patched_files(record["patch"])
            saved = {rel: (workdir / rel).read_bytes() for rel in touched}
            reverse = subprocess.run(
                ["git", "apply", "-R", "-"],
                cwd=workdir,
                input=record["patch"],
                capture_output=True,
                text=True,
            )
            try:
                if reverse.returncode != 0:
                    raise SynthesisError(
                        f"{record['instance_id']}: its patch does not reverse onto {source}: "
                        f"{reverse.stderr.strip()[:200]}"
                    )
                _, base = _commit_task_snapshot(git_dir, workdir, touched, index, original_tree, repo)
            finally:
                for rel, content in saved.items():
                    (workdir / rel).write_bytes(content)
            if base != record["base_commit"]:
                raise SynthesisError(
                    f"{record['instance_id']}: rebuilt base commit {base[:12]} differs from the record's "
                    f"{record['base_commit'][:12]}; the source tree {source} is not the one it was made from"
                )
            _git(git_dir, "update-ref", f"refs/heads/task/{record['instance_id']}", base)
    return git_dir


def verify_instance(client, instance, image_config, timeout: int = 300) -> str:
    """Step 4: '' when the instance checks out in Docker, else the reason it does not.

    Both checks go through the one grader (env.grading), each in a fresh container: with no patch
    every FAIL_TO_PASS test fails and every PASS_TO_PASS test passes; with the fix it is resolved.
    """
    from env.grading import grade
    from env.images import ensure_instance_image

    image = ensure_instance_image(client, instance, image_config)
    before = grade(client, image, instance, "", timeout=timeout)
    if before.error:
        return f"at the base commit: {before.error}"
    if not before.report.get("patch_successfully_applied"):
        return "the tests produce no verdicts at the base commit (does the test patch apply?)"
    still_passing = [t for t, ok in before.fail_to_pass.items() if ok]
    if still_passing:
        return f"FAIL_TO_PASS test passes at the base commit: {still_passing[0]}"
    if not all(before.pass_to_pass.values()):
        broken = next(t for t, ok in before.pass_to_pass.items() if not ok)
        return f"PASS_TO_PASS test fails at the base commit: {broken}"
    after = grade(client, image, instance, instance.patch, timeout=timeout)
    if after.error:
        return f"with the fix: {after.error}"
    if not after.patch_applied:
        return "the fix does not apply"
    if not after.resolved:
        failed = [t for t, ok in {**after.fail_to_pass, **after.pass_to_pass}.items() if not ok]
        return f"with the fix, {len(failed)} test(s) still fail (first: {failed[0] if failed else '?'})"
    return ""


def synthesize(config: SynthesisConfig, client=None, report: SynthesisReport | None = None) -> list[dict]:
    """Run the whole pipeline; returns the instance records that passed every stage."""
    from env.images import ImageConfig
    from env.instances import instance_from_record

    report = report or SynthesisReport()
    root = Path(config.repo)
    if not root.is_dir():
        raise SynthesisError(f"--repo {config.repo} is not a directory")
    repo = repo_name_for(root, config.repo_name)
    repos_out = Path(config.repos_out or Path(config.out).resolve().parent / "repos")
    rng = random.Random(config.seed)
    with tempfile.TemporaryDirectory(prefix="srl-synth-") as scratch:
        workdir = Path(scratch) / "repo"
        files = source_files(root)
        if not files:
            raise SynthesisError(f"{root} holds no files")
        for rel in files:
            (workdir / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(root / rel, workdir / rel)
        kept = find_breaking_mutations(root, workdir, config, report)
        records = write_task_repository(workdir, files, repos_out, repo, kept, rng)
    if not config.verify:
        return records
    image_config = ImageConfig(repos=str(repos_out))
    verified = []
    for record in records:
        instance = instance_from_record(record)
        reason = verify_instance(client, instance, image_config)
        if reason:
            report.note("unverified", f"{instance.instance_id}: {reason}")
        else:
            report.note("verified", f"{instance.instance_id}: F2P fail at base, all pass with the fix")
            verified.append(record)
    return verified
