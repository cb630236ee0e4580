"""Where the embedded defaults live: the sample data and the tokenizer shipped in ``data/``.

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
    return data_dir() / "sample" / "trajectories.json"


def default_math_records() -> Path:
    return data_dir() / "sample" / "math.jsonl"


def default_tokenizer_dir() -> Path:
    return data_dir() / "tokenizer"
