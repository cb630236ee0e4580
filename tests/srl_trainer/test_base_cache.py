"""The embedded default's mid-trained base: built by its preset on first use, cached, keyed by content."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from srl_trainer.errors import CliError
from srl_trainer.swe import main
from srl_trainer.training.base_cache import base_key, ensure_base, recipe_path
from srl_trainer.training.config import PRESETS_DIR

# A base in seconds: 2 x 32-token sequences per step, a 32-wide model, 4 optimizer steps.
SMALL_RECIPE = {
    "method": "midtrain",
    "domain": "math",
    "tiny_hidden_size": 32,
    "midtrain_seq_len": 32,
    "midtrain_batch_size": 2,
    "midtrain_warmup_steps": 1,
    "midtrain_max_steps": 4,
    "save_steps": 100,
}


def _recipe(folder: Path, **changes) -> Path:
    path = folder / "small-base.yaml"
    path.write_text(yaml.safe_dump({**SMALL_RECIPE, **changes}))
    return path


@pytest.mark.parametrize("domain", ["swe", "math"])
def test_the_embedded_presets_start_from_a_mid_trained_base_of_their_own_domain(domain):
    preset = yaml.safe_load((PRESETS_DIR / f"embedded-{domain}.yaml").read_text())
    recipe = yaml.safe_load(recipe_path(preset["embedded_base"]).read_text())
    assert recipe["method"] == "midtrain" and recipe["domain"] == domain


def test_train_without_a_model_builds_the_base_once_and_then_reads_it_from_the_cache(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv("SRL_TRAINER_CACHE", str(tmp_path / "cache"))
    recipe = _recipe(tmp_path)
    args = ["train", "--method", "sft", "--domain", "math", "--embedded-base", str(recipe)]
    args += ["--sft-max-steps", "1", "--max-train-steps", "8", "--max-eval-steps", "2"]
    assert main([*args, "--out", str(tmp_path / "first")]) == 0
    first = capsys.readouterr().out
    assert "mid-training it once" in first
    assert main([*args, "--out", str(tmp_path / "second")]) == 0
    second = capsys.readouterr().out
    assert "mid-training it once" not in second and "small-base.yaml, cached" in second
    bases = list((tmp_path / "cache" / "bases").glob("small-base-*/final/config.json"))
    assert len(bases) == 1  # one build, no leftover ".building" folder
    for run in ("first", "second"):
        summary = json.loads((tmp_path / run / "summary.json").read_text())
        assert summary["model"] == str(bases[0].parent)
        assert not (tmp_path / run / "base").exists()  # no random tiny model was made
    # the base is the recipe's mid-training output: the 32-wide model, not the 96-wide default
    assert json.loads(bases[0].read_text())["hidden_size"] == 32


def test_a_changed_recipe_is_a_different_base(tmp_path):
    one = base_key(_recipe(tmp_path))
    assert base_key(_recipe(tmp_path)) == one
    assert base_key(_recipe(tmp_path, midtrain_learning_rate=0.002)) != one


def test_a_missing_recipe_is_one_error_line(tmp_path):
    with pytest.raises(CliError, match="no such recipe file"):
        ensure_base(str(tmp_path / "nope.yaml"))


def test_a_failing_build_says_how_to_see_why_and_leaves_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("SRL_TRAINER_CACHE", str(tmp_path / "cache"))
    recipe = _recipe(tmp_path, midtrain_stable_mix=str(tmp_path / "missing.txt"))
    with pytest.raises(CliError, match="building the base from .* failed"):
        ensure_base(str(recipe))
    assert [p.name for p in (tmp_path / "cache" / "bases").iterdir()] == [
        f"small-base-{base_key(recipe)}.lock"
    ]


def test_which_runs_start_from_the_base_is_set_by_files_and_flags():
    from srl_trainer.cli.train import parse_train_args

    assert parse_train_args([]).embedded_base == "configs/train/embedded-swe-base.yaml"
    assert parse_train_args(["--domain", "math"]).embedded_base == "configs/train/embedded-math-base.yaml"
    assert parse_train_args(["--embedded-base", ""]).embedded_base == ""  # the random tiny model
    assert parse_train_args(["--model", "some/model"]).embedded_base == ""  # a model given: no preset
    # the paper table's not-mid-trained arm (start-nomid) must not start from the math default's base
    chains = parse_train_args(["--domain", "math", "--config", str(PRESETS_DIR / "chains.yaml")])
    assert chains.embedded_base == ""
