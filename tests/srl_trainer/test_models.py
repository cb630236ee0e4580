"""Loading a model honours ModelConfig's --dtype and --attn_implementation (they parse as train flags)."""

from __future__ import annotations

import torch

from srl_trainer.models import build_tiny_model, load_model


def test_load_model_uses_the_requested_dtype_and_attention_implementation(tmp_path):
    path = str(build_tiny_model(tmp_path / "tiny", hidden_size=32, layers=1))
    model, _ = load_model(path, dtype="bfloat16", attn_implementation="eager")
    assert {p.dtype for p in model.parameters()} == {torch.bfloat16}
    assert model.config._attn_implementation == "eager"
    model, _ = load_model(path)
    assert {p.dtype for p in model.parameters()} == {torch.float32}
