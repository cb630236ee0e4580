"""The embedded default's base model: mid-trained once from a preset file, then cached.

With no ``--model``, ``train`` starts from the mid-trained base that the domain's embedded preset
names (``embedded_base: configs/train/embedded-swe-base.yaml``), as the paper's recipe starts RL from a
mid-trained model (OctoThinker). The base is the output of one documented command::

    python -m srl_trainer.swe train --config configs/train/embedded-swe-base.yaml --out DIR

which :func:`ensure_base` runs on first use (in a child process, so a distributed launch's environment
does not reach it) and keeps under the cache folder, keyed by a digest of what decides its weights:
the recipe file, the embedded data and tokenizer, and the code that builds and mid-trains the model.
Change any of them and the next run builds a new base; nothing is ever trained twice for one key.
Several processes (a multi-process launch, two runs at once) take a file lock: one builds, the others
wait and then read the same weights.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from srl_trainer.data.embedded import cache_root
from srl_trainer.errors import CliError
from srl_trainer.training.config import process_rank

REPO = Path(__file__).resolve().parents[2]
# What a base's weights depend on beside its recipe file (paths under the repository).
CODE_FILES = ("srl_trainer/models.py", "srl_trainer/training/midtrain.py", "srl_trainer/data/stepwise.py")
# A launcher's variables: the build is one plain process whatever launched the run that needs it.
LAUNCH_VARIABLES = ("RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT")


def recipe_path(recipe: str) -> Path:
    """A recipe named relative to the working folder, else to the repository (presets are files there)."""
    path = Path(recipe)
    if not path.is_absolute() and not path.exists() and (REPO / path).exists():
        path = REPO / path
    if not path.is_file():
        raise CliError(f"embedded_base: no such recipe file {recipe} (a midtrain preset; '' for no base)")
    return path


def base_key(recipe: Path) -> str:
    """Digest of the recipe, the embedded data (corpus, math, chains, tokenizer) and the building code."""
    from srl_trainer.data.embedded import data_dir

    digest = hashlib.sha256(recipe.read_bytes())
    files = sorted(p for p in data_dir().rglob("*") if p.is_file())
    files += [REPO / name for name in CODE_FILES]
    for path in files:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def ensure_base(recipe: str) -> Path:
    """The mid-trained base of ``recipe`` (its ``final/`` folder), built now if not cached yet."""
    path = recipe_path(recipe)
    home = cache_root() / "bases" / f"{path.stem}-{base_key(path)}"
    final = home / "final"
    if (final / "config.json").exists():
        if process_rank() == 0:  # one line per run, not per process
            print(f"base     the mid-trained base of {_shown(path)}, cached: {final}", flush=True)
        return final
    home.parent.mkdir(parents=True, exist_ok=True)
    with open(home.parent / f"{home.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another process may be building this very base
        if not (final / "config.json").exists():
            _build(path, home)
    return final


def _build(recipe: Path, home: Path) -> None:
    building = home.with_name(home.name + ".building")
    shutil.rmtree(building, ignore_errors=True)  # a build killed earlier
    print(
        f"base     no cached base for {_shown(recipe)}: mid-training it once (the embedded presets: "
        f"1-1.5 min on 2 CPU cores), cached in {home}",
        flush=True,
    )
    command = [sys.executable, "-m", "srl_trainer.swe", "train", "--config", str(recipe)]
    command += ["--out", str(building)]
    launch = [k for k in os.environ if k in LAUNCH_VARIABLES or k.startswith("ACCELERATE_")]
    env = {k: v for k, v in os.environ.items() if k not in launch}
    started = time.time()
    try:
        done = subprocess.run(command, env=env, cwd=REPO, check=False)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    if done.returncode != 0 or not (building / "final" / "config.json").exists():
        shutil.rmtree(building, ignore_errors=True)
        raise CliError(
            f"building the base from {_shown(recipe)} failed (exit {done.returncode}); run "
            f"`python -m srl_trainer.swe train --config {_shown(recipe)} --out DIR` to see why"
        )
    building.rename(home)
    print(f"base     built in {time.time() - started:.0f} s: {home / 'final'}", flush=True)


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(REPO))
    except ValueError:
        return str(path)
