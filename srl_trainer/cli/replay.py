"""Re-run expert trajectories command by command in Docker sandboxes and report how faithfully they
reproduce: per-step observation similarity, first divergent step, final patch against the gold
patch, FAIL_TO_PASS / PASS_TO_PASS at the end. Writes the replayed trajectories (fresh observations,
SWE-Gym tool-call JSON lines that `prepare` reads), a per-trajectory report and a summary table."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from pathlib import Path

from srl_trainer.cli.flags import add_config_arguments, config_from_args
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
    from env.cleanup import install_cleanup_handlers
    from env.images import ImageConfig, ImageError
    from env.instances import InstanceError, read_instances
    from env.replay import ReplayConfig, replay_all, summary_table, write_replay_outputs
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

    install_cleanup_handlers()
    with tqdm(total=len(trajectories), desc="replay", unit="traj") as bar:
        try:
            results = replay_all(
                trajectories,
                instances,
                lambda: RepoEnv(client, image_config, sandbox_config, env_config),
                replay_config,
                progress=bar.update,
            )
        except ImageError as error:
            raise CliError(str(error)) from None
    paths = write_replay_outputs(inputs.out, results, keep=replay_config.keep)
    reports = [report for _, report in results]
    print(summary_table(reports))
    print(f"wrote {paths['replayed']}, {paths['report']}, {paths['summary']}")
    if reports and all(report.error for report in reports):
        raise CliError(f"no trajectory could be replayed; the first error: {reports[0].error}")
    return 0
