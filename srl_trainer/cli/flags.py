"""Turn a config dataclass into argparse flags, so help text lives in one place (the dataclass).

Every field carries ``metadata={"help": ...}``; the flag is ``--field-name``. Booleans become
``--flag/--no-flag``; ``list[str]`` fields take comma-separated values.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import types
import typing
from typing import Any, TypeVar

T = TypeVar("T")


class OneLineErrorParser(argparse.ArgumentParser):
    """argparse that reports usage mistakes as one line and exits 1 like every other bad input."""

    def error(self, message: str) -> typing.NoReturn:
        sys.stderr.write(f"{self.prog}: error: {message} (see --help)\n")
        sys.exit(1)


def _base_type(annotation: Any) -> Any:
    """``int | None`` -> ``int``; leaves plain types alone."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return args[0] if len(args) == 1 else str
    return annotation


def add_config_arguments(parser: argparse.ArgumentParser, config_cls: type) -> None:
    """Add one flag per field of ``config_cls`` (defaults are left to the dataclass)."""
    hints = typing.get_type_hints(config_cls)
    for f in dataclasses.fields(config_cls):
        if f.metadata.get("cli") is False:
            continue
        flag = "--" + f.name.replace("_", "-")
        help_text = f.metadata.get("help", "")
        default = f.default if f.default is not dataclasses.MISSING else None
        if f.default_factory is not dataclasses.MISSING:  # type: ignore[misc]
            default = f.default_factory()  # type: ignore[misc]
        kind = _base_type(hints[f.name])
        kwargs: dict[str, Any] = {"dest": f.name, "default": argparse.SUPPRESS}
        if "choices" in f.metadata:
            kwargs["choices"] = f.metadata["choices"]
        if kind is bool:
            kwargs["action"] = argparse.BooleanOptionalAction
        elif typing.get_origin(kind) is list:
            kwargs["type"] = lambda s: [x.strip() for x in s.split(",") if x.strip()]
            kwargs["metavar"] = "A,B,..."
        else:
            kwargs["type"] = kind if kind in (int, float, str) else str
            kwargs["metavar"] = f.metadata.get("metavar", f.name.upper())
        if default not in (None, "", []):
            shown = ",".join(map(str, default)) if isinstance(default, list) else default  # as typed
            help_text = f"{help_text} (default: {shown})"
        parser.add_argument(flag, help=help_text, **kwargs)


def config_from_args(config_cls: type[T], args: argparse.Namespace) -> T:
    """Build ``config_cls`` from parsed flags; fields not given keep their dataclass default."""
    names = {f.name for f in dataclasses.fields(config_cls)}  # type: ignore[arg-type]
    given = {k: v for k, v in vars(args).items() if k in names}
    return config_cls(**given)
