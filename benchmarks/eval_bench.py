"""SWE evaluation benchmark: this project's evaluator vs the official swebench harness (issue 6).

    python benchmarks/eval_bench.py [--instances 8] [--rounds 1] [--timeout 300]

Makes N copies of the demo task (env.demo_task) with distinct instance ids, half with the gold
patch and half with a wrong one, builds their images before any timing, then measures instances
per minute at 1 and 2 workers for ``srl_trainer.evaluation.swe.evaluate_predictions`` and for
``run_official_harness`` (swebench.harness.run_evaluation in local-dataset mode, same local images).
The two harnesses take turns (the order flips from one timing to the next), so load from other
processes falls on both alike. Every timing gets a new run id and log folder (both evaluators skip
finished instances). Checks every run's verdicts against each other and against the expected ones,
and removes the images and folders it made. Needs a Docker engine (.ci/setup_docker.sh).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import docker
import docker.errors

from env.demo_task import WRONG_PATCH, build_demo_task
from env.images import ImageConfig, ensure_base_image, instance_image
from srl_trainer.evaluation.swe import SweEvalConfig, evaluate_predictions, run_official_harness


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, default=8, help="copies of the demo task")
    parser.add_argument("--rounds", type=int, default=1, help="timings per harness and worker count")
    parser.add_argument("--timeout", type=int, default=300, help="seconds the tests of one instance may run")
    args = parser.parse_args()

    client = docker.from_env()
    client.ping()
    made_images: list[str] = []
    disagreements: list[tuple[str, dict[str, bool]]] = []
    with tempfile.TemporaryDirectory(prefix="srl-eval-bench-") as work_name:
        work = Path(work_name)
        repos = work / "repos"
        repos.mkdir()
        demo = build_demo_task(repos)
        instances = {}
        predictions = []
        expected = {}
        for i in range(args.instances):
            gold = i % 2 == 0
            instance = replace(demo, instance_id=f"acme__calc-bench-{i}", version=demo.version or "1.0")
            instances[instance.instance_id] = instance
            predictions.append(
                {
                    "instance_id": instance.instance_id,
                    "model_name_or_path": "bench-model",
                    "model_patch": demo.patch if gold else WRONG_PATCH,
                }
            )
            expected[instance.instance_id] = gold

        image_config = ImageConfig(repos=str(repos))
        ensure_base_image(client, image_config)
        try:
            started = time.perf_counter()
            images = {}
            for iid, inst in instances.items():
                images[iid] = instance_image(client, inst, image_config)
                made_images.append(images[iid])
            print(
                f"{len(instances)} instances ({sum(expected.values())} gold, "
                f"{len(expected) - sum(expected.values())} wrong), {len(made_images)} images built in "
                f"{time.perf_counter() - started:.1f} s (not timed below)"
            )

            def image_for(instance):  # prebuilt: the timings cover evaluation only
                return images[instance.instance_id]

            def ours(workers: int, run_id: str) -> dict[str, bool]:
                config = SweEvalConfig(args.timeout, workers, run_id, str(work / "ours" / run_id), str(work))
                outcomes = evaluate_predictions(client, instances, predictions, image_for, config)
                return {o.instance_id: o.status == "resolved" for o in outcomes}

            def official(workers: int, run_id: str) -> dict[str, bool]:
                config = SweEvalConfig(args.timeout, workers, run_id)
                chatter = io.StringIO()  # its progress bars and summary would bury the table
                try:
                    with contextlib.redirect_stdout(chatter), contextlib.redirect_stderr(chatter):
                        verdicts = run_official_harness(
                            instances, predictions, image_for, config, work / "official" / run_id
                        )
                except BaseException:
                    print(chatter.getvalue()[-3000:], file=sys.stderr)
                    raise
                return {iid: verdicts.get(iid, False) for iid in instances}

            harnesses = {"ours": ours, "official": official}
            rates: dict[tuple[str, int], list[float]] = {}
            turn = 0
            for round_index in range(args.rounds):
                for workers in (1, 2):
                    order = list(harnesses) if turn % 2 == 0 else list(harnesses)[::-1]
                    turn += 1
                    for name in order:
                        run_id = f"bench-{name}-w{workers}-r{round_index}"
                        started = time.perf_counter()
                        verdicts = harnesses[name](workers, run_id)
                        wall = time.perf_counter() - started
                        rate = 60 * len(instances) / wall
                        rates.setdefault((name, workers), []).append(rate)
                        ok = verdicts == expected
                        if not ok:
                            disagreements.append((run_id, verdicts))
                        print(
                            f"  {name:<9} workers={workers}  {len(instances)} instances in {wall:6.1f} s"
                            f" = {rate:5.1f} inst/min   verdicts {'as expected' if ok else 'DIFFER'}"
                        )

            print()
            print(f"{'workers':<9}{'ours inst/min':>15}{'official inst/min':>19}{'ours/official':>15}")
            for workers in (1, 2):
                mine = statistics.median(rates[("ours", workers)])
                theirs = statistics.median(rates[("official", workers)])
                print(f"{workers:<9}{mine:>15.1f}{theirs:>19.1f}{mine / theirs:>14.2f}x")
            for name in harnesses:
                scale = statistics.median(rates[(name, 2)]) / statistics.median(rates[(name, 1)])
                print(f"{name}: 2 workers / 1 worker = {scale:.2f}x")
            runs = sum(len(v) for v in rates.values())
            if disagreements:
                for run_id, verdicts in disagreements:
                    print(f"verdicts differ in {run_id}: {verdicts}")
            else:
                print(
                    f"verdicts: identical in all {runs} runs ({sum(expected.values())} resolved, "
                    f"{len(expected) - sum(expected.values())} unresolved, matching gold/wrong patches)"
                )

        finally:
            # The demo repo is new each run, so these images are never reused.
            for tag in made_images:
                with contextlib.suppress(docker.errors.APIError):
                    client.images.remove(tag, force=True)
    if disagreements:
        sys.exit(1)


if __name__ == "__main__":
    main()
