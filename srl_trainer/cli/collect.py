"""Record expert trajectories on SWE-bench-format instances: a policy (the scripted expert, which
knows the gold patch, or a teacher model behind an OpenAI-compatible endpoint) drives a Docker
RepoEnv; an episode is kept only if its final patch resolves the instance (FAIL_TO_PASS and
PASS_TO_PASS). Writes SWE-Gym native tool-call records (--out), optionally the OpenHands text-call
form (--text-format), and a diversity report (<out stem>.diversity.json).

Each episode is written the moment it ends and listed in OUT.progress; a rerun into the same --out
skips the episodes listed there (an image or endpoint failure is tried again), so Ctrl-C or SIGTERM,
which stop the run within seconds and remove its containers, lose only the episode in progress."""

from __future__ import annotations

import argparse
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from srl_trainer.cli.flags import add_config_arguments, config_from_args
from srl_trainer.cli.interrupts import defer_signals, stop_on_signals
from srl_trainer.engine import docker_client
from srl_trainer.errors import CliError


@dataclass
class CollectConfig:
    """What to collect on, with which policy, and where the records go."""

    instances: str = field(default="", metadata={"help": "SWE-bench-format instances (.json or .jsonl)."})
    policy: str = field(
        default="scripted",
        metadata={
            "help": "scripted: the gold-patch expert; openai: a teacher endpoint.",
            "choices": ["scripted", "openai"],
        },
    )
    out: str = field(default="", metadata={"help": "Output .jsonl of SWE-Gym native tool-call records."})
    text_format: str = field(default="", metadata={"help": "Also write OpenHands text-call records here."})
    seed: int = field(default=0, metadata={"help": "Seed of the scripted expert's choices."})
    episodes_per_instance: int = field(
        default=1, metadata={"help": "Attempts per instance (the scripted expert varies by attempt)."}
    )
    max_steps: int = field(default=30, metadata={"help": "Steps an episode may take before it is given up."})
    limit: int = field(default=0, metadata={"help": "Use at most this many instances (0: all)."})
    run_id: str = field(default="", metadata={"help": "run_id of the records (default: POLICY-seedS)."})
    resume: bool = field(
        default=True,
        metadata={
            "help": "Continue an earlier run into OUT: keep OUT and skip the episodes OUT.progress lists. "
            "--no-resume starts OUT afresh."
        },
    )


def register(parser: argparse.ArgumentParser) -> None:
    from env.images import ImageConfig
    from env.repo_env import RepoEnvConfig
    from srl_trainer.workflows.collection.teacher import TeacherConfig

    add_config_arguments(parser, CollectConfig)
    add_config_arguments(parser, TeacherConfig)
    add_config_arguments(parser, RepoEnvConfig)
    add_config_arguments(parser, ImageConfig)


def progress_path(out: Path) -> Path:
    return out.with_name(out.name + ".progress")


# Outcomes of the machinery, not of the policy: a rerun tries these episodes again.
RETRIED_OUTCOMES = ("image_error", "endpoint")
SETTINGS_LINE = "# settings "  # the progress file's first line: what its episodes were collected with


def read_progress(path: Path) -> dict[str, str]:
    """``instance#attempt -> outcome`` of the episodes an earlier run finished (the last line of an
    episode wins; a last line a kill cut short is dropped)."""
    if not path.is_file():
        return {}
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines() if text.endswith("\n") else text.splitlines()[:-1]
    pairs = [line.split("\t") for line in lines if line.count("\t") == 1]
    return {label: outcome for label, outcome in pairs}


def progress_settings(path: Path) -> dict | None:
    """The settings an earlier run recorded in its progress file (None: none recorded)."""
    if not path.is_file():
        return None
    with path.open(encoding="utf-8") as stream:
        first = stream.readline()
    if not first.startswith(SETTINGS_LINE):
        return None
    try:
        return json.loads(first[len(SETTINGS_LINE) :])
    except json.JSONDecodeError:
        return None


def episode_settings(config: CollectConfig, teacher_model: str) -> dict:
    """What decides an episode's content: a resumed run must use the same."""
    settings = {"policy": config.policy, "seed": config.seed, "max_steps": config.max_steps}
    settings["run_id"] = config.run_id
    if config.policy == "openai":
        settings["model"] = teacher_model
    return settings


def _append(path: Path, line: str) -> None:
    with path.open("a", encoding="utf-8") as stream:
        stream.write(line + "\n")


def diversity_path(out: Path) -> Path:
    return out.with_name(out.name.removesuffix(".jsonl").removesuffix(".json") + ".diversity.json")


def run(args: argparse.Namespace) -> int:
    from srl_trainer.cli.folder_lock import file_lock

    out = config_from_args(CollectConfig, args).out
    if not out:
        return _collect(args)  # which says what is missing
    # One run per output file: two would run the same episodes and interleave their records.
    with file_lock(out):
        return _collect(args)


