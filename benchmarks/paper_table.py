"""The SRL paper's main table in miniature, on the chain-arithmetic family (data/chains).

    python benchmarks/paper_table.py                 # every arm, 3 seeds, held-out test split
    python benchmarks/paper_table.py --quick         # every arm tiny, 1 seed (a test runs this)
    python benchmarks/paper_table.py --split validation --out runs/paper-table-val   # choose settings

Per seed, every arm starts from the same place and gets the same data and the same budget:

1. ``midtrain``: the embedded tiny model, mid-trained once (``train --method midtrain``, preset
   ``configs/train/chains-midtrain.yaml``: arithmetic facts in the stable phase, facts and
   question-answer text of training problems in the decay phase; ``--base`` reuses one). Every seed
   starts from this one base, as every run of the paper starts from one released model; the seeds
   vary everything after it. The arm ``base`` is this checkpoint.
2. ``start``: a short SFT on expert solutions from the mid-trained base (the common starting point).
   ``start-nomid``: the same SFT from a fresh, not mid-trained model (for the OctoThinker arm).
3. Arms, each ``budget`` optimizer steps from ``start`` (preset ``configs/train/chains.yaml``):
   SFT (more SFT on expert steps), RLVR (final answer), SRL (step similarity, dynamic sampling),
   SRL->RLVR (half the steps each), SRL without dynamic sampling, holistic similarity, and RLVR
   from ``start-nomid``.

Every arm is scored on the held-out split by ``train``'s own report: greedy whole-solution accuracy
(the model writes step k after its own steps), avg@K / pass@K over K sampled solutions, per number of
steps; the held-out step reward (greedy); and for GRPO arms the fraction of groups whose rewards have
zero spread (TRL's ``frac_reward_zero_std``, the starvation the paper describes). Output: one run
folder per (seed, arm) under ``--out`` (an interrupted benchmark resumes: finished runs are kept),
``results.json`` and ``table.md`` with mean, std and every seed, the paired difference against SFT,
and the paper's numbers beside them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MIDTRAIN_PRESET = "configs/train/chains-midtrain.yaml"
ARM_PRESET = "configs/train/chains.yaml"
# --student: a real pretrained model (srl_trainer.model_sources) instead of the tiny one. It needs no
# mid-training; every arm starts from the student after a short format warm-up (the start).
STUDENT = "smollm2-135m-instruct"
STUDENT_PRESET = "configs/train/chains-student.yaml"
# The format warm-up chosen on the validation split: on the counted family 16 SFT steps are in the
# table's regime, as 32 are, at half the cost (RESULTS.md, "The student's regime").
STUDENT_START_STEPS = 16
# Optimizer steps per arm for the student: 8 GRPO steps (4 prompts x 4 completions) take about 6 min
# on one core of the 2-core box, so every arm of 3 seeds fits in the 3 hours with 2 workers.
STUDENT_BUDGET = 8
WEIGHTS = "final"  # the folder of a train run that holds its final weights
# Qwen2.5-7B-Instruct trained on s1K, average over AMC23/AIME24/AIME25/Minerva (the paper's table).
PAPER = {
    "base": 24.6,
    "rlvr": 24.5,
    "srl": 27.6,
    "srl-rlvr": 28.3,
    "srl-nods": 24.7,
    "holistic": 25.9,
}
# arm -> (method, start checkpoint, extra flags); the budget is added per method below
ARMS = {
    "sft": ("sft", "start", []),
    "rlvr": ("rlvr", "start", []),
    "srl": ("srl", "start", []),
    "srl-rlvr": ("srl-rlvr", "start", []),
    "srl-nods": ("srl", "start", ["--no-dynamic-sampling"]),
    "holistic": ("holistic", "start", []),
    "rlvr-nomid": ("rlvr", "start-nomid", []),
}
STUDENT_ARMS = [arm for arm in ARMS if arm != "rlvr-nomid"]  # mid-training is not part of its table
# (arm, reference): the comparisons the paper's claims rest on, paired per seed
CLAIMS = [("srl", "sft"), ("srl", "rlvr"), ("srl-rlvr", "srl"), ("srl", "srl-nods")]
QUICK = [
    "--eval-solutions", "4", "--eval-solution-samples", "2",
    "--max-eval-steps", "4", "--midtrain-max-steps", "6", "--midtrain-warmup-steps", "1",
    "--prompts-per-step", "2", "--rlvr-prompts-per-step", "2", "--per-device-batch-size", "8",
    "--max-train-steps", "60",
]  # fmt: skip
# The student samples a few dozen tokens/s on 2 busy cores: --quick also shortens its whole-solution
# rollouts (4 steps at most) and its refill rounds to stay in minutes.
STUDENT_QUICK = ["--eval-solution-max-steps", "4", "--ds-max-rounds", "1"]


def train(args: list[str], out: Path, log: Path) -> dict:
    """One ``train`` run in its own process (one torch thread: arms run side by side); its summary."""
    summary = out / "summary.json"
    if summary.exists() and "wall_seconds" in json.loads(summary.read_text()):
        return json.loads(summary.read_text())  # finished earlier: resume skips it
    command = [sys.executable, "-m", "srl_trainer.swe", "train", *args, "--out", str(out)]
    command += ["--resume"] if out.exists() else []
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"}
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "a") as file:
        file.write("$ " + " ".join(command) + "\n")
        file.flush()
        status = subprocess.run(command, cwd=ROOT, env=env, stdout=file, stderr=subprocess.STDOUT).returncode
    if status != 0 or not summary.exists():
        raise RuntimeError(f"{' '.join(command)} failed (exit {status}); see {log}")
    return json.loads(summary.read_text())


def budget_flags(method: str, budget: int, quick: bool) -> list[str]:
    """The same number of optimizer steps for every arm: SFT steps for sft, GRPO steps otherwise,
    split in half between the two phases of srl-rlvr."""
    budget = budget or (2 if quick else 16)
    if method == "sft":
        return ["--sft-max-steps", str(budget)]
    return ["--max-steps", str(budget // 2 if method == "srl-rlvr" else budget)]


def run_all(options) -> dict[int, dict[str, dict]]:
    """Every (seed, arm) run, ``options.workers`` at a time; {seed: {arm: summary}}."""
    out = Path(options.out).resolve()
    preset = STUDENT_PRESET if options.student else ARM_PRESET
    check_settings(out, options, preset)
    held_out = str(family_dir(preset) / f"{options.split}.jsonl")
    quick = [*QUICK, *(STUDENT_QUICK if options.student else [])] if options.quick else []
    common = ["--domain", "math", "--eval-trajectories", held_out, *quick, *precision_flags(options.student)]
    results: dict[int, dict[str, dict]] = {s: {} for s in options.seeds}
    started = time.time()

    def job(seed: int, name: str, args: list[str]) -> tuple[int, str, dict]:
        folder = out / "midtrain" if name == "midtrain" else out / f"seed{seed}" / name
        log = out / "logs" / f"seed{seed}-{name}.log"
        summary = train([*args, "--seed", str(seed), *common], folder, log)
        print(f"[{time.time() - started:6.0f} s] seed {seed} {name} done", flush=True)
        return seed, name, summary

    def wave(jobs: list[tuple[int, str, list[str]]]) -> None:
        with ThreadPoolExecutor(max_workers=options.workers) as pool:
            for seed, name, summary in pool.map(lambda j: job(*j), jobs):
                results[seed][name] = summary

    def ckpt(seed: int, name: str) -> str:
        return str(out / f"seed{seed}" / name / WEIGHTS)

    sft_start = ["--method", "sft", "--config", preset, "--sft-max-steps", str(options.start_steps)]
    if options.student:
        base = options.base or STUDENT
    else:
        midtrain_job = (0, "midtrain", ["--method", "midtrain", "--config", MIDTRAIN_PRESET])
        midtrain = [] if options.base else [midtrain_job]
        wave(midtrain + [(s, "start-nomid", sft_start) for s in options.seeds])
        base = options.base or str(out / "midtrain" / WEIGHTS)

    def arm_jobs(seed: int) -> list[tuple[int, str, list[str]]]:
        jobs = []
        for arm in arm_names(options.student):
            method, start, extra = ARMS[arm]
            steps = budget_flags(method, options.budget, options.quick)
            flags = ["--method", method, "--config", preset, "--model", ckpt(seed, start), "--no-warmup"]
            jobs.append((seed, arm, [*flags, *steps, *extra, "--no-eval-initial"]))
        return jobs

    # A seed's arms are queued as soon as its start is done, so no core waits for a whole wave; a failed
    # run is reported and the others go on (a rerun resumes it), so one bad arm costs no finished work.
    failed = []
    with ThreadPoolExecutor(max_workers=options.workers) as pool:
        pending = {pool.submit(job, s, "start", [*sft_start, "--model", base]) for s in options.seeds}
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                try:
                    seed, name, summary = future.result()
                except Exception as error:  # noqa: BLE001 - any run's failure: report it, run the rest
                    print(f"FAILED: {error}", flush=True)
                    failed.append(str(error))
                    continue
                results[seed][name] = summary
                if name == "start":
                    pending |= {pool.submit(job, *j) for j in arm_jobs(seed)}
    if failed:
        raise RuntimeError(f"{len(failed)} run(s) failed (rerun the same command to resume): {failed[0]}")
    return results


def check_settings(out: Path, options, preset: str) -> None:
    """Resume only into a folder of the same table: its settings (and the preset's text) are kept in
    ``settings.json``, and a run with others stops rather than mix two setups in one table."""
    import hashlib

    settings = {
        "student": options.student,
        "quick": options.quick,
        "split": options.split,
        "budget": options.budget,
        "start_steps": options.start_steps,
        "base": options.base,
        "preset": preset,
        "preset_sha256": hashlib.sha256((ROOT / preset).read_bytes()).hexdigest(),
    }
    path = out / "settings.json"
    if path.exists():
        earlier = json.loads(path.read_text())
        changed = sorted(k for k in settings if earlier.get(k) != settings[k])
        if changed:
            raise RuntimeError(
                f"{out} holds runs made with other settings ({', '.join(changed)} differ; see {path}); "
                "give another --out, or remove that folder to start again"
            )
    out.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(settings, indent=2) + "\n")


def family_dir(preset: str) -> Path:
    """The problem family's folder: where the preset's training file lies (its splits sit beside it)."""
    from srl_trainer.training.config import read_yaml

    return (ROOT / read_yaml(ROOT / preset)["trajectories"]).parent


def precision_flags(student: bool) -> list[str]:
    """The student's preset trains in bf16 autocast (configs/train/student-math.yaml measured it
    1.66x faster); a machine that cannot compute bf16 runs the same table in fp32 instead."""
    import torch

    from srl_trainer.training.cpu import cpu_supports_bf16

    if not student or torch.cuda.is_available() or cpu_supports_bf16():
        return []
    print("precision: this CPU has no bf16 (AVX-512 BF16 / AMX): the student's arms run in fp32", flush=True)
    return ["--bf16", "false"]


def arm_names(student: bool) -> list[str]:
    return STUDENT_ARMS if student else list(ARMS)


def finished_results(out: Path, seeds: list[int]) -> dict[int, dict[str, dict]]:
    """The summaries of the runs that finished (``--report-only`` while or after a benchmark runs)."""
    results: dict[int, dict[str, dict]] = {}
    for seed in seeds:
        for name in ("start", "start-nomid", *ARMS):
            path = out / f"seed{seed}" / name / "summary.json"
            if path.exists() and "wall_seconds" in (summary := json.loads(path.read_text())):
                results.setdefault(seed, {})[name] = summary
    return results


def final_scores(summary: dict) -> dict:
    """The scores after the run's last phase (the start checkpoints: after their SFT)."""
    phases = summary.get("phases_done") or []
    return summary[f"after_{phases[-1]}"] if phases else summary["initial"]


