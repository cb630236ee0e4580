"""The command line (``python -m srl_trainer.swe COMMAND``): argument faces only.

Each command lives in its own module of this package and exposes ``register`` (adds its
sub-parser) and ``run`` (does the work, returns an exit status); a module with ``OWN_PARSER`` parses
its arguments itself (``args.argv``: `train` uses TRL's TrlParser). The work itself lives in
``srl_trainer.data``, ``training``, ``evaluation`` and ``workflows``. Nothing outside this package
imports it but the entry point, ``srl_trainer/swe.py``.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from srl_trainer.cli.flags import OneLineErrorParser
from srl_trainer.errors import CliError, Interrupted

# Command name -> module of this package. Modules are imported only when needed, so
# `--help` and light commands do not pay for torch or docker imports.
COMMANDS = {
    "prepare": "Turn expert trajectories into the step-wise SRL dataset.",
    "replay": "Re-run expert trajectories in Docker sandboxes and report what reproduces.",
    "cleanup": "Remove Docker containers (and with --images, images) the project left behind.",
    "synthesize": "Make verified SWE-bench-format bug-fix instances from a local Python repo with tests.",
    "collect": "Record expert trajectories (scripted expert or an OpenAI-compatible teacher) on instances.",
    "train": "Train a policy: SFT warm-up then SRL (GRPO + step similarity + dynamic sampling), or another "
    "method (sft, rlvr, srl-rlvr, holistic, midtrain).",
    "solve": "Run the agent on task instances and write SWE-bench predictions.",
    "serve": "Serve a checkpoint behind an OpenAI-compatible chat endpoint on 127.0.0.1 (streaming too).",
    "evaluate": "SWE-bench resolve rate in Docker (swebench grading), or math benchmark accuracy.",
}


def build_parser() -> OneLineErrorParser:
    parser = OneLineErrorParser(
        prog="python -m srl_trainer.swe",
        description="Supervised Reinforcement Learning for software-engineering agents and math.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=OneLineErrorParser)
    for name, summary in COMMANDS.items():
        module = importlib.import_module(f"srl_trainer.cli.{name}")
        own_parser = getattr(module, "OWN_PARSER", False)  # it parses its own arguments (and --help)
        module.register(
            sub.add_parser(
                name,
                help=summary,
                description=module.__doc__,
                formatter_class=argparse.RawDescriptionHelpFormatter,
                add_help=not own_parser,
            )
        )
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, rest = parser.parse_known_args(argv)
    if args.command is None:
        parser.print_help()
        return 1
    module = importlib.import_module(f"srl_trainer.cli.{args.command}")
    if getattr(module, "OWN_PARSER", False):
        args.argv = rest
    elif rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    try:
        return module.run(args)
    except CliError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except Interrupted as stopped:
        print(f"interrupted: {stopped}", file=sys.stderr)
        return 130
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
