"""Make SWE-bench-format bug-fix instances from a local Python repository with pytest tests: mutate
one function at a time, keep mutations that break tests (found on the host, fast), verify each kept
one in a Docker sandbox, and write the instances plus a git repository (under --repos-out, default
`repos/` beside --out) that `collect`, `replay` and evaluation take as --repos."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from srl_trainer.cli.flags import add_config_arguments, config_from_args
from srl_trainer.engine import START_ENGINE, docker_client
from srl_trainer.errors import CliError


def register(parser: argparse.ArgumentParser) -> None:
    from srl_trainer.workflows.synthesis.tasks import SynthesisConfig

    add_config_arguments(parser, SynthesisConfig)


def run(args: argparse.Namespace) -> int:
    from srl_trainer.workflows.synthesis.tasks import (
        SynthesisConfig,
        SynthesisError,
        SynthesisReport,
        synthesize,
    )

    config = config_from_args(SynthesisConfig, args)
    if not config.repo or not config.out:
        raise CliError("synthesize needs --repo PATH and --out FILE")
    if config.max_tasks < 1:
        raise CliError("--max-tasks must be at least 1")
    client = None
    if config.verify:
        client = docker_client(f"{START_ENGINE}, or pass --no-verify")
        from env.cleanup import install_cleanup_handlers

        install_cleanup_handlers()
    report = SynthesisReport()
    try:
        records = synthesize(config, client, report)
    except SynthesisError as error:
        raise CliError(str(error)) from None
    out = Path(config.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as stream:
        for record in records:
            stream.write(json.dumps(record, sort_keys=True) + "\n")
    counts = ", ".join(f"{name} {count}" for name, count in sorted(report.outcomes.items()))
    print(f"summary: {len(records)} instance(s) written to {out}; outcomes: {counts}")
    if not records:
        raise CliError("no instance was kept; see the per-item lines above for why")
    return 0