def zero_spread(run_dir: Path) -> float | None:
    """Mean fraction of GRPO groups with zero reward spread over the run's training steps."""
    path = run_dir / "metrics.jsonl"
    if not path.exists():
        return None
    values = [
        r["frac_reward_zero_std"]
        for r in map(json.loads, path.read_text().splitlines())
        if "frac_reward_zero_std" in r and r.get("phase") in ("srl", "rlvr", "holistic")
    ]
    return sum(values) / len(values) if values else None


def arm_rows(results: dict[int, dict[str, dict]], out: Path) -> dict[str, dict[int, dict]]:
    """{arm: {seed: metrics}} for every arm including base (the mid-trained model) and start."""
    rows: dict[str, dict[int, dict]] = {}
    for seed, runs in results.items():
        sources = (
            {"base": runs["start"]["initial"], "start": final_scores(runs["start"])}
            if "start" in runs
            else {}
        )
        sources.update({arm: final_scores(runs[arm]) for arm in ARMS if arm in runs})
        for arm, scores in sources.items():
            solutions = scores.get("solutions", {})
            metrics = {
                "greedy": solutions.get("greedy_accuracy"),
                "avg@k": next((v for k, v in solutions.items() if k.startswith("avg@")), None),
                "pass@k": next((v for k, v in solutions.items() if k.startswith("pass@")), None),
                "step_reward": scores.get("mean_step_reward"),
                "by_steps": {k: v["greedy_accuracy"] for k, v in solutions.get("by_steps", {}).items()},
            }
            if arm in ARMS:
                metrics["zero_spread"] = zero_spread(out / f"seed{seed}" / arm)
            rows.setdefault(arm, {})[seed] = metrics
    return rows


