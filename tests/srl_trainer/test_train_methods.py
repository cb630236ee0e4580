"""Every `train --method` runs end to end on the embedded corpus (tiny sizes, real TRL)."""

from __future__ import annotations

import json

import pytest

from srl_trainer.swe import main

TINY = ["--sft-epochs", "1", "--max-steps", "1", "--max-completion-length", "12", "--num-generations", "2"]
TINY += ["--prompts-per-step", "2", "--rlvr-prompts-per-step", "2", "--per-device-batch-size", "4"]
TINY += ["--ds-max-rounds", "0", "--max-train-steps", "24", "--max-eval-steps", "6", "--eval-resolve", "0"]


def without_grpo_fields(flags: list[str]) -> list[str]:
    """``flags`` without GRPOConfig's fields, which ``--method sft`` (SFTConfig) refuses."""
    refused = {"--max-completion-length", "--num-generations"}
    kept = [(f, v) for f, v in zip(flags[::2], flags[1::2], strict=True) if f not in refused]
    return [item for pair in kept for item in pair] + ["--eval-max-new-tokens", "12"]


@pytest.mark.parametrize(
    ("method", "domain", "phases"),
    [
        ("sft", "math", ["after_sft"]),
        ("rlvr", "math", ["after_sft", "after_rlvr"]),
        ("srl-rlvr", "math", ["after_sft", "after_srl", "after_rlvr"]),
        ("holistic", "math", ["after_sft", "after_holistic"]),
    ],
)
def test_method_runs_on_the_embedded_corpus(method, domain, phases, tmp_path):
    out = tmp_path / method
    flags = without_grpo_fields(TINY) if method == "sft" else TINY
    assert main(["train", "--method", method, "--domain", domain, "--out", str(out), *flags]) == 0
    summary = json.loads((out / "summary.json").read_text())
    for phase in phases:
        assert summary[phase]["examples"] == summary["held_out_steps"]
    assert (out / "final" / "config.json").exists()
    if method != "sft":
        assert (out / "curves.png").exists()


# rlvr / srl-rlvr on swe (sandboxed rollouts, test reward): tests/srl_trainer/test_swe_rlvr.py
