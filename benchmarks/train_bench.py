"""Trainer overhead and dynamic-sampling cost on the embedded SWE steps (CPU by default).

    python benchmarks/train_bench.py [--steps 4] [--model PATH]

Runs the same model, data, batch and reward (step_similarity) three ways and prints seconds per
optimizer step and the ratios:
  bare      TRL's GRPOTrainer as shipped
  filter    DynamicSamplingGRPOTrainer with no refill rounds (the filter's own overhead)
  refill    DynamicSamplingGRPOTrainer with refill rounds (generations spent per kept group)
The tiny model gets a short SFT warm-up first so rollouts are on-format and rewards have a spread.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=4, help="optimizer steps per variant")
    parser.add_argument("--model", default="", help="model path (default: tiny model + SFT warm-up)")
    parser.add_argument("--sft-epochs", type=float, default=30.0)
    args = parser.parse_args()

    from transformers import AutoTokenizer
    from trl import GRPOTrainer

    from srl_trainer.dynamic_sampling import DynamicSamplingGRPOTrainer
    from srl_trainer.embedded import default_tokenizer_dir
    from srl_trainer.rewards import step_similarity
    from srl_trainer.tiny_model import build_tiny_model, load_model
    from srl_trainer.trainer_config import resolve_config
    from srl_trainer.training import (
        MetricsWriter,
        grpo_dataset,
        grpo_training_args,
        load_examples,
        sft_phase,
        split_examples,
    )

    work = Path(tempfile.mkdtemp(prefix="train_bench-"))
    config = resolve_config({"sft_epochs": args.sft_epochs, "max_steps": args.steps, "save_steps": 10**6})
    config.eval_steps = 0
    rows = load_examples(config, AutoTokenizer.from_pretrained(str(default_tokenizer_dir())))
    train_rows, _ = split_examples(rows, config.eval_fraction, config.seed)
    metrics = MetricsWriter(work / "metrics.jsonl")
    path = args.model
    if not path:
        model, tokenizer = load_model(str(build_tiny_model(work / "base", seed=config.seed)))
        model = sft_phase(config, model, tokenizer, train_rows, work, metrics)
        path = str(work / "warm")
        model.save_pretrained(path)
        tokenizer.save_pretrained(path)

    results = {}
    for name in ("bare", "filter", "refill"):
        model, tokenizer = load_model(path)
        targs = grpo_training_args(config, work / name, "srl", has_eval=False)
        targs.save_strategy = "no"
        kwargs = dict(
            model=model,
            reward_funcs=step_similarity,
            args=targs,
            train_dataset=grpo_dataset(train_rows, "srl"),
            processing_class=tokenizer,
        )
        if name == "bare":
            trainer = GRPOTrainer(**kwargs)
        else:
            rounds = 0 if name == "filter" else config.ds_max_rounds
            trainer = DynamicSamplingGRPOTrainer(epsilon=config.ds_epsilon, max_rounds=rounds, **kwargs)
        started = time.perf_counter()
        trainer.train()
        seconds = (time.perf_counter() - started) / args.steps
        kept = sum(s.filled_groups for s in getattr(trainer, "ds_history", []))
        generated = sum(s.generated_groups for s in getattr(trainer, "ds_history", []))
        results[name] = (seconds, kept, generated)

    g = config.num_generations
    print(f"model {path}; {config.prompts_per_step} prompts x G={g} per step; {args.steps} steps per variant")
    for name, (seconds, kept, generated) in results.items():
        extra = f"   groups generated {generated}, kept in batches {kept}" if generated else ""
        print(f"  {name:<7} {seconds:6.2f} s/step{extra}")
    bare = results["bare"][0]
    filter_ratio, refill_ratio = results["filter"][0] / bare, results["refill"][0] / bare
    print(f"  ratio filter / bare = {filter_ratio:.2f}x   refill / bare = {refill_ratio:.2f}x")
    _, kept, generated = results["refill"]
    if kept:
        print(f"  refill: generations per kept group = {generated * g / kept:.1f} (G = {g})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