def _stat(values: list[float]) -> str:
    values = [v for v in values if v is not None]
    if not values:
        return "n/a"
    std = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{100 * statistics.mean(values):5.1f} ± {100 * std:4.1f}"


def format_table(rows: dict[str, dict[int, dict]], all_seeds: list[int]) -> str:
    levels = sorted({lv for arm in rows.values() for m in arm.values() for lv in m["by_steps"]}, key=int)
    head = ["arm", "greedy acc %", "avg@k %", "pass@k %", "step reward", "zero-spread %"]
    head += [f"{lv} steps %" for lv in levels] + ["greedy - SFT (per seed)", "paper"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for arm, by_seed in rows.items():
        seeds = [s for s in all_seeds if s in by_seed]  # --report-only: the seeds that finished

        def get(key: str, by_seed: dict = by_seed, seeds: list = seeds) -> list:
            return [by_seed[s].get(key) for s in seeds]

        steps = [by_seed[s]["step_reward"] for s in seeds if by_seed[s]["step_reward"] is not None]
        step_text = f"{statistics.mean(steps):+.3f}" if steps else "n/a"
        zero = [v for v in get("zero_spread") if v is not None]
        sft = rows.get("sft", {})
        paired = [
            100 * (by_seed[s]["greedy"] - sft[s]["greedy"])
            for s in seeds
            if s in sft and by_seed[s]["greedy"] is not None and sft[s]["greedy"] is not None
        ]
        paired_text = ", ".join(f"{d:+.1f}" for d in paired) if arm != "sft" else ""
        cells = [
            f"{arm} (seeds {','.join(map(str, seeds))})" if seeds != all_seeds else arm,
            _stat(get("greedy")),
            _stat(get("avg@k")),
            _stat(get("pass@k")),
            step_text,
            f"{100 * statistics.mean(zero):.0f}" if zero else "",
            *[_stat([by_seed[s]["by_steps"].get(lv) for s in seeds]) for lv in levels],
            paired_text,
            str(PAPER.get(arm, "")),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def per_seed_table(rows: dict[str, dict[int, dict]], all_seeds: list[int]) -> str:
    """Every seed's own numbers, arm by arm: greedy accuracy / avg@k / pass@k in %, held-out."""
    head = ["arm", *[f"seed {s}: greedy / avg@k / pass@k %" for s in all_seeds]]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]

    def pct(value: float | None) -> str:
        return "n/a" if value is None else f"{100 * value:.1f}"

    for arm, by_seed in rows.items():
        cells = [
            " / ".join(pct(by_seed[s][key]) for key in ("greedy", "avg@k", "pass@k")) if s in by_seed else ""
            for s in all_seeds
        ]
        lines.append("| " + " | ".join([arm, *cells]) + " |")
    return "\n".join(lines)


def paired_differences(rows: dict[str, dict[int, dict]], all_seeds: list[int]) -> str:
    """The paper's comparisons on held-out greedy accuracy, paired per seed: every seed's difference,
    their mean and std, and whether the claim holds (every seed positive, mean above the std)."""
    lines = ["| comparison | per seed (points) | mean ± std | holds? |", "|---|---|---|---|"]
    for arm, reference in CLAIMS:
        a, b = rows.get(arm, {}), rows.get(reference, {})
        seeds = [
            s
            for s in all_seeds
            if s in a and s in b and a[s]["greedy"] is not None and b[s]["greedy"] is not None
        ]
        if not seeds:
            lines.append(f"| {arm} - {reference} | not measured | | |")
            continue
        diffs = [100 * (a[s]["greedy"] - b[s]["greedy"]) for s in seeds]
        std = statistics.stdev(diffs) if len(diffs) > 1 else 0.0
        mean = statistics.mean(diffs)
        holds = all(d > 0 for d in diffs) and mean > std
        per_seed = ", ".join(f"seed {s}: {d:+.1f}" for s, d in zip(seeds, diffs, strict=True))
        lines.append(
            f"| {arm} - {reference} | {per_seed} | {mean:+.1f} ± {std:.1f} | {'yes' if holds else 'no'} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="every arm tiny, 1 seed (minutes)")
    parser.add_argument(
        "--student",
        action="store_true",
        help=f"the table on the pretrained student {STUDENT} (preset {STUDENT_PRESET}; no mid-training)",
    )
    parser.add_argument("--seeds", default="", help="comma-separated seeds (default 0,1,2; --quick: 0)")
    parser.add_argument("--split", default="test", choices=["test", "validation"], help="held-out split")
    parser.add_argument(
        "--budget",
        type=int,
        default=0,
        help=f"optimizer steps per arm (0: 16; --student: {STUDENT_BUDGET}; --quick: 2)",
    )
    parser.add_argument(
        "--start-steps",
        type=int,
        default=0,
        help=f"SFT steps of the common start (0: 300; --student: {STUDENT_START_STEPS}; --quick: at most 4)",
    )
    parser.add_argument("--workers", type=int, default=2, help="runs side by side (one core each)")
    parser.add_argument(
        "--base",
        default="",
        help="a mid-trained base for every seed (default: mid-train one into OUT/midtrain first)",
    )
    parser.add_argument(
        "--report-only",
        action="store_true",
        help="print the table of the runs finished so far; train nothing",
    )
    parser.add_argument("--out", default="", help="folder of the runs (default runs/paper-table[-quick])")
    options = parser.parse_args(argv)
    options.seeds = [int(s) for s in (options.seeds or ("0" if options.quick else "0,1,2")).split(",")]
    options.start_steps = options.start_steps or (STUDENT_START_STEPS if options.student else 300)
    if options.student and not options.quick:
        options.budget = options.budget or STUDENT_BUDGET
    if options.quick:
        options.start_steps = min(options.start_steps, 4)
    name = "paper-table-student" if options.student else "paper-table"
    options.out = options.out or (f"runs/{name}-quick" if options.quick else f"runs/{name}")
    started = time.time()
    out = Path(options.out).resolve()
    try:
        results = finished_results(out, options.seeds) if options.report_only else run_all(options)
    except RuntimeError as error:
        print(f"paper_table: {error}", file=sys.stderr)
        return 1
    rows = arm_rows(results, out)
    table = "\n\n".join(
        [
            format_table(rows, options.seeds),
            per_seed_table(rows, options.seeds),
            paired_differences(rows, options.seeds),
        ]
    )
    wall = time.time() - started
    machine = f"{platform.machine()}, {os.cpu_count()} CPU cores, {platform.python_version()}"
    header = (
        f"command: python benchmarks/paper_table.py {' '.join(argv if argv is not None else sys.argv[1:])}\n"
        f"machine: {machine}; seeds {options.seeds}; split {options.split}; wall {wall / 60:.1f} min"
    )
    if not options.report_only:  # a report of a running benchmark is printed, not stored
        (out / "results.json").write_text(json.dumps({"rows": rows, "wall_seconds": wall}, indent=2) + "\n")
        (out / "table.md").write_text(header + "\n\n" + table + "\n")
    print(header)
    print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
