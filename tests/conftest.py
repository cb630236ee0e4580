"""Shared test fixtures: where the real sample data lives, and the embedded tokenizer."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SAMPLES = SHARED / "samples"
MATH_BENCHMARKS = SHARED / "benchmarks" / "math"


@pytest.fixture(scope="session", autouse=True)
def base_cache():
    """The embedded defaults' mid-trained bases, built once per checkout (not in the user's cache):
    every test that trains without --model starts from them, as `train` does."""
    folder = REPO / ".pytest_cache" / "srl-trainer"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SRL_TRAINER_CACHE", str(folder))
        yield folder


@pytest.fixture(scope="session")
def samples() -> Path:
    """The real public trajectory samples (../shared/samples beside the checkout)."""
    if not SAMPLES.is_dir():
        pytest.skip(f"real samples not found at {SAMPLES} (they live beside the checkout in ../shared)")
    return SAMPLES


@pytest.fixture(scope="session")
def tokenizer():
    """The embedded tokenizer, loaded the way a hub tokenizer is."""
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(REPO / "data" / "tokenizer"))
