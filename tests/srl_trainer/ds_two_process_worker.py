"""Run by test_train_launch.py under `accelerate launch` (2 CPU processes): one dynamic-sampling batch
whose kept group was generated on process 0 and must be split over both processes.

G=4, one prompt per step, so each process holds 2 rows of the step's group. Round 0: a flat prompt
(constant reward), dropped. Round 1 refills 2 groups (oversample 2): 8 rows, 4 per process, so the
first refill group lies wholly on process 0 and is the one kept; process 1 must receive its rows 2-3.
Each process writes what it generated and what it was handed to OUT/rank<R>.json.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from datasets import Dataset
from trl import GRPOConfig, GRPOTrainer

from srl_trainer.models import build_tiny_model, load_model
from srl_trainer.training.dynamic_sampling import DynamicSamplingGRPOTrainer

G = 4


def spread_unless_flat(prompts, completions, flat, **_):
    """0.3 for flat prompts; 0, 0.5, 0, 0.5 along a process's rows otherwise (a spread in every group)."""
    return [0.3 if f else 0.5 * (i % 2) for i, f in enumerate(flat)]


def row(text: str, flat: bool) -> dict:
    return {"prompt": [{"role": "user", "content": text}], "flat": flat}


class Recording(GRPOTrainer):
    def _generate_and_score_completions(self, inputs):
        output = super()._generate_and_score_completions(inputs)
        self.rounds_seen = [*getattr(self, "rounds_seen", []), output]
        return output


class Trainer(DynamicSamplingGRPOTrainer, Recording):
    pass


def main() -> None:
    out = Path(sys.argv[1])
    model_dir = out / "tiny"
    trainer_args = GRPOConfig(
        output_dir=str(out / "grpo"),
        num_generations=G,
        per_device_train_batch_size=2,
        max_completion_length=6,
        report_to="none",
        save_strategy="no",
        max_steps=1,
        seed=0,
        bf16=False,
    )
    if trainer_args.process_index == 0:
        build_tiny_model(model_dir, hidden_size=32)
    with trainer_args.main_process_first():
        model, tokenizer = load_model(str(model_dir))
    trainer = Trainer(
        model=model,
        reward_funcs=spread_unless_flat,
        args=trainer_args,
        train_dataset=Dataset.from_list([row("fix the bug", False), row("run the tests", False)]),
        processing_class=tokenizer,
        epsilon=0.01,
        max_rounds=2,
        oversample=2.0,
    )
    trainer.model.train()
    batch = trainer._generate_and_score_completions([row("flat prompt", True)] * 2)

    def rows(ids, mask):
        return [[int(t) for t, m in zip(r, k, strict=True) if m] for r, k in zip(ids, mask, strict=True)]

    rank = trainer.accelerator.process_index
    stats = trainer.ds_history[-1]
    record = {
        "generated": [rows(o["completion_ids"], o["completion_mask"]) for o in trainer.rounds_seen],
        "handed": rows(batch["completion_ids"], batch["completion_mask"]),
        "advantages": batch["advantages"].tolist(),
        "num_items_in_batch": int(batch["num_items_in_batch"]),
        "stats": {"filled": stats.filled_groups, "rounds": stats.rounds, "moved_rows": stats.moved_rows},
        "per_process": stats.per_process,
    }
    (out / f"rank{rank}.json").write_text(json.dumps(record))


if __name__ == "__main__":
    main()
