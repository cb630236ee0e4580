"""Learning evidence on the embedded SWE corpus: the SFT warm-up checkpoint vs SRL after it, with and
without dynamic sampling, scored on the same held-out steps (repositories training never touches).

Each arm is one ``python -m srl_trainer.swe train`` run with the embedded defaults; the arms differ only
in ``--dynamic-sampling``. Same seed, so both arms start from the same warm-up checkpoint (the SFT
phase is deterministic on CPU; the script checks that the two after-SFT scores agree).

    python benchmarks/srl_learning.py --srl-steps 24 --eval-steps 96 --out runs/learning

Prints a table (mean step reward, format-error rate, exact-action match rate after the warm-up and
after SRL, per arm) and writes it with the raw summaries to OUT/learning.json.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ARMS = {"dynamic sampling": "--dynamic-sampling", "no dynamic sampling": "--no-dynamic-sampling"}
METRICS = ("mean_step_reward", "format_error_rate", "exact_match_rate")


def run_arm(name: str, flag: str, args: argparse.Namespace, threads: int) -> subprocess.Popen:
    out = Path(args.out) / name.replace(" ", "-")
    command = [
        sys.executable, "-m", "srl_trainer.swe", "train", "--out", str(out), "--overwrite",
        "--seed", str(args.seed), "--max-steps", str(args.srl_steps),
        "--max-eval-steps", str(args.eval_steps), flag, *args.extra,
    ]  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
    log = open(Path(args.out) / f"{out.name}.log", "w")
    print("$", " ".join(command), flush=True)
    return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--srl-steps", type=int, default=24, help="SRL optimizer steps per arm.")
    parser.add_argument("--eval-steps", type=int, default=96, help="Held-out steps scored (same for all).")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="runs/learning")
    parser.add_argument("--parallel", action="store_true", help="Run both arms at once, one core each.")
    parser.add_argument("extra", nargs="*", help="More train flags for both arms (after --).")
    args = parser.parse_args()
    Path(args.out).mkdir(parents=True, exist_ok=True)
    summaries: dict[str, dict] = {}
    if args.parallel:
        processes = {name: run_arm(name, flag, args, 1) for name, flag in ARMS.items()}
        codes = {name: p.wait() for name, p in processes.items()}
    else:
        codes = {name: run_arm(name, flag, args, 2).wait() for name, flag in ARMS.items()}
    for name, code in codes.items():
        if code != 0:
            print(f"arm '{name}' failed (exit {code}); see {args.out}/{name.replace(' ', '-')}.log")
            return 1
        summary_file = Path(args.out) / name.replace(" ", "-") / "summary.json"
        summaries[name] = json.loads(summary_file.read_text())

    rows = []
    print(f"\n{args.eval_steps} held-out steps, {args.srl_steps} SRL steps, seed {args.seed}")
    print("| arm | checkpoint | decoding | mean step reward | format errors | exact match |")
    print("|---|---|---|---|---|---|")
    for name, summary in summaries.items():
        for label in ("after_sft", "after_srl"):
            scores = summary[label]
            for prefix, decoding in (("", "greedy"), ("sampled_", "sampled")):
                if prefix + METRICS[0] not in scores:
                    continue
                values = {m: scores[prefix + m] for m in METRICS}
                rows.append({"arm": name, "checkpoint": label, "decoding": decoding, **values})
                print(
                    f"| {name} | {label.replace('_', ' ')} | {decoding} | "
                    f"{values['mean_step_reward']:+.3f} | {values['format_error_rate']:.0%} | "
                    f"{values['exact_match_rate']:.0%} |"
                )
    for name, summary in summaries.items():
        for prefix in ("", "sampled_"):
            key = prefix + "mean_step_reward"
            if key in summary["after_srl"]:
                gain = summary["after_srl"][key] - summary["after_sft"][key]
                print(f"SRL - warm-up, {name}, {prefix or 'greedy_'}{METRICS[0]}: {gain:+.3f}")
    warmups = {json.dumps(s["after_sft"], sort_keys=True) for s in summaries.values()}
    if len(warmups) != 1:
        print("note: the arms' warm-up checkpoints scored differently (nondeterministic SFT)")
    (Path(args.out) / "learning.json").write_text(
        json.dumps({"args": vars(args), "rows": rows, "summaries": summaries}, indent=2) + "\n"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
