"""The committed SWE corpus (data/corpus): its counts, its splits, its card, and that it becomes step data.

The Docker checks (a rebuilt slice equals the committed records; trajectories replay) are in
tests/env/test_corpus_rebuild.py.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from agent.formats import read_trajectories
from tests.conftest import REPO

CORPUS = REPO / "data" / "corpus"
MANIFEST = REPO / "data" / "repos" / "manifest.json"


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def corpus() -> dict:
    found = {}
    for split in ("train", "heldout"):
        found[f"instances.{split}"] = read_jsonl(CORPUS / f"instances.{split}.jsonl")
        found[f"trajectories.{split}"] = read_trajectories(
            str(CORPUS / f"trajectories.{split}.jsonl"), "openhands_native"
        )
    found["card"] = json.loads((CORPUS / "corpus_card.json").read_text(encoding="utf-8"))
    return found


def test_training_split_has_300_instances_with_3000_resolved_expert_steps(corpus):
    instances = corpus["instances.train"]
    trajectories = corpus["trajectories.train"].trajectories
    with_trajectory = {t.instance_id for t in trajectories}
    assert len(with_trajectory) >= 300
    assert with_trajectory <= {r["instance_id"] for r in instances}
    assert sum(len(t.steps) for t in trajectories) >= 3000
    assert all(t.resolved for t in trajectories)
    assert not corpus["trajectories.train"].skipped, "every committed record must be readable"


def test_heldout_instances_come_only_from_repositories_training_never_touches(corpus):
    splits = {e["name"].replace("__", "/", 1): e["split"] for e in json.loads(MANIFEST.read_text())}
    train_repos = {r["repo"] for r in corpus["instances.train"]}
    heldout_repos = {r["repo"] for r in corpus["instances.heldout"]}
    assert {splits[r] for r in train_repos} == {"train"}
    assert heldout_repos == {r for r, s in splits.items() if s == "heldout"}
    assert len(heldout_repos) >= 2
    trained_on = {t.instance_id for t in corpus["trajectories.train"].trajectories}
    assert not trained_on & {r["instance_id"] for r in corpus["instances.heldout"]}
    # The problem statements never give the fix away: no line of a patch's added code is quoted.
    for record in corpus["instances.train"] + corpus["instances.heldout"]:
        added = [line[1:].strip() for line in record["patch"].splitlines() if line.startswith("+ ")]
        quoted = [a for a in added if len(a) > 12 and a in record["problem_statement"]]
        assert not quoted, record["instance_id"]


def test_instances_are_swebench_records_with_failing_and_passing_tests(corpus):
    for record in corpus["instances.train"] + corpus["instances.heldout"]:
        assert record["FAIL_TO_PASS"] and record["PASS_TO_PASS"]
        assert not set(record["FAIL_TO_PASS"]) & set(record["PASS_TO_PASS"])
        assert record["patch"].startswith("diff --git a/")
        assert len(record["base_commit"]) == 40


def test_corpus_card_counts_are_the_files_counts(corpus):
    for split in ("train", "heldout"):
        numbers = corpus["card"]["splits"][split]
        trajectories = corpus[f"trajectories.{split}"].trajectories
        assert numbers["instances"] == len(corpus[f"instances.{split}"])
        assert numbers["trajectories"] == len(trajectories)
        assert numbers["steps"] == sum(len(t.steps) for t in trajectories)
        histogram = Counter(len(t.steps) for t in trajectories)
        assert numbers["steps_histogram"] == {str(k): histogram[k] for k in sorted(histogram)}
    assert corpus["card"]["splits"]["train"]["distinct_first_actions"] >= 20


def test_data_card_states_the_corpus_counts(corpus):
    card = (REPO / "data" / "README.md").read_text(encoding="utf-8")
    for split, numbers in corpus["card"]["splits"].items():
        row = (
            f"| {split} | {len(numbers['repositories'])} | {numbers['instances']} | "
            f"{numbers['trajectories']} | {numbers['steps']:,} |"
        )
        assert row in card, row


def test_task_repositories_rebuild_with_the_recorded_base_commits(tmp_path, corpus):
    from srl_trainer.data.corpus import materialize_task_repos

    paths = [CORPUS / "instances.train.jsonl", CORPUS / "instances.heldout.jsonl"]
    out = materialize_task_repos(paths, tmp_path / "repos")  # raises on any differing commit
    assert sorted(p.name for p in out.iterdir()) == sorted(
        {r["repo"].replace("/", "__") for r in corpus["instances.train"] + corpus["instances.heldout"]}
    )


def test_prepare_turns_the_corpus_into_step_data(tmp_path, corpus):
    from srl_trainer.swe import main

    out = tmp_path / "steps"
    assert main(["prepare", "--out", str(out)]) == 0  # no --trajectories: the corpus is the default
    summary = json.loads((out / "summary.json").read_text())
    steps = sum(len(t.steps) for t in corpus["trajectories.train"].trajectories)
    assert summary["examples"] == steps
    assert summary["source"].endswith("trajectories.train.jsonl")
