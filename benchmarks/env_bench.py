"""Environment benchmark: action round trip, episode reset, replay throughput (issue 3).

    python benchmarks/env_bench.py [--rounds 200] [--resets 15] [--replays 8]

Prints p50/p95 per action for three ways of running one command in a container:
DockerSandbox (one long-lived shell per episode), one `docker exec` CLI call per command, and one
docker-py `exec_run` per command; then warm vs fresh episode reset, and replay steps/s at 1 and 2
workers on the demo task (env.demo_task). Needs a Docker engine (.ci/setup_docker.sh).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable

import docker

from agent.actions import BashAction
from env.demo_task import build_demo_task, demo_trajectory
from env.images import ImageConfig, ensure_instance_image
from env.replay import ReplayConfig, replay_all
from env.repo_env import RepoEnv, RepoEnvConfig
from env.sandbox import DockerSandbox, SandboxConfig


def interleaved_ms(methods: dict[str, Callable[[], object]], rounds: int) -> dict[str, list[float]]:
    """Milliseconds per call of each method, taking turns, so that load from other processes on
    the machine falls on all methods alike and the ratios stay meaningful."""
    for fn in methods.values():
        fn()  # warm-up
    out: dict[str, list[float]] = {name: [] for name in methods}
    for _ in range(rounds):
        for name, fn in methods.items():
            started = time.perf_counter()
            fn()
            out[name].append((time.perf_counter() - started) * 1000)
    return out


def p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1] if q < 100 else 0.0


def row(name: str, values: list[float]) -> tuple[float, float]:
    p50, p95 = statistics.median(values), p(values, 95)
    print(f"  {name:<34} p50 {p50:8.1f} ms   p95 {p95:8.1f} ms   (n={len(values)})")
    return p50, p95


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=150, help="commands per round-trip method")
    parser.add_argument("--resets", type=int, default=15, help="resets per reset mode")
    parser.add_argument("--replays", type=int, default=8, help="trajectories per replay run")
    args = parser.parse_args()

    client = docker.from_env()
    with tempfile.TemporaryDirectory() as repos:
        instance = build_demo_task(repos)
        images = ImageConfig(repos=repos)
        image = ensure_instance_image(client, instance, images)

        print("Action round trip (command `true`, same container):")
        with DockerSandbox(client, image, SandboxConfig()) as box:
            cli_cmd = ["docker", "exec", box.id, "bash", "-c", "true"]
            methods = {
                "DockerSandbox.run (long-lived shell)": lambda: box.run("true"),
                "docker exec CLI per command": lambda: subprocess.run(cli_cmd, check=True),
                "docker-py exec_run per command": lambda: box.container.exec_run(["bash", "-c", "true"]),
            }
            times = interleaved_ms(methods, args.rounds)
            shell, cli, api = (row(name, values) for name, values in times.items())
        print(
            f"  ratio p50: CLI / sandbox = {cli[0] / shell[0]:.1f}x, "
            f"exec_run / sandbox = {api[0] / shell[0]:.1f}x"
        )

        print("Episode reset (demo task; one edit between resets):")
        results = {}
        for mode in ("warm", "fresh"):
            env = RepoEnv(client, images, config=RepoEnvConfig(reset_mode=mode))
            env.reset(instance)

            def reset_once(env: RepoEnv = env) -> None:
                env.step(BashAction("echo x >> calc/__init__.py"))
                started = time.perf_counter()
                env.reset(instance)
                reset_once.times.append((time.perf_counter() - started) * 1000)  # type: ignore[attr-defined]

            reset_once.times = []  # type: ignore[attr-defined]
            for _ in range(args.resets):
                reset_once()
            env.close()
            results[mode] = row(f"{mode} reset", reset_once.times)  # type: ignore[attr-defined]
        print(f"  ratio p50: fresh / warm = {results['fresh'][0] / results['warm'][0]:.1f}x")

        print(f"Replay throughput ({args.replays} demo trajectories, final tests included):")
        trajectories = [demo_trajectory() for _ in range(args.replays)]
        steps = sum(len(t.steps) for t in trajectories)
        rates = {}
        for workers in (1, 2):
            started = time.perf_counter()
            out = replay_all(
                trajectories,
                {instance.instance_id: instance},
                lambda: RepoEnv(client, images),
                ReplayConfig(workers=workers),
            )
            wall = time.perf_counter() - started
            assert all(r.reproduced for _, r in out), [r.error for _, r in out]
            rates[workers] = steps / wall
            print(f"  workers={workers}: {steps} steps in {wall:.2f} s = {rates[workers]:.1f} steps/s")
        print(f"  ratio: 2 workers / 1 worker = {rates[2] / rates[1]:.2f}x")
        client.images.remove(image, force=True)  # the demo repo is new each run: never reused


if __name__ == "__main__":
    main()
