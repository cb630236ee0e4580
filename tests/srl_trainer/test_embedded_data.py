"""The committed embedded data is exactly what its rebuild commands produce."""

from __future__ import annotations

import json
import subprocess
import sys

from agent.formats import read_trajectories
from srl_trainer.data.tokenizer_build import build_tokenizer, training_texts
from tests.conftest import REPO


def test_sample_rebuild_reproduces_committed_files(tmp_path):
    script = (REPO / "data" / "sample" / "build_sample.py").read_text()
    copy = tmp_path / "build_sample.py"
    copy.write_text(script)  # writes next to itself, so run a copy in tmp_path
    subprocess.run([sys.executable, str(copy)], check=True, cwd=tmp_path)
    for name in ("trajectories.json", "math.jsonl"):
        assert (tmp_path / name).read_bytes() == (REPO / "data" / "sample" / name).read_bytes(), name


def test_tokenizer_rebuild_reproduces_committed_vocabulary(tmp_path):
    build_tokenizer(training_texts()).save_pretrained(str(tmp_path))
    rebuilt = json.loads((tmp_path / "tokenizer.json").read_text())
    committed = json.loads((REPO / "data" / "tokenizer" / "tokenizer.json").read_text())
    assert rebuilt["model"]["vocab"] == committed["model"]["vocab"]
    assert rebuilt["model"]["merges"] == committed["model"]["merges"]


def test_embedded_sample_reads_as_resolved_trajectories():
    result = read_trajectories(str(REPO / "data" / "sample" / "trajectories.json"))
    assert result.kept == 3 and not result.skipped
    assert sum(len(t.steps) for t in result.trajectories) == 17
    assert all(t.resolved for t in result.trajectories)
