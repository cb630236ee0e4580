"""Build the embedded SWE corpus: verified bug-fix instances and resolved expert trajectories.

    python data/corpus/build_corpus.py [--work DIR] [--jobs 2] [--only NAME ...]

For every task repository in ``data/repos/manifest.json`` it runs the project's own tools, the same
commands a user runs on their code:

1. ``data/repos/build_repos.py`` builds the repository (fixed commit hash);
2. ``python -m srl_trainer.swe synthesize`` mutates it into SWE-bench-format instances, each verified
   in a Docker sandbox (FAIL_TO_PASS fail at the base commit, everything passes with the fix);
3. ``python -m srl_trainer.swe collect --policy scripted`` records expert trajectories on them and
   keeps only those whose final patch resolves the instance.

The per-repository results stay in ``--work`` (a run that stops is resumed: finished stages are
skipped), then everything is merged into this folder: ``instances.<split>.jsonl`` and
``trajectories.<split>.jsonl`` (SWE-Gym native tool calls) for the ``train`` and ``heldout`` splits,
and ``corpus_card.json`` (counts and the diversity report). Seeds are fixed, so a rebuild writes the
same records; pytest's wall-clock durations in observations (``in 0.12s``) are the one exception.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "data" / "repos"))

import build_repos  # noqa: E402  (the sibling builder script)


@dataclass(frozen=True)
class SplitPlan:
    """How much each repository of a split contributes."""

    tasks_per_repo: int
    episodes_per_instance: int


PLANS = {"train": SplitPlan(tasks_per_repo=50, episodes_per_instance=1), "heldout": SplitPlan(20, 1)}
# The first two repositories were given more tasks and a second scripted episode per task (another
# seed: other searches, reads and checks on the same bug); the rest one, to bound the build time.
# The last two were cut to 41 tasks, again for build time (300 training instances in all).
REPO_PLANS = {
    "srl-corpus__inikit": SplitPlan(tasks_per_repo=60, episodes_per_instance=2),
    "srl-corpus__ledger": SplitPlan(tasks_per_repo=60, episodes_per_instance=2),
    "srl-corpus__pathgraph": SplitPlan(tasks_per_repo=41, episodes_per_instance=1),
    "srl-corpus__stockroom": SplitPlan(tasks_per_repo=41, episodes_per_instance=1),
}
SEED = 0


def plan_for(entry: dict) -> SplitPlan:
    return REPO_PLANS.get(entry["name"], PLANS[entry["split"]])


def manifest() -> list[dict]:
    return json.loads(build_repos.MANIFEST.read_text(encoding="utf-8"))


def swe(*args: str, log: Path) -> None:
    """Run one ``srl_trainer.swe`` command, its output appended to ``log``; raise when it fails."""
    with log.open("a", encoding="utf-8") as stream:
        stream.write(f"$ srl_trainer.swe {' '.join(args)}\n")
        stream.flush()
        code = subprocess.run(
            [sys.executable, "-m", "srl_trainer.swe", *args],
            cwd=ROOT,
            stdout=stream,
            stderr=subprocess.STDOUT,
        ).returncode
    if code != 0:
        raise RuntimeError(f"srl_trainer.swe {args[0]} failed (exit {code}); see {log}")


def build_one(entry: dict, work: Path, tasks: int | None = None) -> str:
    """Synthesize and collect for one repository; returns a one-line summary."""
    name, plan = entry["name"], plan_for(entry)
    tasks = tasks or plan.tasks_per_repo
    started = time.monotonic()
    log = work / f"{name}.log"
    instances = work / f"{name}.instances.jsonl"
    trajectories = work / f"{name}.trajectories.jsonl"
    if not instances.exists():
        src = work / "src"
        src.mkdir(parents=True, exist_ok=True)
        build_repos.build_repo(build_repos.HERE / name, src)
        partial = instances.with_suffix(".partial")
        swe(
            "synthesize", "--repo", str(src / name), "--max-tasks", str(tasks), "--seed", str(SEED),
            "--out", str(partial), "--repos-out", str(work / "repos"), log=log,
        )  # fmt: skip
        partial.rename(instances)
    if not trajectories.exists():
        partial = trajectories.with_suffix(".partial")
        swe(
            "collect", "--instances", str(instances), "--policy", "scripted", "--seed", str(SEED),
            "--episodes-per-instance", str(plan.episodes_per_instance), "--repos", str(work / "repos"),
            "--out", str(partial), *(["--resume"] if partial.exists() else []), log=log,
        )  # fmt: skip
        partial.rename(trajectories)
        partial.with_name(partial.name + ".progress").unlink(missing_ok=True)
        diversity = work / f"{name}.trajectories.partial.diversity.json"
        if diversity.exists():
            diversity.rename(work / f"{name}.trajectories.diversity.json")
    count = sum(1 for _ in instances.open())
    kept = sum(1 for _ in trajectories.open())
    return f"{name}: {count} instances, {kept} trajectories ({time.monotonic() - started:.0f}s)"


def merge(entries: list[dict], work: Path, out: Path) -> dict:
    """Write the split files and the card; returns the card."""
    from srl_trainer.workflows.collection.episodes import diversity_report, resolved_episodes

    card: dict = {
        "seed": SEED,
        "plans": {e["name"]: vars(plan_for(e)) for e in entries},
        "splits": {},
    }
    for split in PLANS:
        # A repository whose synthesis has not finished is left out; one whose collection has not
        # finished contributes the episodes written so far and is listed as incomplete.
        names = [
            e["name"]
            for e in entries
            if e["split"] == split and (work / f"{e['name']}.instances.jsonl").exists()
        ]
        instance_lines, trajectory_lines, incomplete = [], [], []
        for name in names:
            instance_lines += (work / f"{name}.instances.jsonl").read_text(encoding="utf-8").splitlines()
            done = work / f"{name}.trajectories.jsonl"
            partial = done.with_suffix(".partial")
            if not done.exists():
                incomplete.append(name)
            source = done if done.exists() else partial
            if source.exists():
                trajectory_lines += source.read_text(encoding="utf-8").splitlines()
        (out / f"instances.{split}.jsonl").write_text("".join(f"{x}\n" for x in instance_lines), "utf-8")
        path = out / f"trajectories.{split}.jsonl"
        path.write_text("".join(f"{x}\n" for x in trajectory_lines), "utf-8")
        episodes = resolved_episodes(path)
        report = diversity_report(episodes)
        report["command_shapes_top"] = dict(list(report.pop("command_shapes").items())[:25])
        card["splits"][split] = {
            "repositories": names,
            "collection_incomplete": incomplete,
            "not_built": [e["name"] for e in entries if e["split"] == split and e["name"] not in names],
            "instances": len(instance_lines),
            "instances_with_trajectory": len({e.instance_id for e in episodes}),
            **report,
        }
    (out / "corpus_card.json").write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    return card


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=Path("corpus-work"), help="folder for per-repo results")
    parser.add_argument("--out", type=Path, default=HERE, help="where the merged corpus is written")
    parser.add_argument("--jobs", type=int, default=2, help="repositories built in parallel")
    parser.add_argument("--only", nargs="*", default=None, help="build only these owner__name repositories")
    parser.add_argument("--tasks", type=int, default=None, help="override tasks per repository (a slice)")
    parser.add_argument("--no-merge", action="store_true", help="leave the results in --work only")
    parser.add_argument(
        "--merge-only",
        action="store_true",
        help="merge what --work holds now (finished or not), build nothing",
    )
    args = parser.parse_args(argv)
    entries = manifest()
    if args.only:
        entries = [e for e in entries if e["name"] in args.only]
        if not entries:
            parser.error(f"none of {args.only} is in {build_repos.MANIFEST}")
    args.work.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        if not args.merge_only:
            for line in pool.map(lambda e: build_one(e, args.work, args.tasks), entries):
                print(line, flush=True)
    if not args.no_merge:
        card = merge(entries, args.work, args.out)
        for split, numbers in card["splits"].items():
            print(
                f"{split}: {numbers['instances']} instances, {numbers['trajectories']} trajectories, "
                f"{numbers['steps']} steps"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
