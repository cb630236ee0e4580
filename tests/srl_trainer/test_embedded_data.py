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


def test_a_saved_tiny_checkpoint_tokenizes_text_exactly_as_the_embedded_tokenizer(tmp_path):
    """transformers loads any Qwen2 model folder with its own Qwen2Tokenizer, which rebuilds the
    pre-tokenizer; the embedded tokenizer must split text the same way, or mid-training (read through
    data/tokenizer) and every later run (read through the checkpoint) see different tokens."""
    from transformers import AutoTokenizer

    from srl_trainer.models import build_tiny_model

    build_tiny_model(tmp_path / "model", hidden_size=32, layers=1)
    embedded = AutoTokenizer.from_pretrained(str(REPO / "data" / "tokenizer"))
    checkpoint = AutoTokenizer.from_pretrained(str(tmp_path / "model"))
    texts = [
        "1. 12 + 4 = 16, so the answer is \\boxed{16}.",
        (REPO / "agent" / "prompts.py").read_text(),
        "café  naïve\n\n  x = [1, 22, 333]<think>t</think><function=finish>\n</function>",
    ]
    for text in texts:
        assert embedded(text)["input_ids"] == checkpoint(text)["input_ids"]
    assert embedded.tokenize("12") == checkpoint.tokenize("12") == ["1", "2"]
