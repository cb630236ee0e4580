"""solve's vLLM backend: one clear line without vllm; with vllm, the same contract as transformers."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest

from srl_trainer.cli.solve import VLLM_MISSING, SolveConfig, _completer
from tests.conftest import REPO

HAS_VLLM = importlib.util.find_spec("vllm") is not None


@pytest.mark.skipif(HAS_VLLM, reason="vllm is installed here; the missing-vllm message cannot show")
def test_vllm_backend_without_vllm_is_one_line_and_exit_1(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "srl_trainer.swe", "solve", "--backend", "vllm", "--model", "unused"]
        # the embedded held-out instances: in every checkout (../shared may be absent)
        + ["--instances", str(REPO / "data" / "corpus" / "instances.heldout.jsonl")]
        + ["--out", str(tmp_path / "p.jsonl")],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 1
    assert result.stderr.strip() == f"error: {VLLM_MISSING}"
    assert not (tmp_path / "p.jsonl").exists()  # stopped before any container or prediction


@pytest.mark.skipif(not HAS_VLLM, reason="needs vllm (pip install vllm; a CUDA GPU) to run vllm.LLM")
def test_vllm_backend_replies_like_the_transformers_backend(tmp_path):
    """The same chat-formatted messages and limit; greedy at temperature 0, so a reply repeats (the
    two backends' texts are not compared: vLLM may run the float32 checkpoint in half precision)."""
    from transformers import AutoTokenizer

    from srl_trainer.models import build_tiny_model

    model = str(build_tiny_model(tmp_path / "tiny"))
    messages = [{"role": "system", "content": "You fix bugs."}, {"role": "user", "content": "Fix calc.add."}]
    complete = _completer(SolveConfig(model=model, backend="vllm", max_new_tokens=8))
    reply = complete(messages)
    assert isinstance(reply, str) and reply == complete(messages)
    assert len(AutoTokenizer.from_pretrained(model)(reply, add_special_tokens=False)["input_ids"]) <= 8
