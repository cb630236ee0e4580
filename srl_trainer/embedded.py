"""Where the embedded defaults live: the corpus, the math step data and the tokenizer in ``data/``.

In a source checkout that is ``<repo>/data``; an installed copy (the Docker image) points
``SRL_TRAINER_DATA`` at wherever ``data/`` was copied.
"""

from __future__ import annotations

import os
from pathlib import Path


def data_dir() -> Path:
    override = os.environ.get("SRL_TRAINER_DATA")
    return Path(override) if override else Path(__file__).resolve().parents[1] / "data"


def default_trajectories() -> Path:
    """The training split of the embedded SWE corpus (``data/corpus``)."""
    return data_dir() / "corpus" / "trajectories.train.jsonl"


def default_heldout_trajectories() -> Path:
    """Expert trajectories on the held-out repositories (never trained on)."""
    return data_dir() / "corpus" / "trajectories.heldout.jsonl"


def default_math_records() -> Path:
    """The training split of the generated math step data (``data/math``)."""
    return data_dir() / "math" / "train.jsonl"


def default_heldout_math_records() -> Path:
    return data_dir() / "math" / "validation.jsonl"


def default_tokenizer_dir() -> Path:
    return data_dir() / "tokenizer"
