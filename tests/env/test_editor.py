"""str_replace_editor on a real container: OpenHands' semantics and observation texts."""

from __future__ import annotations

import pytest

from agent.actions import BashAction, EditorAction
from env.repo_env import RepoEnv

pytestmark = pytest.mark.docker
F = "/testbed/calc/__init__.py"


@pytest.fixture
def env(docker_client, instance_image, image_config, task):
    repo_env = RepoEnv(docker_client, image_config)
    repo_env.reset(task[0])
    yield repo_env
    repo_env.close()


def edit(env: RepoEnv, **kwargs) -> str:
    return env.step(EditorAction(**kwargs))[0]


def test_view_file_numbers_lines_like_cat_n(env):
    out = edit(env, command="view", path=F, view_range=(6, -1))
    assert out == (
        f"Here's the result of running `cat -n` on {F}:\n"
        "     6\tdef sub(a, b):\n     7\t    return a - b\n     8\t\n"
    )


def test_view_range_out_of_file_is_openhands_error(env):
    out = edit(env, command="view", path=F, view_range=(0, 3))
    assert out == (
        "ERROR:\nInvalid `view_range`: [0, 3]. It's first element `0` should be within the "
        "range of lines of the file: [1, 8]"
    )


def test_directory_view_lists_two_levels_without_hidden_items(env):
    env.sandbox.run("mkdir -p /testbed/calc/deep/deeper && touch /testbed/calc/deep/deeper/x.py")
    out = edit(env, command="view", path="/testbed")
    lines = out.splitlines()
    assert lines[0] == (
        "Here's the files and directories up to 2 levels deep in /testbed, excluding hidden items:"
    )
    assert "/testbed/calc/deep" in lines and "/testbed/calc/deep/deeper" not in lines
    assert not any("/." in line for line in lines[1:])  # .git is hidden


def test_str_replace_needs_exactly_one_match(env):
    none = edit(env, command="str_replace", path=F, old_str="nope", new_str="x")
    assert none == (f"ERROR:\nNo replacement was performed, old_str `nope` did not appear verbatim in {F}.")
    many = edit(env, command="str_replace", path=F, old_str="return a - b", new_str="x")
    assert many == (
        "ERROR:\nNo replacement was performed. Multiple occurrences of old_str `return a - b` "
        "in lines [3, 7]. Please ensure it is unique."
    )


def test_insert_then_undo_restores_the_file(env):
    before = env.sandbox.read_file(F)
    out = edit(env, command="insert", path=F, insert_line=0, new_str="import math")
    assert out.startswith(f"The file {F} has been edited. Here's the result of running `cat -n`")
    assert "     1\timport math\n     2\tdef add(a, b):" in out
    assert env.sandbox.read_file(F).startswith(b"import math\ndef add")
    undo = edit(env, command="undo_edit", path=F)
    assert undo.startswith(f"Last edit to {F} undone successfully.")
    assert env.sandbox.read_file(F) == before
    assert edit(env, command="undo_edit", path=F) == f"ERROR:\nNo edit history found for {F}."


def test_create_makes_new_files_and_refuses_to_overwrite(env):
    new = "/testbed/pkg/new_module.py"
    assert edit(env, command="create", path=new, file_text="x = 1\n") == (
        f"File created successfully at: {new}"
    )
    assert env.sandbox.read_file(new) == b"x = 1\n"
    again = edit(env, command="create", path=new, file_text="y")
    assert again.startswith(f"ERROR:\nFile already exists at: {new}.")
    assert "+x = 1" in env.patch()  # new files belong to the patch


def test_relative_and_missing_paths_are_refused(env):
    assert "is not an absolute path" in edit(env, command="view", path="calc/__init__.py")
    assert edit(env, command="view", path="/testbed/missing.py") == (
        "ERROR:\nThe path /testbed/missing.py does not exist. Please provide a valid path."
    )


EVIL = "mkdir -p /tmp/evil && "
HIJACKS = {
    # a fake realpath first in PATH: it answers the path unresolved
    "path": EVIL + "printf '#!/bin/sh\\nfor a; do p=$a; done; echo \"$p\"\\n' > /tmp/evil/realpath"
    " && chmod +x /tmp/evil/realpath && export PATH=/tmp/evil:$PATH",
    # a shell function, defined in every command's shell through BASH_ENV
    "function": EVIL + "echo 'realpath() { for a; do p=$a; done; echo \"$p\"; }' > /tmp/evil/env.sh"
    " && export BASH_ENV=/tmp/evil/env.sh",
    # an alias, the same way
    "alias": EVIL + "printf 'shopt -s expand_aliases\\nalias realpath=\"echo /testbed/../etc/passwd #\"\\n'"
    " > /tmp/evil/env.sh && export BASH_ENV=/tmp/evil/env.sh",
}


@pytest.mark.parametrize("hijack", sorted(HIJACKS))
def test_path_checks_ignore_a_realpath_the_agent_planted_in_its_shell(env, hijack):
    env.step(BashAction(HIJACKS[hijack]))
    sneaky = "/testbed/../etc/passwd"
    # The hijack works in the agent's shell: realpath leaves the path unresolved ...
    assert env.step(BashAction(f"realpath -m -- {sneaky}"))[0].startswith(sneaky + "\n")
    before = env.sandbox.exec_as_root("cat /etc/passwd")[1]
    # ... but the editor's checks do not run there.
    for action in (
        EditorAction(command="view", path=sneaky),
        EditorAction(command="str_replace", path=sneaky, old_str="root", new_str="owned"),
        EditorAction(command="insert", path=sneaky, insert_line=0, new_str="owned::0:0::/:/bin/sh"),
    ):
        observation = env.step(action)[0]
        assert observation.startswith("ERROR:\nThe path") and "outside the repository" in observation
    assert env.sandbox.exec_as_root("cat /etc/passwd")[1] == before
    assert edit(env, command="view", path=F, view_range=(1, 1)).endswith("     1\tdef add(a, b):\n")


def test_the_editor_works_after_the_agent_kills_every_shell(env):
    edit(env, command="view", path=F)  # the checks' private shell is running now
    env.step(BashAction("pkill -9 -x bash; true"))  # the agent's own shell goes too
    assert edit(env, command="view", path=F, view_range=(1, 1)).endswith("     1\tdef add(a, b):\n")
    assert "outside the repository" in edit(env, command="view", path="/testbed/../etc/passwd")
