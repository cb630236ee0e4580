"""The (method, domain) recipe table: which phases ``train`` runs and how each GRPO phase is set up.

Every choice that depends on ``--method`` and ``--domain`` is read from here (``pipeline`` and
``config`` look the recipe up instead of testing names):

GRPO phase  domain  reward                rows                          prompts per step       run by
srl         swe     step_similarity       every expert step             prompts_per_step       srl, srl-rlvr
srl         math    math_step_similarity  every expert step             prompts_per_step       srl, srl-rlvr
holistic    both    holistic_similarity   step 0 (the whole problem)    prompts_per_step       holistic
rlvr        math    math_answer_correct   step 0 (the whole problem)    rlvr_prompts_per_step  rlvr, srl-rlvr
rlvr        swe     the tests pass        instances, Docker rollouts    rlvr_prompts_per_step  rlvr, srl-rlvr

``sft`` runs no GRPO phase: its SFT is the training itself (no early stop at the format target).
``midtrain`` runs neither: causal-LM training on text (:mod:`srl_trainer.training.midtrain`).
Every other method starts with the SFT warm-up when asked (``--warmup``) or when training the tiny
model.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from srl_trainer.training import rewards


@dataclass(frozen=True)
class GrpoPhase:
    """One GRPO phase on one domain."""

    name: str  # srl | rlvr | holistic: the run sub-folder, the metrics phase and the after_<name> label
    # TRL reward function over the GRPO rows; None where the phase builds its own (SWE RLVR's tests).
    reward: Callable[..., list[float]] | None
    # Rows from the bare problem only (step 0): the policy writes the whole solution, not one step.
    whole_problems: bool = False
    # Instances instead of step rows: multi-turn rollouts in Docker, rewarded by the instance's tests.
    swe_rollouts: bool = False
    # The TrainConfig field giving prompts (groups) per optimizer step (paper: 512 SRL, 128 RLVR).
    prompts_field: str = "prompts_per_step"

    def prompts_per_step(self, config: Any) -> int:
        return getattr(config, self.prompts_field)


@dataclass(frozen=True)
class Recipe:
    """What ``train --method METHOD --domain DOMAIN`` runs."""

    method: str
    domain: str
    phases: tuple[GrpoPhase, ...]  # GRPO phases after the SFT (warm-up), in order
    sft_only: bool = False  # the SFT phase is the method itself: no format check ends it early
    midtrain: bool = False  # causal-LM training on text (training.midtrain) instead of step data

    @property
    def swe_rollouts(self) -> bool:
        """Some phase needs SWE instances and a Docker engine (``config.check_swe_rlvr``)."""
        return any(phase.swe_rollouts for phase in self.phases)


DOMAINS = ("swe", "math")

GRPO_PHASES: dict[tuple[str, str], GrpoPhase] = {
    ("srl", "swe"): GrpoPhase("srl", rewards.step_similarity),
    ("srl", "math"): GrpoPhase("srl", rewards.math_step_similarity),
    ("holistic", "swe"): GrpoPhase("holistic", rewards.holistic_similarity, whole_problems=True),
    ("holistic", "math"): GrpoPhase("holistic", rewards.holistic_similarity, whole_problems=True),
    ("rlvr", "math"): GrpoPhase(
        "rlvr", rewards.math_answer_correct, whole_problems=True, prompts_field="rlvr_prompts_per_step"
    ),
    ("rlvr", "swe"): GrpoPhase(
        "rlvr", None, whole_problems=True, swe_rollouts=True, prompts_field="rlvr_prompts_per_step"
    ),
}

# Method -> its GRPO phases, in the order of the --method choices.
METHOD_PHASES: dict[str, tuple[str, ...]] = {
    "srl": ("srl",),
    "sft": (),
    "rlvr": ("rlvr",),
    "srl-rlvr": ("srl", "rlvr"),
    "holistic": ("holistic",),
    "midtrain": (),
}
METHODS = tuple(METHOD_PHASES)

RECIPES: dict[tuple[str, str], Recipe] = {
    (method, domain): Recipe(
        method,
        domain,
        tuple(GRPO_PHASES[name, domain] for name in names),
        sft_only=method == "sft",
        midtrain=method == "midtrain",
    )
    for method, names in METHOD_PHASES.items()
    for domain in DOMAINS
}


def recipe_for(method: str, domain: str) -> Recipe:
    return RECIPES[method, domain]


def grpo_phase_recipe(name: str, domain: str) -> GrpoPhase:
    return GRPO_PHASES[name, domain]
