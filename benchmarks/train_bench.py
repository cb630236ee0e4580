"""Training speed of the student, and trainer overhead and dynamic-sampling cost (CPU by default).

    python benchmarks/train_bench.py [--steps 2] [--rounds 2] [--prompts 2] [--completion 48]
    python benchmarks/train_bench.py --tiny [--steps 4] [--rounds 1] [--model PATH] [--profile filter]

The student mode (the default) measures smollm2-135m-instruct on the SRL step prompts of
data/chains/validation.jsonl (built as ``train --method srl`` builds them), each setting interleaved
with the others (ABAB: the order reverses every round, so a change in the shared machine's load falls
on all alike; the load average is printed with every table):
  sampling  tok/s of one step's P x G completions, fixed length: fp32 vs bf16 autocast, 1 vs the
            default torch threads, all rows in one generate call (TRL's shape) vs one group a call
  training  tok/s of forward + backward + AdamW on sampled sequences: fp32 vs bf16, full vs LoRA
            (the project's --use_peft LoraConfig), threads
  SRL step  seconds per optimizer step of the project's trainer against plain TRL GRPOTrainer, same
            student, data, reward and settings (bf16 where the CPU computes it, the faster thread count),
            and the project's own code per step (below)

The tiny mode runs the same model, data, batch and reward (step_similarity) three ways and prints
seconds per optimizer step and the ratios against ``bare`` measured in the same run (the student's SRL
steps use the same three, refill once: its refills lengthen a step by design):
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
import os
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


def tiny_main(args) -> int:
    """The tiny-model mode: trainer overhead and dynamic-sampling cost on the embedded SWE sample."""
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


STUDENT = "smollm2-135m-instruct"


def load_average() -> str:
    """The 1, 5 and 15 minute load averages: the box is shared, so every table says how busy it was."""
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def cpu_description() -> str:
    from srl_trainer.training.cpu import BF16_FLAGS, cpu_flags, cpu_supports_bf16

    name = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                name = line.partition(":")[2].strip()
                break
    except OSError:
        pass
    flags = sorted((cpu_flags() or frozenset()) & BF16_FLAGS)
    bf16 = f"yes ({', '.join(flags)})" if cpu_supports_bf16() else "no (emulated: expect no gain)"
    return f"{name}, {os.cpu_count()} logical cores, bf16 instructions: {bf16}"


def autocast(bf16: bool):
    """bf16 autocast on the CPU, as accelerate applies it to a bf16 run's forward (see training/cpu.py)."""
    import contextlib

    import torch

    return torch.autocast("cpu", dtype=torch.bfloat16) if bf16 else contextlib.nullcontext()


def generate_rows(model, tokenizer, texts: list[str], new_tokens: int, batch_rows: int, bf16: bool):
    """Sampled completions of ``texts`` (left-padded, ``batch_rows`` a call), every one exactly
    ``new_tokens`` long so that every variant does the same work; the last call's output and mask."""
    import torch

    tokenizer.padding_side = "left"
    for start in range(0, len(texts), batch_rows):
        ids = tokenizer(
            texts[start : start + batch_rows], return_tensors="pt", padding=True, add_special_tokens=False
        )
        with torch.no_grad(), autocast(bf16):
            out = model.generate(
                **ids,
                do_sample=True,
                temperature=1.0,
                max_new_tokens=new_tokens,
                min_new_tokens=new_tokens,
                pad_token_id=tokenizer.pad_token_id,
            )
    mask = torch.cat([ids["attention_mask"], torch.ones_like(out[:, ids["input_ids"].shape[1] :])], dim=1)
    return out, mask


def training_step(model, optimizer, input_ids, attention_mask, completion: int, bf16: bool) -> None:
    """One forward + backward + AdamW step with the loss on the last ``completion`` tokens (logits only
    there, as GRPO's loss computes them)."""
    import torch

    with autocast(bf16):
        logits = model(
            input_ids=input_ids, attention_mask=attention_mask, logits_to_keep=completion + 1
        ).logits
    logits = logits[:, :-1].float()
    loss = torch.nn.functional.cross_entropy(
        logits.reshape(-1, logits.shape[-1]), input_ids[:, -completion:].reshape(-1)
    )
    loss.backward()
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)