def _collect(args: argparse.Namespace) -> int:
    from agent.records import native_record, text_record
    from env.images import ImageConfig, ImageError
    from env.instances import InstanceError, read_instances
    from env.repo_env import REPO_ROOT, RepoEnv, RepoEnvConfig
    from env.sandbox import SandboxConfig
    from srl_trainer.workflows.collection.episodes import (
        diversity_report,
        format_diversity,
        resolved_episodes,
        run_episode,
    )
    from srl_trainer.workflows.collection.scripted import ScriptedExpert
    from srl_trainer.workflows.collection.teacher import TeacherConfig, TeacherPolicy

    config = config_from_args(CollectConfig, args)
    teacher = config_from_args(TeacherConfig, args)
    env_config = config_from_args(RepoEnvConfig, args)
    image_config = config_from_args(ImageConfig, args)
    if not config.instances or not config.out:
        raise CliError("collect needs --instances FILE and --out FILE")
    if config.policy == "openai" and not (teacher.base_url and teacher.model):
        raise CliError("--policy openai needs --base-url URL and --model NAME")
    if image_config.image_source == "build" and (
        not image_config.repos or not Path(image_config.repos).is_dir()
    ):
        raise CliError(
            f"--repos {image_config.repos or '(not given)'} is not a directory; give the folder of task "
            "repositories (synthesize writes it beside its --out as repos/)"
        )
    try:
        instances = list(read_instances(config.instances).values())[: config.limit or None]
    except InstanceError as error:
        raise CliError(str(error)) from None
    if not instances:
        raise CliError(f"{config.instances} holds no instances")
    client = docker_client()
    sandbox_config = SandboxConfig(workdir=REPO_ROOT, timeout=env_config.command_timeout)
    run_id = config.run_id or f"{config.policy}-seed{config.seed}"
    out = Path(config.out)
    text_out = Path(config.text_format) if config.text_format else None
    progress = progress_path(out)
    settings = episode_settings(config, teacher.model)
    done = _resume(config, out, text_out, progress, settings)
    outcomes = Counter(done.values())
    total = len(instances) * config.episodes_per_instance
    finished = [len(done)]  # episodes finished so far, earlier runs' included

    def stopped() -> str:
        return (
            f"{finished[0]} of {total} episode(s) finished, {outcomes['resolved']} resolved trajectory(ies) "
            f"in {out} (progress in {progress}); rerun the same command to collect the rest"
        )

    with stop_on_signals(stopped):
        env = RepoEnv(client, image_config, sandbox_config, env_config)

        def read_sandbox_file(path: str) -> str:
            assert env.sandbox is not None
            return env.sandbox.read_file(path).decode("utf-8", errors="replace")

        try:
            for instance in instances:
                for attempt in range(config.episodes_per_instance):
                    label = f"{instance.instance_id}#{attempt}"
                    if label in done:
                        continue
                    if config.policy == "scripted":
                        policy = ScriptedExpert(config.seed * 1000 + attempt, read_sandbox_file)
                    else:
                        policy = TeacherPolicy(teacher)
                    try:
                        episode = run_episode(env, policy, instance, config.max_steps)
                    except ImageError as error:
                        outcomes["image_error"] += 1
                        print(f"[skipped: image_error] {label}: {error}", flush=True)
                        with defer_signals():
                            _append(progress, f"{label}\timage_error")
                        break
                    records = []
                    if episode.resolved:
                        records.append((out, native_record(episode, run_id)))
                        if text_out is not None:
                            records.append((text_out, text_record(episode, run_id)))
                        outcome = "resolved"
                        print(f"[resolved] {label}: {len(episode.steps)} steps", flush=True)
                    else:
                        outcome = episode.error.split(":", 1)[0]
                        print(f"[skipped: {outcome}] {label}: {episode.error}", flush=True)
                    # The records, then the progress line (what a rerun skips by), as one step.
                    with defer_signals():
                        for path, record in records:
                            _append(path, json.dumps(record, ensure_ascii=False))
                        _append(progress, f"{label}\t{outcome}")
                        outcomes[outcome] += 1
                        finished[0] += outcome not in RETRIED_OUTCOMES
        finally:
            env.close()

    # Read back from OUT (a resumed run's earlier episodes are only there) for the diversity report.
    kept = resolved_episodes(out)
    report = diversity_report(kept)
    report["outcomes"] = dict(outcomes)
    diversity_path(out).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(format_diversity(report))
    counts = ", ".join(f"{name} {count}" for name, count in sorted(outcomes.items()))
    print(f"summary: {len(kept)} resolved trajectory(ies) written to {out}; outcomes: {counts}")
    if not kept:
        raise CliError("no trajectory was kept; see the per-item lines above for why")
    return 0


def _resume(config: CollectConfig, out: Path, text_out: Path | None, progress: Path, settings: dict):
    """Prepare OUT (and --text-format, OUT.progress) and return the episodes an earlier run finished.

    With --resume (the default) an earlier run's files are kept when its settings match; torn last
    lines are cut, and episodes that failed for an image or endpoint are left to run again.
    """
    from env.results import read_records

    earlier = progress_settings(progress) if config.resume else None
    if earlier is not None and earlier != settings:
        changed = ", ".join(
            f"{k} {earlier.get(k)!r} -> {v!r}" for k, v in settings.items() if earlier.get(k) != v
        )
        raise CliError(
            f"{out} holds episodes collected with other settings ({changed}); "
            "pass --no-resume to start it afresh, or give another --out"
        )
    done = {}
    if config.resume:
        done = {k: v for k, v in read_progress(progress).items() if v not in RETRIED_OUTCOMES}
        if done:
            print(f"resuming: {len(done)} episode(s) already finished in {out} are skipped", flush=True)
    for path in (out, text_out, progress):
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            if not config.resume:
                path.write_text("", encoding="utf-8")
    for path in (out, text_out):
        if path is not None:
            read_records(path)  # cuts a line a kill tore, so appends start on a fresh line
    text = progress.read_text(encoding="utf-8") if progress.is_file() else ""
    if not text.endswith("\n") and text:
        text = text[: text.rfind("\n") + 1]
    if not text.startswith(SETTINGS_LINE):
        text = SETTINGS_LINE + json.dumps(settings) + "\n" + text
    progress.write_text(text, encoding="utf-8")
    return done
