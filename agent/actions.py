"""Typed actions for the OpenHands tool set that SWE-Gym trajectories use, and their one text form.

An action is one tool call: ``execute_bash``, ``str_replace_editor`` or ``finish``. Every place that
shows an action to a model or compares two actions (prompts, SRL targets, the similarity reward)
goes through :func:`render_action`, so the same call always has the same text. The text is the
OpenHands "text function call" layout::

    <function=execute_bash>
    <parameter=command>ls /testbed</parameter>
    </function>

Parameters come in a fixed order (the order of the dataclass fields) and optional ones that are
unset are left out, so JSON key order or wrapper whitespace in the source never changes the text.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, fields

EDITOR_COMMANDS = ("view", "create", "str_replace", "insert", "undo_edit")

# Arguments each editor sub-command cannot do without (OpenHands' own rules).
EDITOR_REQUIRED = {
    "view": ("path",),
    "create": ("path", "file_text"),
    "str_replace": ("path", "old_str"),
    "insert": ("path", "insert_line", "new_str"),
    "undo_edit": ("path",),
}


class ActionFormatError(ValueError):
    """A tool call that is not a valid action: unknown tool, missing or malformed argument."""


@dataclass(frozen=True)
class BashAction:
    """Run one shell command in the sandbox (``execute_bash``)."""

    command: str
    is_input: bool = False  # OpenHands: send `command` as stdin to the still-running process

    tool = "execute_bash"


@dataclass(frozen=True)
class EditorAction:
    """View, create or edit one file (``str_replace_editor``)."""

    command: str
    path: str
    file_text: str | None = None
    old_str: str | None = None
    new_str: str | None = None
    insert_line: int | None = None
    view_range: tuple[int, int] | None = None

    tool = "str_replace_editor"


@dataclass(frozen=True)
class FinishAction:
    """End the episode (``finish``); the patch is whatever the repository holds now."""

    tool = "finish"


Action = BashAction | EditorAction | FinishAction

TOOLS: dict[str, type] = {cls.tool: cls for cls in (BashAction, EditorAction, FinishAction)}


def action_arguments(action: Action) -> dict[str, object]:
    """The set arguments of ``action`` in canonical order (unset optional ones left out)."""
    out: dict[str, object] = {}
    for f in fields(action):
        value = getattr(action, f.name)
        if value is None or (f.name == "is_input" and value is False):
            continue
        out[f.name] = value
    return out


def _render_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return json.dumps(list(value))
    return str(value)


def render_action(action: Action) -> str:
    """The one canonical text of ``action`` (used for prompts, SRL targets and the reward)."""
    lines = [f"<function={action.tool}>"]
    for name, value in action_arguments(action).items():
        lines.append(f"<parameter={name}>{_render_value(value)}</parameter>")
    lines.append("</function>")
    return "\n".join(lines)


def _as_int(name: str, value: object) -> int:
    if isinstance(value, bool):
        raise ActionFormatError(f"{name} must be an integer, got {value!r}")
    if isinstance(value, int):
        return value
    try:
        return int(str(value).strip())
    except ValueError:
        raise ActionFormatError(f"{name} must be an integer, got {value!r}") from None


def _as_view_range(value: object) -> tuple[int, int]:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise ActionFormatError(f"view_range is not valid JSON: {value!r}") from None
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise ActionFormatError(f"view_range must be a list of two integers, got {value!r}")
    return (_as_int("view_range", value[0]), _as_int("view_range", value[1]))


def _as_bool(name: str, value: object) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes"):
        return True
    if text in ("false", "0", "no", ""):
        return False
    raise ActionFormatError(f"{name} must be true or false, got {value!r}")


def make_action(tool: str, arguments: dict[str, object], *, strict: bool = True) -> Action:
    """Build a typed action from a tool name and its raw arguments.

    ``strict`` (model output) refuses arguments the tool does not have; lenient mode (recorded
    expert data) drops them, because real datasets carry extras such as ``timeout`` or
    ``security_risk`` that do not change what the command does.
    """
    cls = TOOLS.get(tool)
    if cls is None:
        raise ActionFormatError(f"unknown tool {tool!r} (expected one of {', '.join(TOOLS)})")
    known = {f.name for f in fields(cls)}
    extra = sorted(set(arguments) - known)
    if extra and strict:
        raise ActionFormatError(f"{tool} has no argument {', '.join(extra)}")
    args = {k: v for k, v in arguments.items() if k in known}

    if cls is FinishAction:
        return FinishAction()
    if cls is BashAction:
        if "command" not in args or args["command"] is None:
            raise ActionFormatError("execute_bash needs a command")
        return BashAction(
            command=str(args["command"]), is_input=_as_bool("is_input", args.get("is_input", False))
        )

    command = args.get("command")
    if command not in EDITOR_COMMANDS:
        raise ActionFormatError(
            f"str_replace_editor command must be one of {', '.join(EDITOR_COMMANDS)}, got {command!r}"
        )
    for name in EDITOR_REQUIRED[command]:
        if args.get(name) is None:
            raise ActionFormatError(f"str_replace_editor {command} needs {name}")
    return EditorAction(
        command=command,
        path=str(args["path"]),
        file_text=None if args.get("file_text") is None else str(args["file_text"]),
        old_str=None if args.get("old_str") is None else str(args["old_str"]),
        new_str=None if args.get("new_str") is None else str(args["new_str"]),
        insert_line=None if args.get("insert_line") is None else _as_int("insert_line", args["insert_line"]),
        view_range=None if args.get("view_range") is None else _as_view_range(args["view_range"]),
    )


_FUNCTION_OPEN = re.compile(r"<function=([^>\s]*)>")
# A value runs to the `</parameter>` that is followed by the next parameter or the end of the
# call, so a value may itself contain "</parameter>" text (e.g. a file about this very format).
_PARAMETER = re.compile(r"<parameter=([^>\s]+)>(.*?)</parameter>\s*(?=<parameter=|</function>|\Z)", re.DOTALL)


def find_function_calls(text: str) -> list[tuple[int, int]]:
    """Spans ``(start, end)`` of every ``<function=...>`` call in ``text``; ``end`` is -1 when the
    call is never closed with ``</function>``."""
    spans = []
    for match in _FUNCTION_OPEN.finditer(text):
        close = text.find("</function>", match.end())
        nxt = _FUNCTION_OPEN.search(text, match.end())
        if close == -1 or (nxt is not None and nxt.start() < close):
            spans.append((match.start(), -1))
        else:
            spans.append((match.start(), close + len("</function>")))
    return spans


def parse_function_call(call: str, *, strict: bool = True) -> tuple[str, dict[str, str]]:
    """Split one ``<function=NAME>...</function>`` call into its name and raw string arguments."""
    match = _FUNCTION_OPEN.match(call.strip())
    if match is None:
        raise ActionFormatError("no <function=...> call")
    name = match.group(1)
    body = call.strip()[match.end() :]
    if body.endswith("</function>"):
        body = body[: -len("</function>")]
    elif strict:
        raise ActionFormatError("the call is not closed with </function>")
    arguments: dict[str, str] = {}
    pos = 0
    for param in _PARAMETER.finditer(body):
        if body[pos : param.start()].strip():
            raise ActionFormatError(
                f"unexpected text in the call: {body[pos : param.start()].strip()[:60]!r}"
            )
        if param.group(1) in arguments:
            raise ActionFormatError(f"argument {param.group(1)} given twice")
        arguments[param.group(1)] = param.group(2)
        pos = param.end()
    rest = body[pos:].strip()
    if rest:
        # Recorded data sometimes loses `</parameter>` on the last value of an unclosed call.
        tail = re.match(r"<parameter=([^>\s]+)>(.*)\Z", rest, re.DOTALL)
        if strict or tail is None:
            raise ActionFormatError(f"unexpected text in the call: {rest[:60]!r}")
        arguments[tail.group(1)] = tail.group(2).rstrip("\n")
    return name, arguments


def parse_action(text: str, *, strict: bool = True) -> Action:
    """Parse the canonical text of exactly one action (inverse of :func:`render_action`)."""
    name, arguments = parse_function_call(text, strict=strict)
    return make_action(name, arguments, strict=strict)
