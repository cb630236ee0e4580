"""The embedded corpus on a real Docker engine: a rebuilt slice equals the committed records, and the
committed trajectories replay through `replay` (the defaults: no flags name the corpus)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.docker

CORPUS = REPO / "data" / "corpus"
SLICE_REPO = "srl-corpus__inikit"
SLICE_TASKS = 2
# pytest prints its wall-clock run time ("7 passed in 0.13s"): the one part of an observation that
# differs from run to run. Everything else must be byte-for-byte the same.
DURATION = re.compile(r"in \d+\.\d+s\b")


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def without_durations(record: dict) -> str:
    return DURATION.sub("in <t>s", json.dumps(record, sort_keys=True, ensure_ascii=False))


def test_rebuilding_a_slice_reproduces_the_committed_records_exactly(tmp_path, docker_client, base_image):
    work = tmp_path / "work"
    command = [
        sys.executable, str(CORPUS / "build_corpus.py"), "--work", str(work), "--only", SLICE_REPO,
        "--tasks", str(SLICE_TASKS), "--no-merge",
    ]  # fmt: skip
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]

    rebuilt = read_jsonl(work / f"{SLICE_REPO}.instances.jsonl")
    committed = [r for r in read_jsonl(CORPUS / "instances.train.jsonl") if r["repo"] == "srl-corpus/inikit"]
    assert len(rebuilt) == SLICE_TASKS
    # Synthesis keeps mutations in a fixed order, so a smaller run is a prefix of the full one.
    assert rebuilt == committed[:SLICE_TASKS]

    ids = {r["instance_id"] for r in rebuilt}
    rebuilt_trajectories = read_jsonl(work / f"{SLICE_REPO}.trajectories.jsonl")
    committed_trajectories = [
        r for r in read_jsonl(CORPUS / "trajectories.train.jsonl") if r["instance_id"] in ids
    ]
    assert rebuilt_trajectories, "the slice produced no trajectory"
    assert [without_durations(r) for r in rebuilt_trajectories] == [
        without_durations(r) for r in committed_trajectories
    ]


def test_corpus_trajectories_replay_step_by_step_and_end_resolved(tmp_path, docker_client, base_image):
    from srl_trainer.swe import main

    out = tmp_path / "replay"
    # No --trajectories/--instances/--repos: the corpus and its rebuilt task repositories are the default.
    assert main(["replay", "--limit", "3", "--out", str(out)]) == 0
    reports = read_jsonl(out / "report.jsonl")
    assert len(reports) == 3
    for report in reports:
        assert not report["error"], report
        assert report["first_divergent_step"] is None, report
        assert report["fail_to_pass_passed"] and report["pass_to_pass_passed"], report