def abab(variants: list, rounds: int, measure, slow: float = 3.0) -> dict:
    """Mean seconds of every variant over ``rounds``, the order reversed every other round, so that a
    change in the machine's load falls on every variant alike. A variant ``slow`` times slower than the
    fastest in the first round is not run again: it has lost, and on the shared box such a variant (2
    threads) took minutes a run."""
    seconds: dict = {variant: [] for variant in variants}
    for round_index in range(rounds):
        if round_index == 1:
            fastest = min(times[0] for times in seconds.values())
            variants = [v for v in variants if seconds[v][0] <= slow * fastest]
        for variant in variants if round_index % 2 == 0 else variants[::-1]:
            seconds[variant].append(measure(variant))
            print(
                f"  [{' '.join(map(str, variant))}: {seconds[variant][-1]:.1f} s, load {load_average()}]",
                flush=True,
            )
    return {variant: sum(times) / len(times) for variant, times in seconds.items()}


def print_table(title: str, columns: list[str], variants: list, seconds: dict, tokens: int) -> None:
    """One table: every variant's tok/s (``tokens`` a run) and its speed against the first row."""
    print(f"{title}; load average now {load_average()}")
    print("  " + " ".join(f"{c:>9}" for c in columns) + f" {'tok/s':>7} {'speed vs first':>14}")
    for variant in variants:
        cells = " ".join(f"{str(v):>9}" for v in variant)
        print(
            f"  {cells} {tokens / seconds[variant]:>7.1f} {seconds[variants[0]] / seconds[variant]:>13.2f}x"
        )


def student_micro(args, model_path: str, texts: list[str], config, default_threads: int) -> int:
    """Sampling and training tok/s of the student: precision and threads first, then at the faster
    thread count the generation batch shape and full vs LoRA. Returns the faster thread count (what the
    GRPO steps then use)."""
    import torch
    from peft import get_peft_model

    from srl_trainer.models import load_model
    from srl_trainer.training.cpu import cpu_supports_bf16
    from srl_trainer.training.pipeline import peft_config

    g, completion, rounds = args.generations, args.completion, args.rounds
    rows = [text for text in texts for _ in range(g)]  # TRL repeats every prompt G times
    best = "bf16" if cpu_supports_bf16() else "fp32"
    model, tokenizer = load_model(model_path)
    model.eval()
    generate_rows(model, tokenizer, rows[:2], 4, 2, False)  # first-call costs out of the timings

    def sample(variant) -> float:
        precision, t, batch_rows = variant
        torch.set_num_threads(t)
        started = time.perf_counter()
        generate_rows(model, tokenizer, rows, completion, batch_rows, precision == "bf16")
        return time.perf_counter() - started

    columns = ["precision", "threads", "rows/call"]
    sampled = f"{len(rows)} completions ({len(texts)} prompts x G={g}) x {completion} new tokens"
    threads = sorted({1, default_threads})
    # Threads at the faster precision only: on the shared box a 2-thread run took 2-5 min (RESULTS.md).
    sampling = list(
        dict.fromkeys([(p, 1, len(rows)) for p in ("fp32", "bf16")] + [(best, t, len(rows)) for t in threads])
    )
    seconds = abab(sampling, rounds, sample)
    print_table(
        f"Sampling: {sampled}, {rounds} round(s) ABAB (a variant 3x slower than the fastest: 1)",
        columns,
        sampling,
        seconds,
        len(rows) * completion,
    )
    faster = min(threads, key=lambda t: seconds[(best, t, len(rows))])
    # TRL generates a step's P x G rows in one call; one group (G rows) a call is the other shape.
    shapes = list(dict.fromkeys([(best, faster, len(rows)), (best, faster, g)]))
    seconds = abab(shapes, rounds, sample)
    print_table(f"Generation batch shape: {sampled}", columns, shapes, seconds, len(rows) * completion)

    torch.set_num_threads(faster)
    input_ids, mask = generate_rows(
        model, tokenizer, rows[: args.train_rows], completion, args.train_rows, best == "bf16"
    )
    lora, _ = load_model(model_path)
    use_peft, config.use_peft = config.use_peft, True  # LoRA as --use_peft builds it (its lora_* fields)
    lora = get_peft_model(lora, peft_config(config))
    config.use_peft = use_peft
    models = {"full": model, "LoRA": lora}
    optimizers = {
        name: torch.optim.AdamW([p for p in m.parameters() if p.requires_grad], lr=1e-7)
        for name, m in models.items()
    }
    for name, m in models.items():  # AdamW's state is allocated at its first step: untimed
        m.train()
        training_step(m, optimizers[name], input_ids[:1], mask[:1], completion, False)
    training = [(p, weights, faster) for weights in ("full", "LoRA") for p in ("fp32", "bf16")]
    training += [(best, "full", t) for t in threads if t != faster]

    def train(variant) -> float:
        precision, weights, t = variant
        torch.set_num_threads(t)
        started = time.perf_counter()
        training_step(models[weights], optimizers[weights], input_ids, mask, completion, precision == "bf16")
        return time.perf_counter() - started

    seconds = abab(training, rounds, train)
    trainable = sum(p.numel() for p in lora.parameters() if p.requires_grad)
    title = (
        f"Training: {args.train_rows} sequences, {int(mask.sum())} tokens ({completion} in the loss each), "
        f"forward + backward + AdamW, {rounds} round(s) ABAB; LoRA r={config.lora_r} all-linear "
        f"({trainable / 1e6:.2f}M trainable)"
    )
    print_table(title, ["precision", "weights", "threads"], training, seconds, int(mask.sum()))
    return faster


