"""Which base should the embedded defaults start from? The random tiny model or the mid-trained one.

    python benchmarks/default_base.py                       # swe and math, 3 seeds, 2 runs at a time
    python benchmarks/default_base.py --domains math --seeds 0
    python benchmarks/default_base.py --report-only         # the table of the runs finished so far

Per domain the base is mid-trained once by the domain's base preset
(``configs/train/embedded-<domain>-base.yaml``, the command ``train`` runs on first use), then every
arm is the embedded default run (``configs/train/embedded-<domain>.yaml``: SFT warm-up, then 8 SRL
steps with the keep-the-start check) with the same SFT budget, so the start is not confounded with
the warm-up's format check (which stops a mid-trained model after 25 steps and a random one after
~125):

- ``scratch``: the randomly initialised tiny model (the default before the mid-trained base);
- ``mid``: the mid-trained base, the preset's SFT learning rate (3e-3);
- ``mid-lr``: the mid-trained base, SFT at 5e-4 (the chains table's choice: 3e-3 erased what
  mid-training taught there).

Scores come from ``train``'s own report: on the validation steps (set aside from the training steps;
what a setting is chosen on) TRL's eval reward of sampled answers at the first SRL evaluation (step 2)
and the greedy step reward at the SRL phase's start and after it; on the
held-out steps (never trained on or chosen on) after SFT and after SRL, greedy and sampled. Output:
one run folder per (domain, arm, seed) under ``--out`` (finished runs are kept: an interrupted
benchmark resumes), and ``table.md`` with every seed, mean ± std and the paired difference against
``scratch``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from paper_table import train  # one train run in its own process, one torch thread, resumable

SFT_BUDGET = ["--warmup-format-target", "-1", "--sft-max-steps", "125", "--eval-resolve", "0"]
ARMS = {"scratch": [], "mid": [], "mid-lr": ["--sft-learning-rate", "5e-4"]}
QUICK_BASE = ["--midtrain-max-steps", "20", "--midtrain-warmup-steps", "1"]  # math: 2 stable steps
QUICK_ARM = ["--sft-max-steps", "4", "--max-steps", "2", "--max-eval-steps", "4"]
# (label, summary path): the scores of one run the table shows
SCORES = (
    ("validation sampled, SRL step 2", ("trl_eval_reward", "first")),
    ("validation greedy, start of SRL", ("srl_validation_greedy", "start")),
    ("validation greedy, after SRL", ("srl_validation_greedy", "trained")),
    ("held-out greedy, after SFT", ("after_sft", "mean_step_reward")),
    ("held-out greedy, after SRL", ("after_srl", "mean_step_reward")),
    ("held-out sampled, after SRL", ("after_srl", "sampled_mean_step_reward")),
)


def build_base(domain: str, out: Path, quick: bool) -> Path:
    args = ["--config", f"configs/train/embedded-{domain}-base.yaml"] + (QUICK_BASE if quick else [])
    train(args, out / f"base-{domain}", out / "logs" / f"base-{domain}.log")
    return out / f"base-{domain}" / "final"


def arm_args(domain: str, arm: str, base: Path, seed: int, quick: bool) -> list[str]:
    start = ["--embedded-base", ""] if arm == "scratch" else ["--model", str(base)]
    # with --model the embedded preset is not applied by itself: name it, as the default run applies it
    args = ["--config", f"configs/train/embedded-{domain}.yaml", *start, *SFT_BUDGET, *ARMS[arm]]
    return args + ["--seed", str(seed)] + (QUICK_ARM if quick else [])


def run_all(options, out: Path) -> None:
    jobs = []
    for domain in options.domains:
        base = build_base(domain, out, options.quick)
        for seed in options.seeds:
            for arm in ARMS:
                run = out / domain / f"{arm}-s{seed}"
                jobs.append(
                    (
                        arm_args(domain, arm, base, seed, options.quick),
                        run,
                        out / "logs" / f"{domain}-{arm}-s{seed}.log",
                    )
                )
    with ThreadPoolExecutor(options.workers) as pool:
        list(pool.map(lambda job: train(*job), jobs))  # raises the first failed run's error


def trl_eval_rewards(run: Path) -> dict[str, float]:
    """TRL's eval reward of the SRL phase (the mean reward of sampled answers to the validation
    prompts), first and last: the validation score that separates starts whose greedy answers tie."""
    lines = (run / "metrics.jsonl").read_text().splitlines()
    rewards = [
        r["eval_reward"] for r in map(json.loads, lines) if r.get("phase") == "srl" and "eval_reward" in r
    ]
    return {"first": rewards[0], "last": rewards[-1]} if rewards else {}


def score(summary: dict, path: tuple[str, str]) -> float | None:
    value = summary.get(path[0], {})
    return value.get(path[1]) if isinstance(value, dict) else None


def format_table(out: Path, domains: list[str], seeds: list[int]) -> str:
    lines = []
    for domain in domains:
        runs = {}
        for arm in ARMS:
            for seed in seeds:
                file = out / domain / f"{arm}-s{seed}" / "summary.json"
                if file.exists() and "wall_seconds" in (summary := json.loads(file.read_text())):
                    runs[arm, seed] = {**summary, "trl_eval_reward": trl_eval_rewards(file.parent)}
        lines += [f"### {domain}", "", "| arm | " + " | ".join(label for label, _ in SCORES) + " | kept |"]
        lines.append("|---" * (len(SCORES) + 2) + "|")
        for arm in ARMS:
            done = [s for s in seeds if (arm, s) in runs]
            paired = [s for s in done if ("scratch", s) in runs] if arm != "scratch" else []
            cells = []
            for _, path in SCORES:
                values = [score(runs[arm, s], path) for s in done]
                differences = [
                    _minus(score(runs[arm, s], path), score(runs["scratch", s], path)) for s in paired
                ]
                cells.append(_cell(values, differences))
            kept = [str(runs[arm, s].get("srl_validation_greedy", {}).get("kept", "?")) for s in done]
            lines.append(f"| {arm} | " + " | ".join(cells) + f" | {', '.join(kept)} |")
        lines.append("")
    return "\n".join(lines)


def _minus(value: float | None, reference: float | None) -> float | None:
    return None if value is None or reference is None else value - reference


def _cell(values: list, differences: list) -> str:
    """``mean ± std (every seed)``, and the per-seed paired difference against scratch."""
    present = [v for v in values if v is not None]
    if not present:
        return "not run"
    seeds = ", ".join(f"{v:+.3f}" if v is not None else "n/a" for v in values)
    spread = statistics.stdev(present) if len(present) > 1 else 0.0
    text = f"{statistics.mean(present):+.3f} ± {spread:.3f} ({seeds})"
    if differences:
        text += "; vs scratch " + ", ".join(f"{d:+.3f}" if d is not None else "n/a" for d in differences)
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--domains", default="swe,math", help="comma-separated: swe, math")
    parser.add_argument("--seeds", default="0,1,2", help="comma-separated seeds")
    parser.add_argument("--workers", type=int, default=2, help="runs side by side (one core each)")
    parser.add_argument("--quick", action="store_true", help="every run tiny (a smoke test, minutes)")
    parser.add_argument("--report-only", action="store_true", help="print the table; train nothing")
    parser.add_argument("--out", default="runs/default-base", help="folder of the runs")
    options = parser.parse_args(argv)
    options.domains = options.domains.split(",")
    options.seeds = [int(s) for s in options.seeds.split(",")]
    out = Path(options.out).resolve()
    started = time.time()
    if not options.report_only:
        run_all(options, out)
    table = format_table(out, options.domains, options.seeds)
    machine = f"{platform.machine()}, {os.cpu_count()} CPU cores, Python {platform.python_version()}"
    command = "python benchmarks/default_base.py " + " ".join(argv if argv is not None else sys.argv[1:])
    header = f"command: {command}\nmachine: {machine}; wall {(time.time() - started) / 60:.1f} min"
    if not options.report_only:
        (out / "table.md").write_text(header + "\n\n" + table + "\n")
    print(header + "\n\n" + table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
