"""Remove the Docker containers the project left behind: by default only those of dead runs.

Each container carries the process that made it (``pid@host`` and its start time); a run whose
process is gone is dead. Containers of live runs, and of runs on other hosts (whose pids cannot be
checked here), are kept unless ``--all``. ``--dry-run`` lists what would go.
"""

from __future__ import annotations

import argparse

from srl_trainer.engine import docker_client


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--all",
        action="store_true",
        dest="everything",
        help="Remove every project container, also those of live runs and of other hosts.",
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="List what would be removed; remove nothing.",
    )
    parser.add_argument(
        "--images",
        action="store_true",
        help="Also remove the project's images (base and instance images are rebuilt on demand).",
    )
    parser.add_argument(
        "--session",
        default="",
        metavar="PID@HOST",
        help="Only the containers one process made (label srl-trainer.session).",
    )


def run(args: argparse.Namespace) -> int:
    from env.cleanup import clean_leftovers

    client = docker_client()
    result = clean_leftovers(
        client,
        everything=args.everything,
        session=args.session,
        dry_run=args.dry_run,
        include_images=args.images,
    )
    verb = "would remove" if args.dry_run else "removed"
    line = f"{verb} {len(result.removed)} container(s)"
    if args.images:
        line += f" and {result.images} image(s)"
    if result.kept:
        line += f"; kept {len(result.kept)} of live runs or other hosts (--all removes them)"
    print(line)
    for leftover in result.removed if args.dry_run else []:
        print(f"  {leftover.id[:12]}  {leftover.name}  {leftover.session or '-'}  ({leftover.state} run)")
    return 0
