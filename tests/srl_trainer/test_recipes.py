"""The (method, domain) recipe table says what the former chain of ifs in pipeline/config said."""

from __future__ import annotations

import pytest

from srl_trainer.training import rewards
from srl_trainer.training.config import DOMAINS, METHODS, TrainConfig
from srl_trainer.training.recipes import RECIPES, recipe_for


def test_every_method_and_domain_has_a_recipe_in_the_choice_order():
    assert METHODS == ["srl", "sft", "rlvr", "srl-rlvr", "holistic", "midtrain"]
    assert DOMAINS == ["swe", "math"]
    assert set(RECIPES) == {(m, d) for m in METHODS for d in DOMAINS}


@pytest.mark.parametrize("domain", ["swe", "math"])
def test_phases_rewards_and_rows_per_method(domain):
    phases = {m: [p.name for p in recipe_for(m, domain).phases] for m in METHODS}
    assert phases == {
        "srl": ["srl"],
        "sft": [],
        "rlvr": ["rlvr"],
        "srl-rlvr": ["srl", "rlvr"],
        "holistic": ["holistic"],
        "midtrain": [],
    }
    assert [m for m in METHODS if recipe_for(m, domain).sft_only] == ["sft"]
    assert [m for m in METHODS if recipe_for(m, domain).midtrain] == ["midtrain"]
    srl, holistic = recipe_for("srl", domain).phases[0], recipe_for("holistic", domain).phases[0]
    rlvr = recipe_for("rlvr", domain).phases[0]
    assert srl.reward is rewards.step_reward(domain)  # what held-out steps are scored by
    assert holistic.reward is rewards.holistic_similarity
    assert rlvr.reward is (rewards.math_answer_correct if domain == "math" else None)
    assert (srl.whole_problems, holistic.whole_problems, rlvr.whole_problems) == (False, True, True)
    config = TrainConfig(prompts_per_step=7, rlvr_prompts_per_step=3)
    assert [p.prompts_per_step(config) for p in (srl, holistic, rlvr)] == [7, 7, 3]


def test_only_rlvr_on_swe_runs_rollouts_in_docker():
    with_rollouts = sorted(key for key, recipe in RECIPES.items() if recipe.swe_rollouts)
    assert with_rollouts == [("rlvr", "swe"), ("srl-rlvr", "swe")]
