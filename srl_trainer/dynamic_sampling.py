"""Dynamic sampling for GRPO: groups whose G rewards barely differ give no gradient; refill the batch.

With a continuous reward such as step similarity, a group whose rewards are all (nearly) equal has
advantages that are either 0 or noise blown up by 1/std. :class:`DynamicSamplingGRPOTrainer` drops
every group with reward std <= epsilon, generates for other prompts of the training set (bounded
extra rounds, ``oversample`` prompts per missing group), and hands TRL a generation batch of exactly
the usual size made of informative groups. If the rounds run out, the batch is completed with
dropped groups whose completion mask is zeroed, so they contribute neither gradient nor tokens to the
loss normaliser (``num_items_in_batch`` counts kept groups only).

The TRL hook overridden is ``_generate_and_score_completions`` (one call per generation batch);
``_calculate_rewards`` is wrapped only to read the rewards TRL computed, so nothing is scored twice.
Assumes one process owns whole groups (true for a single process; multi-process runs keep TRL's
own behaviour when ``dynamic_sampling`` is off).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Any

import torch
from trl import GRPOTrainer

# How to pad each 2-D tensor of TRL's generation output when batches of different widths are merged:
# (side, value); value None means the tokenizer's pad id.
_PADDING = {
    "prompt_ids": ("left", None),
    "prompt_mask": ("left", 0),
    "completion_ids": ("right", None),
    "completion_mask": ("right", 0),
    "old_per_token_logps": ("right", 0.0),
    "ref_per_token_logps": ("right", 0.0),
    "sampling_per_token_logps": ("right", 0.0),
    "importance_sampling_ratio": ("right", 0.0),
    "tool_mask": ("right", 1),
}


@dataclass
class DynamicSamplingStats:
    """What the filter did for one generation batch."""

    target_groups: int
    generated_groups: int
    kept_groups: int  # informative groups generated (may exceed target)
    filled_groups: int  # informative groups in the batch handed to TRL (<= target)
    extra_generations: int  # completions generated in refill rounds
    rounds: int
    reward_mean_before: float
    reward_std_before: float
    reward_mean_after: float
    reward_std_after: float

    @property
    def kept_fraction(self) -> float:
        return self.kept_groups / max(self.generated_groups, 1)


def group_is_informative(rewards: torch.Tensor, num_generations: int, epsilon: float) -> torch.Tensor:
    """One bool per group of ``num_generations`` consecutive rewards: std (unbiased, as TRL) > epsilon."""
    grouped = rewards.view(-1, num_generations)
    return torch.nan_to_num(grouped.std(dim=1), nan=0.0) > epsilon


def _select_rows(output: dict[str, Any], rows: torch.Tensor) -> dict[str, Any]:
    return {k: v[rows] for k, v in output.items() if isinstance(v, torch.Tensor) and v.dim() >= 1}


def _pad_to(tensor: torch.Tensor, width: int, side: str, value: float) -> torch.Tensor:
    missing = width - tensor.size(1)
    if missing <= 0:
        return tensor
    pad = torch.full((tensor.size(0), missing), value, dtype=tensor.dtype, device=tensor.device)
    return torch.cat([pad, tensor] if side == "left" else [tensor, pad], dim=1)


def merge_generation_outputs(
    parts: list[dict[str, torch.Tensor]], pad_token_id: int
) -> dict[str, torch.Tensor]:
    """Concatenate row subsets of several TRL generation outputs, re-padding 2-D tensors."""
    merged = {}
    for key in parts[0]:
        tensors = [p[key] for p in parts]
        if tensors[0].dim() == 1:
            merged[key] = torch.cat(tensors)
            continue
        if key not in _PADDING:
            raise ValueError(
                f"dynamic sampling cannot merge generation output {key!r} (multimodal/unsupported)"
            )
        side, value = _PADDING[key]
        width = max(t.size(1) for t in tensors)
        fill = pad_token_id if value is None else value
        merged[key] = torch.cat([_pad_to(t, width, side, fill) for t in tensors])
    return merged


class DynamicSamplingGRPOTrainer(GRPOTrainer):
    """TRL's GRPOTrainer whose training batches hold only groups with a reward spread."""

    def __init__(self, *args, epsilon: float = 0.01, max_rounds: int = 4, oversample: float = 2.0, **kwargs):
        super().__init__(*args, **kwargs)
        self.ds_epsilon = epsilon
        self.ds_max_rounds = max_rounds
        self.ds_oversample = oversample
        self.ds_history: list[DynamicSamplingStats] = []
        self._last_rewards: torch.Tensor | None = None

    def _calculate_rewards(self, inputs, prompts, completions, completion_ids_list):
        rewards_per_func = super()._calculate_rewards(inputs, prompts, completions, completion_ids_list)
        weights = self.reward_weights.to(rewards_per_func.device).unsqueeze(0)
        self._last_rewards = (rewards_per_func * weights).nansum(dim=1)
        return rewards_per_func

    def _local_rewards(self, rows: int) -> torch.Tensor:
        start = self.accelerator.process_index * rows
        return self._last_rewards[start : start + rows].detach().float().cpu()

    def _refill_inputs(self, groups: int, round_index: int) -> list[dict[str, Any]]:
        """``groups`` prompts drawn at random from the training set, each repeated G times."""
        # Seeded by step and round, so a resumed run refills exactly as the interrupted one would have.
        rng = random.Random(f"{self.args.seed}-{self.state.global_step}-{round_index}")
        indices = [rng.randrange(len(self.train_dataset)) for _ in range(groups)]
        rows = []
        for index in indices:
            row = dict(self.train_dataset[index])
            rows.extend(dict(row) for _ in range(self.num_generations))
        return rows

    def _generate_and_score_completions(self, inputs):
        if not self.model.training:
            return super()._generate_and_score_completions(inputs)
        g = self.num_generations
        target = len(inputs) // g
        kept, dropped, before = [], [], []
        generated = extra = rounds = kept_groups = 0
        batch = inputs
        while True:
            output = super()._generate_and_score_completions(batch)
            rewards = self._local_rewards(len(batch))
            informative = group_is_informative(rewards, g, self.ds_epsilon)
            before.append(rewards)
            generated += len(informative)
            kept_groups += int(informative.sum())
            extra += len(batch) if rounds else 0
            for group, keep in enumerate(informative.tolist()):
                rows = torch.arange(group * g, (group + 1) * g, device=output["advantages"].device)
                (kept if keep else dropped).append(
                    (_select_rows(output, rows), rewards[group * g : (group + 1) * g])
                )
            if len(kept) >= target or rounds >= self.ds_max_rounds:
                break
            rounds += 1
            batch = self._refill_inputs(math.ceil((target - len(kept)) * self.ds_oversample), rounds)

        chosen = kept[:target]
        filled = len(chosen)
        for part, part_rewards in dropped[: target - filled]:
            part = dict(part)
            part["completion_mask"] = torch.zeros_like(part["completion_mask"])  # no gradient, no tokens
            part["advantages"] = torch.zeros_like(part["advantages"])
            chosen.append((part, part_rewards))
        merged = merge_generation_outputs([p for p, _ in chosen], self._tokenizer.pad_token_id)
        loss_mask = merged["completion_mask"] * merged.get("tool_mask", 1)
        merged["num_items_in_batch"] = self.accelerator.gather(loss_mask.sum()).sum()

        all_before = torch.cat(before)
        after = torch.cat([r for _, r in chosen[:filled]]) if filled else torch.zeros(0)
        stats = DynamicSamplingStats(
            target_groups=target,
            generated_groups=generated,
            kept_groups=kept_groups,
            filled_groups=filled,
            extra_generations=extra,
            rounds=rounds,
            reward_mean_before=all_before.mean().item(),
            reward_std_before=all_before.std().item() if all_before.numel() > 1 else 0.0,
            reward_mean_after=after.mean().item() if after.numel() else float("nan"),
            reward_std_after=after.std().item() if after.numel() > 1 else float("nan"),
        )
        self.ds_history.append(stats)
        metrics = self._metrics["train"]
        metrics["dynamic_sampling/kept_fraction"].append(stats.kept_fraction)
        metrics["dynamic_sampling/filled_fraction"].append(filled / max(target, 1))
        metrics["dynamic_sampling/extra_generations"].append(float(extra))
        metrics["dynamic_sampling/reward_mean_before"].append(stats.reward_mean_before)
        metrics["dynamic_sampling/reward_std_before"].append(stats.reward_std_before)
        if filled:
            metrics["dynamic_sampling/reward_mean_after"].append(stats.reward_mean_after)
            if filled > 1 or g > 1:
                metrics["dynamic_sampling/reward_std_after"].append(stats.reward_std_after)
        return merged
