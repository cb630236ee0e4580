"""Remove every Docker container the project left behind (anything with the srl-trainer.owner
label), e.g. after a crash or a killed run; --images also removes the project's images."""

from __future__ import annotations

import argparse

from srl_trainer.engine import docker_client


def register(parser: argparse.ArgumentParser) -> None:
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
    from env.cleanup import remove_project_containers

    client = docker_client()
    containers, images = remove_project_containers(client, include_images=args.images, session=args.session)
    print(f"removed {containers} container(s)" + (f" and {images} image(s)" if args.images else ""))
    return 0
