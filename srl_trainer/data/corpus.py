"""The embedded SWE corpus in ``data/corpus``: its files, and the task repositories its instances need.

The corpus ships instances and trajectories, not git repositories: the repositories are rebuilt on
first use from ``data/repos`` (deterministic builder) and the instances' patches, into a cache
folder keyed by the instances file, and every rebuilt base commit is checked against the record
(:func:`srl_trainer.workflows.synthesis.tasks.rebuild_task_repository`).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import shutil
import tempfile
from collections import defaultdict
from pathlib import Path

from srl_trainer.data.embedded import SPLITS, cache_root, data_dir, instances_file


def _build_repos_module():
    """``data/repos/build_repos.py`` (a script beside the trees it builds, not a package)."""
    path = data_dir() / "repos" / "build_repos.py"
    spec = importlib.util.spec_from_file_location("srl_build_repos", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def materialize_task_repos(instances_paths: list[Path], out: Path) -> Path:
    """Write into ``out`` one bare task repository per repository the instances name."""
    from srl_trainer.workflows.synthesis.tasks import rebuild_task_repository

    by_repo: dict[str, list[dict]] = defaultdict(list)
    for path in instances_paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                record = json.loads(line)
                by_repo[record["repo"]].append(record)
    builder = _build_repos_module()
    with tempfile.TemporaryDirectory(prefix="srl-corpus-src-") as scratch:
        for repo, records in sorted(by_repo.items()):
            tree = builder.HERE / repo.replace("/", "__")
            if not tree.is_dir():
                raise FileNotFoundError(f"{repo}: no source tree {tree} to rebuild its task repository from")
            builder.build_repo(tree, Path(scratch))
            rebuild_task_repository(Path(scratch) / tree.name, records, out)
    return out


def task_repos_dir(instances_paths: list[Path] | None = None) -> Path:
    """The folder of task repositories (``--repos``) for the embedded corpus, rebuilt once and cached."""
    paths = instances_paths or [instances_file(split) for split in SPLITS]
    key = hashlib.sha256(b"".join(p.read_bytes() for p in paths)).hexdigest()[:16]
    target = cache_root() / "task-repos" / key
    if target.is_dir():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(prefix=f"{key}.partial-", dir=target.parent))
    try:
        materialize_task_repos(paths, partial)
        try:
            partial.rename(target)
        except OSError:  # another process finished first; its copy is the same
            shutil.rmtree(partial, ignore_errors=True)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return target


def with_corpus_defaults(instances: str, repos: str, split: str) -> tuple[str, str]:
    """(instances, repos) with the embedded corpus filled in where no instances were given."""
    if instances:
        return instances, repos
    return str(instances_file(split)), repos or str(task_repos_dir())
