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

Several processes (``accelerate launch``): TRL gives each process a contiguous slice of the global
generation batch, so one group of G rows may span processes, and ``_calculate_rewards`` gathers the
rewards of every process before computing group advantages. The filter judges each group on that
gathered vector, so every process takes the same keep/refill decision from the same numbers (refill
prompts come from a step-seeded RNG and are split evenly across processes). The kept groups are then
dealt out in global order, ``per-process batch`` rows to each process; rows that end up on another
process than the one that generated them are exchanged with one padded all-gather per generation
round that needs it (none when nothing was dropped). Every process checks, with one all-gather, that
all processes reached the same counts, and fails loudly otherwise.
"""

from __future__ import annotations

import math
import random
import sys
from dataclasses import dataclass, field
from typing import Any

import torch
import trl
from trl import GRPOTrainer

# The TRL minor version CI runs (pyproject pins it): the private GRPOTrainer methods overridden here
# were read from it, and TRL changes them between minor releases without notice.
TESTED_TRL = "1.16"


def untested_trl_warning(version: str) -> str | None:
    """The one warning line for a TRL other than the tested minor version, or None for a tested one."""
    if version == TESTED_TRL or version.startswith(f"{TESTED_TRL}."):
        return None
    return (
        f"warning: TRL {version} is installed, but srl_trainer overrides private GRPOTrainer methods "
        f"tested with TRL {TESTED_TRL}.x only (dynamic sampling may break): pip install 'trl~={TESTED_TRL}.0'"
    )


_warning = untested_trl_warning(trl.__version__)
if _warning:
    print(_warning, file=sys.stderr, flush=True)

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
    """What the filter did for one generation batch (counts over all processes)."""

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
    processes: int = 1
    moved_rows: int = 0  # rows handed to another process than the one that generated them
    # One row per process: (generated, kept, filled, extra, rounds, reward_mean_before) as that process
    # computed them; filled in multi-process runs, where all rows must be equal.
    per_process: list[list[float]] = field(default_factory=list)

    @property
    def kept_fraction(self) -> float:
        return self.kept_groups / max(self.generated_groups, 1)


def group_is_informative(rewards: torch.Tensor, num_generations: int, epsilon: float) -> torch.Tensor:
    """One bool per group of ``num_generations`` consecutive rewards: std (unbiased, as TRL) > epsilon."""
    grouped = rewards.view(-1, num_generations)
    return torch.nan_to_num(grouped.std(dim=1), nan=0.0) > epsilon


def refill_group_count(missing: int, oversample: float, num_generations: int, processes: int) -> int:
    """Prompts for one refill round: ``missing x oversample``, rounded up so every process gets whole rows."""
    groups = max(1, math.ceil(missing * oversample))
    step = processes // math.gcd(num_generations, processes)
    return math.ceil(groups / step) * step


def plan_batch(
    chosen: list[tuple[int, int]], filled: int, num_generations: int, rows_per_process: list[int], local: int
) -> tuple[list[tuple[int, int, bool]], set[int], int]:
    """Deal the chosen groups out to the processes, ``local`` rows each, in global order.

    ``chosen``: (round, group) pairs, the first ``filled`` informative, the rest filler;
    ``rows_per_process[r]``: rows each process generated in round r. Returns the global row list
    (round, row in that round's global order, is filler) -- process p takes rows p*local..(p+1)*local --
    the rounds whose rows must change process, and how many rows do.
    """
    g = num_generations
    rows = [(r, grp * g + i, n >= filled) for n, (r, grp) in enumerate(chosen) for i in range(g)]
    exchange, moved = set(), 0
    for position, (r, row, _) in enumerate(rows):
        if row // rows_per_process[r] != position // local:
            exchange.add(r)
            moved += 1
    return rows, exchange, moved


def _select_rows(output: dict[str, Any], rows: torch.Tensor) -> dict[str, Any]:
    return {k: v[rows] for k, v in output.items() if isinstance(v, torch.Tensor) and v.dim() >= 1}


def _pad_to(tensor: torch.Tensor, width: int, side: str, value: float) -> torch.Tensor:
    missing = width - tensor.size(1)
    if missing <= 0:
        return tensor
    pad = torch.full((tensor.size(0), missing), value, dtype=tensor.dtype, device=tensor.device)
    return torch.cat([pad, tensor] if side == "left" else [tensor, pad], dim=1)


def _padding(key: str, pad_token_id: int) -> tuple[str, float]:
    if key not in _PADDING:
        raise ValueError(f"dynamic sampling cannot merge generation output {key!r} (multimodal/unsupported)")
    side, value = _PADDING[key]
    return side, pad_token_id if value is None else value


def merge_generation_outputs(
    parts: list[dict[str, torch.Tensor]], pad_token_id: int
) -> dict[str, torch.Tensor]:
    """Concatenate row subsets of several TRL generation outputs, re-padding 2-D tensors."""
    if len(parts) == 1:
        return dict(parts[0])
    merged = {}
    for key in parts[0]:
        tensors = [p[key] for p in parts]
        if tensors[0].dim() == 1:
            merged[key] = torch.cat(tensors)
            continue
        side, fill = _padding(key, pad_token_id)
        width = max(t.size(1) for t in tensors)
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
        # TRL returns the rewards of every process (gathered), in global row order.
        rewards_per_func = super()._calculate_rewards(inputs, prompts, completions, completion_ids_list)
        weights = self.reward_weights.to(rewards_per_func.device).unsqueeze(0)
        self._last_rewards = (rewards_per_func * weights).nansum(dim=1)
        return rewards_per_func

    def _refill_inputs(self, groups: int, round_index: int) -> list[dict[str, Any]]:
        """``groups`` prompts drawn at random from the training set, each repeated G times (all processes)."""
        # Seeded by step and round: the same on every process, and a resumed run refills exactly as the
        # interrupted one would have.
        rng = random.Random(f"{self.args.seed}-{self.state.global_step}-{round_index}")
        indices = [rng.randrange(len(self.train_dataset)) for _ in range(groups)]
        rows = []
        for index in indices:
            row = dict(self.train_dataset[index])
            rows.extend(dict(row) for _ in range(self.num_generations))
        return rows

    def _gather_output(self, output: dict[str, Any]) -> dict[str, torch.Tensor]:
        """Every process's rows of one generation round, in global order (2-D tensors padded first)."""
        gathered = {}
        for key, value in output.items():
            if not isinstance(value, torch.Tensor) or value.dim() == 0:
                continue
            if value.dim() >= 2:
                side, fill = _padding(key, self._tokenizer.pad_token_id)
                value = self.accelerator.pad_across_processes(
                    value, dim=1, pad_index=fill, pad_first=side == "left"
                )
            gathered[key] = self.accelerator.gather(value)
        return gathered

    def _generate_and_score_completions(self, inputs):
        if not self.model.training:
            return super()._generate_and_score_completions(inputs)
        g = self.num_generations
        processes, rank = self.accelerator.num_processes, self.accelerator.process_index
        local = len(inputs)
        target = local * processes // g
        outputs, rows_per_process, rewards_per_round = [], [], []
        kept, dropped = [], []  # (round, group) in global order
        generated = extra = rounds = 0
        batch = inputs
        while True:
            output = super()._generate_and_score_completions(batch)
            rewards = self._last_rewards.detach().float().cpu()  # all processes' rewards, same everywhere
            informative = group_is_informative(rewards, g, self.ds_epsilon)
            outputs.append(output)
            rows_per_process.append(len(batch))
            rewards_per_round.append(rewards)
            generated += len(informative)
            extra += rewards.numel() if rounds else 0
            for group, keep in enumerate(informative.tolist()):
                (kept if keep else dropped).append((rounds, group))
            if len(kept) >= target or rounds >= self.ds_max_rounds:
                break
            rounds += 1
            groups = refill_group_count(target - len(kept), self.ds_oversample, g, processes)
            refill = self._refill_inputs(groups, rounds)
            share = len(refill) // processes
            batch = refill[rank * share : (rank + 1) * share]

        chosen = kept[:target]
        filled = len(chosen)
        chosen += dropped[: target - filled]
        merged, moved = self._assemble(outputs, rows_per_process, chosen, filled, local)
        loss_mask = merged["completion_mask"] * merged.get("tool_mask", 1)
        merged["num_items_in_batch"] = self.accelerator.gather(loss_mask.sum()).sum()

        all_before = torch.cat(rewards_per_round)
        after = [rewards_per_round[r][grp * g : (grp + 1) * g] for r, grp in chosen[:filled]]
        after = torch.cat(after) if after else torch.zeros(0)
        stats = DynamicSamplingStats(
            target_groups=target,
            generated_groups=generated,
            kept_groups=len(kept),
            filled_groups=filled,
            extra_generations=extra,
            rounds=rounds,
            reward_mean_before=all_before.mean().item(),
            reward_std_before=all_before.std().item() if all_before.numel() > 1 else 0.0,
            reward_mean_after=after.mean().item() if after.numel() else float("nan"),
            reward_std_after=after.std().item() if after.numel() > 1 else float("nan"),
            processes=processes,
            moved_rows=moved,
        )
        if processes > 1:
            stats.per_process = self._check_processes_agree(stats)
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

    def _assemble(self, outputs, rows_per_process, chosen, filled, local):
        """This process's ``local`` rows of the chosen groups (global order); filler rows masked out.

        Returns (batch, rows that changed process). Round 0 with every group kept is handed back as TRL
        built it.
        """
        g = self.num_generations
        rank = self.accelerator.process_index
        if filled == len(chosen) and chosen == [(0, group) for group in range(len(chosen))]:
            return outputs[0], 0
        rows, exchange, moved = plan_batch(chosen, filled, g, rows_per_process, local)
        mine = rows[rank * local : (rank + 1) * local]
        parts = []
        for r in sorted({r for r, _, _ in rows}):  # same order on every process: gathers line up
            source = self._gather_output(outputs[r]) if r in exchange else outputs[r]
            offset = 0 if r in exchange else rank * rows_per_process[r]
            picked = [(row - offset, filler) for rr, row, filler in mine if rr == r]
            if not picked:
                continue
            device = source["advantages"].device
            index = torch.tensor([row for row, _ in picked], device=device)
            part = _select_rows(source, index)
            filler = torch.tensor([f for _, f in picked], device=device)
            if bool(filler.any()):
                part["completion_mask"] = part["completion_mask"].masked_fill(filler.unsqueeze(1), 0)
                part["advantages"] = part["advantages"].masked_fill(filler, 0.0)
            parts.append(part)
        return merge_generation_outputs(parts, self._tokenizer.pad_token_id), moved

    def _check_processes_agree(self, stats: DynamicSamplingStats) -> list[list[float]]:
        """All-gather every process's counts; a mismatch would desynchronise training, so raise."""
        mine = [
            stats.generated_groups,
            stats.kept_groups,
            stats.filled_groups,
            stats.extra_generations,
            stats.rounds,
            stats.reward_mean_before,
        ]
        device = self.accelerator.device
        table = self.accelerator.gather(torch.tensor([mine], dtype=torch.float64, device=device)).cpu()
        if not bool((table == table[0]).all()):
            raise RuntimeError(f"dynamic sampling: processes disagree on the batch: {table.tolist()}")
        return table.tolist()
