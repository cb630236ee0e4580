"""Where the embedded defaults live: the corpus, the math step data and the tokenizer in ``data/``.

In a source checkout that is ``<repo>/data``; an installed copy (the Docker image) points
``SRL_TRAINER_DATA`` at wherever ``data/`` was copied.
"""

from __future__ import annotations

import os
from pathlib import Path

SPLITS = ("train", "heldout")


def data_dir() -> Path:
    override = os.environ.get("SRL_TRAINER_DATA")
    return Path(override) if override else Path(__file__).resolve().parents[2] / "data"


def default_expert_data(domain: str, split: str = "train") -> Path:
    """The embedded expert data of ``domain``, split ``train`` or ``heldout``: the SWE corpus's
    trajectories (``data/corpus``; held out: repositories training never touches) or the generated
    math step records (``data/math``; held out: its validation split)."""
    if domain == "swe":
        return trajectories_file(split)
    return data_dir() / "math" / ("train.jsonl" if split == "train" else "validation.jsonl")


def corpus_dir() -> Path:
    return data_dir() / "corpus"


def instances_file(split: str = "train") -> Path:
    return corpus_dir() / f"instances.{split}.jsonl"


def trajectories_file(split: str = "train") -> Path:
    return corpus_dir() / f"trajectories.{split}.jsonl"


def cache_root() -> Path:
    """The project's one cache folder (embedded bases, task repositories, converted packaged models):
    ``$SRL_TRAINER_CACHE``, else ``$XDG_CACHE_HOME/srl-trainer``, else ``~/.cache/srl-trainer``."""
    if os.environ.get("SRL_TRAINER_CACHE"):
        return Path(os.environ["SRL_TRAINER_CACHE"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "srl-trainer"


def default_tokenizer_dir() -> Path:
    return data_dir() / "tokenizer"
