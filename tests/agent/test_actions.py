"""Actions have one canonical text, and that text parses back to the same action."""

from __future__ import annotations

import pytest

from agent.actions import (
    ActionFormatError,
    BashAction,
    EditorAction,
    FinishAction,
    make_action,
    parse_action,
    render_action,
)
from agent.formats import read_trajectories

ACTIONS = [
    BashAction(command="grep -rn 'def foo' /testbed | head -5"),
    BashAction(command="y", is_input=True),
    EditorAction(command="view", path="/testbed/a.py", view_range=(10, -1)),
    EditorAction(command="create", path="/testbed/new.py", file_text="x = 1\n\nprint(x)\n"),
    EditorAction(command="str_replace", path="/testbed/a.py", old_str="a < b", new_str="a <= b"),
    EditorAction(command="str_replace", path="/testbed/a.py", old_str="remove me\n"),
    EditorAction(command="insert", path="/testbed/a.py", insert_line=3, new_str="    pass"),
    EditorAction(command="undo_edit", path="/testbed/a.py"),
    FinishAction(),
]


@pytest.mark.parametrize("action", ACTIONS, ids=lambda a: render_action(a).splitlines()[0])
def test_canonical_text_round_trips(action):
    assert parse_action(render_action(action)) == action


def test_canonical_text_is_fixed_order_and_skips_unset_arguments():
    action = make_action(
        "str_replace_editor", {"new_str": "b", "path": "/testbed/x", "old_str": "a", "command": "str_replace"}
    )
    assert render_action(action) == (
        "<function=str_replace_editor>\n"
        "<parameter=command>str_replace</parameter>\n"
        "<parameter=path>/testbed/x</parameter>\n"
        "<parameter=old_str>a</parameter>\n"
        "<parameter=new_str>b</parameter>\n"
        "</function>"
    )
    assert render_action(FinishAction()) == "<function=finish>\n</function>"


def test_value_may_contain_closing_parameter_tag():
    action = EditorAction(command="create", path="/testbed/doc.md", file_text="use </parameter> to close\n")
    assert parse_action(render_action(action)) == action


def test_every_real_sample_action_round_trips(samples):
    for trajectory in read_trajectories(str(samples)).trajectories:
        for step in trajectory.steps:
            assert parse_action(render_action(step.action)) == step.action


@pytest.mark.parametrize(
    "tool, arguments, message",
    [
        ("browser", {"code": "x"}, "unknown tool"),
        ("execute_bash", {}, "needs a command"),
        ("str_replace_editor", {"command": "delete", "path": "/a"}, "command must be one of"),
        ("str_replace_editor", {"command": "create", "path": "/a"}, "needs file_text"),
        ("str_replace_editor", {"command": "insert", "path": "/a", "new_str": "x"}, "needs insert_line"),
        ("str_replace_editor", {"command": "view", "path": "/a", "view_range": "[1, 2"}, "not valid JSON"),
        (
            "str_replace_editor",
            {"command": "insert", "path": "/a", "insert_line": "x", "new_str": "y"},
            "integer",
        ),
        ("execute_bash", {"command": "ls", "timeout": "5"}, "no argument timeout"),
    ],
)
def test_invalid_calls_are_refused_in_strict_mode(tool, arguments, message):
    with pytest.raises(ActionFormatError, match=message):
        make_action(tool, arguments, strict=True)


def test_lenient_mode_drops_unknown_arguments_of_recorded_data():
    assert make_action("execute_bash", {"command": "ls", "timeout": "5"}, strict=False) == BashAction("ls")