def student_main(args) -> int:
    """The student: sampling and training tok/s by setting, then the project's SRL step against plain
    TRL GRPOTrainer on the same student, data and settings (see the module docstring)."""
    import datetime
    import random

    import torch

    from srl_trainer.model_sources import local_model_path
    from srl_trainer.models import load_model
    from srl_trainer.training.config import resolve_config
    from srl_trainer.training.console import counting_format_errors
    from srl_trainer.training.cpu import cpu_supports_bf16
    from srl_trainer.training.pipeline import grpo_dataset, grpo_training_args, load_examples
    from srl_trainer.training.recipes import grpo_phase_recipe

    wall = time.perf_counter()
    default_threads = torch.get_num_threads()
    bf16 = {"auto": cpu_supports_bf16(), "true": True, "false": False}[args.bf16]
    g, prompts = args.generations, args.prompts
    config = resolve_config(
        {
            "domain": "math",
            "method": "srl",
            "model": STUDENT,
            "trajectories": args.data,
            "num_generations": g,
            "prompts_per_step": prompts,
            "per_device_train_batch_size": prompts * g,
            "max_completion_length": args.completion,
            "max_steps": args.steps,
            "save_steps": 10**6,
            "eval_steps": 0,
            "bf16": bf16,
            "use_peft": args.use_peft,
            "report_to": "none",
        }
    )
    # converted once into the cache; every variant loads this folder (or the given warmed-up start)
    path = args.student_start or local_model_path(STUDENT)
    _, tokenizer = load_model(path)
    rows = load_examples(config, tokenizer)  # the SRL step prompts, as `train --method srl` builds them
    print(f"{datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC; {cpu_description()}; "
          f"torch {torch.__version__}, {default_threads} threads by default")  # fmt: skip
    print(f"student {STUDENT} ({path}); data {args.data}: {len(rows)} SRL step prompts; "
          f"load average at start {load_average()}")  # fmt: skip
    picked = random.Random(config.seed).sample(rows, prompts)
    texts = [
        tokenizer.apply_chat_template(row["prompt"], tokenize=False, add_generation_prompt=True)
        for row in picked
    ]
    faster = default_threads if args.skip_micro else student_micro(args, path, texts, config, default_threads)
    threads = args.threads or faster
    torch.set_num_threads(threads)
    TimedGRPO, TimedDynamicSampling = timed_classes()
    work = Path(tempfile.mkdtemp(prefix="train_bench-student-"))
    phase = grpo_phase_recipe("srl", "math")
    names = [name for name in args.variants.split(",") if name]

    def run(name: str):
        from srl_trainer.training.pipeline import peft_config

        model, _ = load_model(path)
        targs = grpo_training_args(config, work / name, "srl", has_eval=False)
        targs.save_strategy = "no"
        targs.disable_tqdm = True
        kwargs = dict(
            model=model,
            args=targs,
            train_dataset=grpo_dataset(rows),
            processing_class=tokenizer,
            peft_config=peft_config(config),
        )
        if name == "bare":  # TRL as shipped, with the phase's reward as it is
            trainer = TimedGRPO(reward_funcs=phase.reward, **kwargs)
        else:  # as grpo_phase builds it: the console's format-error count around the same reward
            rounds = 0 if name == "filter" else config.ds_max_rounds
            trainer = TimedDynamicSampling(
                reward_funcs=counting_format_errors(phase.reward),
                epsilon=config.ds_epsilon,
                max_rounds=rounds,
                oversample=config.ds_oversample,
                **kwargs,
            )
        from transformers import PrinterCallback

        trainer.remove_callback(PrinterCallback)  # TRL's log dicts: the table below says what matters
        started = time.perf_counter()
        trainer.train()
        seconds = time.perf_counter() - started
        print(f"  [{name}: {seconds / args.steps:.2f} s/step, load average {load_average()}]", flush=True)
        return trainer, seconds

    totals = {name: {"seconds": 0.0, "own": 0.0, "tokens": 0, "kept": 0, "generated": 0} for name in names}
    print(f"SRL steps: {prompts} prompts x G={g} per optimizer step, <= {args.completion} new tokens, "
          f"{'bf16 autocast' if bf16 else 'fp32'}, {'LoRA' if args.use_peft else 'full fine-tuning'}, "
          f"{threads} thread(s); {args.steps} step(s) per variant x {args.rounds} round(s) ABAB")  # fmt: skip
    for round_index in range(args.rounds):
        for name in names if round_index % 2 == 0 else names[::-1]:
            if name == "refill" and round_index:
                continue  # its refills lengthen its steps by design: one run says by how much
            trainer, seconds = run(name)
            total = totals[name]
            total["seconds"] += seconds
            total["tokens"] += getattr(trainer, "bench_tokens", 0)
            if name != "bare":
                total["own"] += trainer.bench_hook_seconds - trainer.bench_trl_seconds
                total["kept"] += sum(s.filled_groups for s in trainer.ds_history)
                total["generated"] += sum(s.generated_groups for s in trainer.ds_history)
    runs = {name: args.steps * (1 if name == "refill" else args.rounds) for name in names}
    bare = totals["bare"]["seconds"] / runs["bare"] if "bare" in totals else 0.0
    print(f"  {'trainer':<7} {'s/step':>7} {'speed vs plain':>14} {'new tok/step':>12} {'own ms/step':>11}")
    for name in names:
        total, steps = totals[name], runs[name]
        per_step = total["seconds"] / steps
        speed = f"{bare / per_step:.3f}x" if bare else "-"
        own = f"{1000 * total['own'] / steps:.1f}" if name != "bare" else "-"
        line = f"  {name:<7} {per_step:>7.2f} {speed:>14} {total['tokens'] / steps:>12.0f} {own:>11}"
        if name != "bare":
            line += f"  groups generated {total['generated']}, kept {total['kept']}"
        print(line)
    for name in names:
        if name != "bare" and bare:
            own = totals[name]["own"] / runs[name]
            speed = bare / (totals[name]["seconds"] / runs[name])
            print(f"  {name}: project speed / plain GRPOTrainer = {speed:.3f}x (whole steps); "
                  f"the project's own code {100 * own / bare:.2f}% of a plain step")  # fmt: skip
    print(f"load average at end {load_average()}; wall time {time.perf_counter() - wall:.0f} s")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--tiny", action="store_true", help="the tiny-model mode (implied by --model or --profile)"
    )
    parser.add_argument(
        "--steps", type=int, default=0, help="optimizer steps per variant (tiny 4, student 2)"
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=0,
        help="runs of every variant, order flipped each round (tiny 1, student 2)",
    )
    parser.add_argument(
        "--model", default="", help="tiny mode: model path (default: tiny model + SFT warm-up)"
    )
    parser.add_argument("--sft-epochs", type=float, default=30.0, help="tiny mode: the warm-up's epochs")
    parser.add_argument("--profile", default="", choices=["", "bare", "filter", "refill"])
    parser.add_argument("--data", default="data/chains/validation.jsonl", help="student mode: step data")
    parser.add_argument("--generations", type=int, default=4, help="student mode: G")
    parser.add_argument("--prompts", type=int, default=2, help="student mode: prompts per optimizer step")
    parser.add_argument("--completion", type=int, default=48, help="student mode: new tokens per completion")
    parser.add_argument(
        "--train-rows", type=int, default=8, help="student mode: sequences per timed training step"
    )
    parser.add_argument(
        "--bf16", choices=["auto", "true", "false"], default="auto",
        help="student mode, GRPO steps: bf16 autocast (auto: where the CPU computes bf16)",
    )  # fmt: skip
    parser.add_argument("--use-peft", action="store_true", help="student mode, GRPO steps: LoRA")
    parser.add_argument("--threads", type=int, default=0, help="student mode, GRPO steps: torch threads")
    parser.add_argument(
        "--variants", default="bare,filter,refill", help="student mode: GRPO variants (bare,filter,refill)"
    )
    parser.add_argument("--skip-micro", action="store_true", help="student mode: GRPO steps only")
    parser.add_argument(
        "--student-start",
        default="",
        help="student mode: a checkpoint of the student to start every variant from, e.g. a warmed-up "
        "start (runs/paper-table-student/seed0/start/final, with --data "
        "data/chains-counted/validation.jsonl) whose groups have a reward spread; "
        "default: the student itself",
    )
    args = parser.parse_args()
    if args.tiny or args.model or args.profile:
        args.steps, args.rounds = args.steps or 4, args.rounds or 1
        return tiny_main(args)
    args.steps, args.rounds = args.steps or 2, args.rounds or 2
    return student_main(args)


if __name__ == "__main__":
    raise SystemExit(main())
