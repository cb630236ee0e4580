"""Re-run expert trajectories command by command in Docker sandboxes and report how faithfully they
reproduce: per-step observation similarity, first divergent step, final patch against the gold
patch, FAIL_TO_PASS / PASS_TO_PASS at the end. Writes the replayed trajectories (fresh observations,
SWE-Gym tool-call JSON lines that `prepare` reads), a per-trajectory report and a summary table.

Each trajectory's results are appended to --out as it finishes. A rerun into the same --out skips
the trajectories already there (those that ended with an error run again), so Ctrl-C or SIGTERM
loses only the trajectories in progress; their containers are removed."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from pathlib import Path

from srl_trainer.cli.flags import add_config_arguments, config_from_args
from srl_trainer.cli.interrupts import defer_signals, stop_on_signals
from srl_trainer.engine import docker_client
from srl_trainer.errors import CliError


@dataclass
class ReplayInputs:
    """Where the replay reads from and writes to."""

    trajectories: str = field(
        default="",
        metadata={
            "help": "Trajectory source: a .json/.jsonl file, folder or hub id. With neither this nor "
            "--instances: the embedded corpus (data/corpus, training split) and its task repositories."
        },
    )
    instances: str = field(default="", metadata={"help": "SWE-bench-format instances (.json or .jsonl)."})
    out: str = field(default="runs/replay", metadata={"help": "Output directory."})
    format: str = field(
        default="auto",
        metadata={
            "help": "Trajectory format.",
            "choices": ["auto", "openhands_text", "openhands_native", "sweagent"],
        },
    )
    limit: int = field(default=0, metadata={"help": "Replay at most this many (0: all)."})


def register(parser: argparse.ArgumentParser) -> None:
    from env.images import ImageConfig
    from env.replay import ReplayConfig
    from env.repo_env import RepoEnvConfig
    from env.sandbox import SandboxConfig

    add_config_arguments(parser, ReplayInputs)
    add_config_arguments(parser, ReplayConfig)
    add_config_arguments(parser, RepoEnvConfig)
    add_config_arguments(parser, ImageConfig)
    for name in ("memory", "cpus", "pids_limit"):  # the limits worth changing per run
        cfg_field = SandboxConfig.__dataclass_fields__[name]
        parser.add_argument(
            "--" + name.replace("_", "-"),
            dest=f"sandbox_{name}",
            type=type(cfg_field.default),
            default=argparse.SUPPRESS,
            help=f"{cfg_field.metadata['help']} (default: {cfg_field.default})",
        )


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from agent.formats import SourceError, read_trajectories
    from env.images import ImageConfig, ImageError
    from env.instances import InstanceError, read_instances
    from env.replay import ReplayConfig, ReplayOutputs, replay_all, summary_table, trajectory_keys
    from env.repo_env import REPO_ROOT, RepoEnv, RepoEnvConfig
    from env.sandbox import SandboxConfig

    inputs = config_from_args(ReplayInputs, args)
    replay_config = config_from_args(ReplayConfig, args)
    env_config = config_from_args(RepoEnvConfig, args)
    image_config = config_from_args(ImageConfig, args)
    if not inputs.trajectories and not inputs.instances:  # the embedded corpus, training split
        from srl_trainer.data.corpus import with_corpus_defaults
        from srl_trainer.data.embedded import trajectories_file

        inputs.trajectories = str(trajectories_file("train"))
        inputs.instances, image_config.repos = with_corpus_defaults("", image_config.repos, "train")
    if not inputs.trajectories or not inputs.instances:
        raise CliError("replay needs both --trajectories SRC and --instances FILE (or neither: the corpus)")
    limits = {k[8:]: v for k, v in vars(args).items() if k.startswith("sandbox_")}
    sandbox_config = SandboxConfig(workdir=REPO_ROOT, timeout=env_config.command_timeout, **limits)

    try:
        read = read_trajectories(inputs.trajectories, inputs.format)
        instances = read_instances(inputs.instances)
    except (SourceError, InstanceError) as error:
        raise CliError(str(error)) from None
    offline = image_config.image_source == "build"
    if offline and (not image_config.repos or not Path(image_config.repos).is_dir()):
        raise CliError(
            f"--repos {image_config.repos or '(not given)'} is not a directory; give the folder "
            "holding one clone (owner__name) or bundle (owner__name.bundle) per repository"
        )
    trajectories = read.trajectories[: inputs.limit or None]
    if not trajectories:
        raise CliError(f"{inputs.trajectories} holds no usable trajectory (skipped: {dict(read.skipped)})")
    client = docker_client()

    outputs = ReplayOutputs(inputs.out, keep=replay_config.keep)
    keys = trajectory_keys(read.trajectories)[: len(trajectories)]
    finished = outputs.resume()
    todo = [(key, t) for key, t in zip(keys, trajectories, strict=True) if key not in finished]
    if len(todo) < len(trajectories):
        print(f"skipping {len(trajectories) - len(todo)} trajectory(ies) already replayed in {inputs.out}")

    def save(index: int, result: tuple) -> None:
        trajectory, report = result
        report.trajectory_id = todo[index][0]
        with defer_signals():  # a signal now takes effect once both lines are written
            outputs.append(trajectory, report)

    def stopped() -> str:
        done = len(trajectories) - len(todo) + outputs.written
        return (
            f"{done} of {len(trajectories)} trajectory(ies) replayed, results in {outputs.report} "
            f"and {outputs.replayed}; rerun the same command to replay the rest"
        )

    with stop_on_signals(stopped), tqdm(total=len(todo), desc="replay", unit="traj") as bar:
        try:
            replay_all(
                [t for _, t in todo],
                instances,
                lambda: RepoEnv(client, image_config, sandbox_config, env_config),
                replay_config,
                progress=bar.update,
                on_result=save,
            )
        except ImageError as error:
            raise CliError(str(error)) from None
    reports = outputs.write_summary()
    print(summary_table(reports))
    print(f"wrote {outputs.replayed}, {outputs.report}, {outputs.summary}")
    if reports and all(report.error for report in reports):
        raise CliError(f"no trajectory could be replayed; the first error: {reports[0].error}")
    return 0
