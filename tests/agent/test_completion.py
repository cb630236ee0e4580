"""Model output must be <think>...</think> then exactly one canonical action."""

from __future__ import annotations

import pytest

from agent.actions import BashAction
from agent.completion import CompletionFormatError, parse_completion

CALL = "<function=execute_bash>\n<parameter=command>ls</parameter>\n</function>"


def test_well_formed_completion_parses():
    thought, action = parse_completion(f"<think>\nlook around\n</think>\n{CALL}")
    assert thought == "look around" and action == BashAction("ls")


def test_opening_think_may_come_from_the_prompt():
    assert parse_completion(f"look around</think>{CALL}")[1] == BashAction("ls")


@pytest.mark.parametrize(
    "text",
    [
        f"<think>no closing tag {CALL}",  # no </think>
        "<think>x</think>\nI would list the files.",  # no call
        f"<think>x</think>{CALL}\n{CALL}",  # two calls
        f"<think>x</think>{CALL.replace('execute_bash', 'run_shell')}",  # unknown tool
        "<think>x</think><function=str_replace_editor>\n<parameter=command>create</parameter>\n"
        "<parameter=path>/testbed/a.py</parameter>\n</function>",  # missing required file_text
        "<think>x</think><function=str_replace_editor>\n<parameter=command>view</parameter>\n"
        "<parameter=path>/testbed/a.py</parameter>\n<parameter=view_range>[1, </parameter>\n"
        "</function>",  # bad JSON
        f"<think>x</think>Sure! {CALL}",  # text before the call
        f"<think>x</think>{CALL} done",  # text after the call
        "<think>x</think><function=execute_bash>\n<parameter=command>ls</parameter>\n",  # unclosed
        f"<think>a</think><think>b</think>{CALL}",  # two thoughts
        "",
    ],
)
def test_malformed_completions_are_format_errors(text):
    with pytest.raises(CompletionFormatError):
        parse_completion(text)
