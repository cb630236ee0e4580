"""Trainer overhead and dynamic-sampling cost on the embedded SWE sample steps (CPU by default).

    python benchmarks/train_bench.py [--steps 4] [--rounds 1] [--model PATH] [--profile filter]

Runs the same model, data, batch and reward (step_similarity) three ways and prints seconds per
optimizer step and the ratios against ``bare`` measured in the same run:
  bare      TRL's GRPOTrainer as shipped
  filter    DynamicSamplingGRPOTrainer with no refill rounds (the filter's own overhead)
  refill    DynamicSamplingGRPOTrainer with refill rounds (generations spent per kept group)
The tiny model gets a short SFT warm-up first so rollouts are on-format and rewards have a spread.

Every variant starts from the same weights and seed, but once the policies differ their rollouts
differ in length, so whole-step times carry sampling noise on top of machine noise. The benchmark
therefore also times the project's own code directly: the time spent inside the dynamic-sampling
hook minus the time spent in TRL's generate-and-score it calls (``own``), per optimizer step.
``--rounds 2`` runs the variants twice, the second time in reverse order, and averages.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import tempfile
import time
from pathlib import Path


def timed_classes():
    from trl import GRPOTrainer

    from srl_trainer.training.dynamic_sampling import DynamicSamplingGRPOTrainer

    class TimedGRPO(GRPOTrainer):
        """Times TRL's generate-and-score (generation, reward, old log-probs) and counts its tokens."""

        def _generate_and_score_completions(self, inputs):
            started = time.perf_counter()
            output = super()._generate_and_score_completions(inputs)
            if self.model.training:
                self.bench_trl_seconds = (
                    getattr(self, "bench_trl_seconds", 0.0) + time.perf_counter() - started
                )
                tokens = int(output["completion_mask"].sum())
                self.bench_tokens = getattr(self, "bench_tokens", 0) + tokens
            return output

    class TimedDynamicSampling(DynamicSamplingGRPOTrainer, TimedGRPO):
        """MRO: the dynamic-sampling hook, then the timer above, then TRL: outer minus inner = own time."""

        def _generate_and_score_completions(self, inputs):
            started = time.perf_counter()
            output = super()._generate_and_score_completions(inputs)
            if self.model.training:
                self.bench_hook_seconds = (
                    getattr(self, "bench_hook_seconds", 0.0) + time.perf_counter() - started
                )
                self.bench_trained_tokens = getattr(self, "bench_trained_tokens", 0) + int(
                    output["completion_mask"].sum()
                )
            return output

    return TimedGRPO, TimedDynamicSampling


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=4, help="optimizer steps per variant")
    parser.add_argument(
        "--rounds", type=int, default=1, help="runs of every variant (order flips each round)"
    )
    parser.add_argument("--model", default="", help="model path (default: tiny model + SFT warm-up)")
    parser.add_argument("--sft-epochs", type=float, default=30.0)
    parser.add_argument("--profile", default="", choices=["", "bare", "filter", "refill"])
    args = parser.parse_args()

    from transformers import AutoTokenizer

    from srl_trainer.data.embedded import data_dir, default_tokenizer_dir
    from srl_trainer.models import build_tiny_model, load_model
    from srl_trainer.training.config import resolve_config
    from srl_trainer.training.pipeline import (
        MetricsWriter,
        grpo_dataset,
        grpo_training_args,
        load_examples,
        sft_phase,
        split_examples,
    )
    from srl_trainer.training.rewards import step_similarity

    TimedGRPO, TimedDynamicSampling = timed_classes()
    work = Path(tempfile.mkdtemp(prefix="train_bench-"))
    # Pinned to the 17-step SWE sample (14 train steps after the seeded split), whatever `train` defaults to.
    sample = str(data_dir() / "sample" / "trajectories.json")
    config = resolve_config(
        {"trajectories": sample, "sft_epochs": args.sft_epochs, "max_steps": args.steps, "save_steps": 10**6}
    )
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

    names = ["bare", "filter", "refill"]

    def run(name: str, profile: bool = False):
        model, tokenizer = load_model(path)
        targs = grpo_training_args(config, work / name, "srl", has_eval=False)
        targs.save_strategy = "no"
        kwargs = dict(
            model=model,
            reward_funcs=step_similarity,
            args=targs,
            train_dataset=grpo_dataset(train_rows),
            processing_class=tokenizer,
        )
        if name == "bare":
            trainer = TimedGRPO(**kwargs)
        else:
            rounds = 0 if name == "filter" else config.ds_max_rounds
            trainer = TimedDynamicSampling(epsilon=config.ds_epsilon, max_rounds=rounds, **kwargs)
        profiler = cProfile.Profile() if profile else None
        started = time.perf_counter()
        if profiler:
            profiler.enable()
        trainer.train()
        if profiler:
            profiler.disable()
            stats = pstats.Stats(profiler)
            print(f"--- cProfile of {name} ({args.steps} steps, not timed), by cumulative time ---")
            stats.sort_stats("cumulative").print_stats(r"dynamic_sampling|train_bench|grpo_trainer", 30)
        return trainer, time.perf_counter() - started

    if args.profile:
        run(args.profile, profile=True)
    totals = {
        name: {"seconds": 0.0, "own": 0.0, "tokens": 0, "trained": 0, "kept": 0, "generated": 0}
        for name in names
    }
    for round_index in range(args.rounds):
        for name in names if round_index % 2 == 0 else names[::-1]:
            trainer, seconds = run(name)
            total = totals[name]
            total["seconds"] += seconds
            total["tokens"] += getattr(trainer, "bench_tokens", 0)
            if name == "bare":
                total["trained"] += getattr(trainer, "bench_tokens", 0)
            else:
                total["own"] += trainer.bench_hook_seconds - trainer.bench_trl_seconds
                total["trained"] += trainer.bench_trained_tokens
                total["kept"] += sum(s.filled_groups for s in trainer.ds_history)
                total["generated"] += sum(s.generated_groups for s in trainer.ds_history)
            print(f"  [{name} round {round_index + 1}: {seconds / args.steps:.2f} s/step]", flush=True)

    g = config.num_generations
    steps = args.steps * args.rounds
    print(
        f"model {path}; {config.prompts_per_step} prompts x G={g} per step; "
        f"{args.steps} steps per variant x {args.rounds} round(s)"
    )
    bare = totals["bare"]["seconds"] / steps
    for name in names:
        total = totals[name]
        per_step = total["seconds"] / steps
        line = f"  {name:<7} {per_step:6.2f} s/step ({per_step / bare:.2f}x bare)"
        line += f"  tokens/step: generated {total['tokens'] / steps:5.0f}"
        line += f", in the loss {total['trained'] / steps:5.0f}"
        if name != "bare":
            own = total["own"] / steps
            line += f"  own {1000 * own:6.1f} ms/step ({100 * own / bare:.2f}% of bare)"
            line += f"  groups generated {total['generated']}, kept in batches {total['kept']}"
        print(line)
    for name in ("filter", "refill"):
        print(f"  ratio {name} / bare = {totals[name]['seconds'] / steps / bare:.2f}x", end="")
    print()
    refill = totals["refill"]
    if refill["kept"]:
        per_kept = refill["generated"] * g / refill["kept"]
        print(
            f"  refill: completions generated per kept group = {per_kept:.1f} "
            f"(G = {g}); generated tokens/step {refill['tokens'] / steps:.0f} vs bare "
            f"{totals['bare']['tokens'] / steps:.0f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
