"""Held-out step scores: answers of a model on step prompts, scored by the SRL step-similarity reward.

:func:`evaluate_steps` gives the mean step reward, the format-error rate (reward -1) and the
exact-action match rate (reward 1) of greedy answers, and optionally the same over K sampled
answers per step. ``train`` reports them before and after every phase and uses them to end the
SFT warm-up once answers are well-formed.
"""

from __future__ import annotations

from srl_trainer.models import generate_texts
from srl_trainer.training.rewards import step_reward


def _scores(values: list[float], prefix: str = "") -> dict[str, float]:
    n = max(len(values), 1)
    return {
        f"{prefix}mean_step_reward": sum(values) / n,
        f"{prefix}format_error_rate": sum(v == -1.0 for v in values) / n,
        f"{prefix}exact_match_rate": sum(v == 1.0 for v in values) / n,
    }


def _answers(
    model, tokenizer, rows: list[dict], max_new_tokens: int, batch_size: int, samples: int, temperature: float
) -> list[str]:
    """``samples`` 0: one greedy answer per row; K: K answers per row sampled at ``temperature``."""
    sampling = {"temperature": temperature, "top_p": 1.0, "top_k": 0} if samples else {}
    prompts = [r["prompt"] for r in rows]
    return generate_texts(
        model,
        tokenizer,
        prompts,
        max_new_tokens,
        batch_size,
        samples,
        eos_token_id=tokenizer.eos_token_id,
        **sampling,
    )


def evaluate_steps(
    model,
    tokenizer,
    rows: list[dict],
    domain: str,
    max_new_tokens: int,
    batch_size: int = 16,
    samples: int = 0,
    temperature: float = 1.0,
) -> dict[str, float]:
    """Greedy answers on ``rows``: mean step reward, format-error rate, exact-action match rate.
    With ``samples`` K > 0 also ``sampled_*``: the same over K answers per row sampled at
    ``temperature``, i.e. the policy's expected step reward, the quantity SRL optimises (greedy
    decoding can hide a change in the distribution, and vice versa)."""
    score = step_reward(domain)
    model.eval()
    greedy = _answers(model, tokenizer, rows, max_new_tokens, batch_size, 0, temperature)
    values = score([r["prompt"] for r in rows], greedy, target=[r["target"] for r in rows])
    result = {**_scores(values), "examples": len(values)}
    if samples:
        sampled = _answers(
            model, tokenizer, rows, max_new_tokens, max(1, batch_size // samples), samples, temperature
        )
        repeated = [r for r in rows for _ in range(samples)]
        values = score([r["prompt"] for r in repeated], sampled, target=[r["target"] for r in repeated])
        result.update({**_scores(values, "sampled_"), "samples_per_step": samples})
    return result
