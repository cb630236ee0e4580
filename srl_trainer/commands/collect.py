"""Record expert trajectories on task instances (being written; see issue 4)."""

from __future__ import annotations

import argparse

from srl_trainer.config_flags import CliError


def register(parser: argparse.ArgumentParser) -> None:
    pass


def run(args: argparse.Namespace) -> int:
    raise CliError("collect is not available yet")
