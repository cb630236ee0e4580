"""A tiny task built on the fly: repo ``acme/calc`` whose ``add`` subtracts, its SWE-bench instance,
and the expert trajectory an OpenHands run would have recorded for it.

Used by the tests and the benchmark, and handy as a smoke test of a Docker setup: everything is
real (a git repository, a gold patch, a test patch, pytest ids) and takes well under a second.
"""

from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path

from agent.actions import BashAction, EditorAction, FinishAction
from agent.trajectory import Step, Trajectory
from env.instances import Instance

WORKSPACE = "/workspace/acme__calc__1.0"  # the path the "recording" used for the repository
BUGGY = textwrap.dedent(
    '''\
    def add(a, b):
        """Sum of a and b."""
        return a - b


    def sub(a, b):
        return a - b
    '''
)
FIXED = BUGGY.replace("return a - b\n\n\ndef sub", "return a + b\n\n\ndef sub")
# A patch that applies cleanly but does not fix add(): evaluation tests and benchmarks use it as
# the "wrong prediction".
WRONG_PATCH = """diff --git a/calc/__init__.py b/calc/__init__.py
--- a/calc/__init__.py
+++ b/calc/__init__.py
@@ -1,3 +1,3 @@
 def add(a, b):
     \"\"\"Sum of a and b.\"\"\"
-    return a - b
+    return a * b
"""
TEST_SUB = "from calc import sub\n\n\ndef test_sub():\n    assert sub(5, 3) == 2\n"
TEST_ADD = "from calc import add\n\n\ndef test_add():\n    assert add(2, 3) == 5\n"


def _git(cwd: Path, *args: str) -> str:
    command = ["git", "-c", "user.name=demo", "-c", "user.email=demo@example.com", *args]
    return subprocess.run(command, cwd=cwd, check=True, capture_output=True, text=True).stdout


def build_demo_task(repos_dir: str | Path) -> Instance:
    """Create ``repos_dir/acme__calc`` (a clone source for --repos) and return its instance.

    The repo also holds the fix as a later commit, which an instance image must not expose.
    """
    root = Path(repos_dir) / "acme__calc"
    (root / "calc").mkdir(parents=True)
    (root / "tests").mkdir()
    _git(root, "init", "-q", "-b", "main")
    (root / "calc" / "__init__.py").write_text(BUGGY)
    (root / "tests" / "test_sub.py").write_text(TEST_SUB)
    _git(root, "add", ".")
    _git(root, "commit", "-q", "-m", "calc with a bug")
    base = _git(root, "rev-parse", "HEAD").strip()
    (root / "calc" / "__init__.py").write_text(FIXED)
    gold = _git(root, "diff", base)
    (root / "tests" / "test_add.py").write_text(TEST_ADD)
    _git(root, "add", ".")
    _git(root, "commit", "-q", "-m", "fix add (the future the agent must not see)")
    test_patch = _git(root, "diff", base, "HEAD", "--", "tests")
    return Instance(
        instance_id="acme__calc-1",
        repo="acme/calc",
        base_commit=base,
        problem_statement="add(2, 3) returns -1 instead of 5.",
        patch=gold,
        test_patch=test_patch,
        fail_to_pass=("tests/test_add.py::test_add",),
        pass_to_pass=("tests/test_sub.py::test_sub",),
    )


def demo_trajectory() -> Trajectory:
    """The expert run on the calc task, as OpenHands (old bash-tool framing) recorded it."""
    ws, file = WORKSPACE, f"{WORKSPACE}/calc/__init__.py"
    snippet_after = (
        '     1\tdef add(a, b):\n     2\t    """Sum of a and b."""\n     3\t    return a + b\n'
        "     4\t\n     5\t\n     6\tdef sub(a, b):\n     7\t    return a - b\n"
    )
    steps = [
        Step(
            "Look at the repository.",
            EditorAction(command="view", path=ws),
            f"Here's the files and directories up to 2 levels deep in {ws}, excluding hidden "
            f"items:\n{ws}\n{ws}/calc\n{ws}/calc/__init__.py\n{ws}/tests\n{ws}/tests/test_sub.py",
        ),
        Step(
            "Open the module.",
            EditorAction(command="view", path=file, view_range=(1, 3)),
            f"Here's the result of running `cat -n` on {file}:\n"
            '     1\tdef add(a, b):\n     2\t    """Sum of a and b."""\n     3\t    return a - b\n',
        ),
        Step(
            "add subtracts; fix it.",
            EditorAction(
                command="str_replace",
                path=file,
                old_str='"""Sum of a and b."""\n    return a - b',
                new_str='"""Sum of a and b."""\n    return a + b',
            ),
            f"The file {file} has been edited. Here's the result of running `cat -n` on a "
            f"snippet of {file}:\n{snippet_after}"
            "Review the changes and make sure they are as expected. "
            "Edit the file again if necessary.",
        ),
        Step(
            "Check it.",
            BashAction(command="python3 -c 'import calc; print(calc.add(2, 3))'"),
            "python3 -c 'import calc; print(calc.add(2, 3))'\r\n5[Python Interpreter: "
            "/opt/miniconda3/envs/testbed/bin/python]\nroot@openhands-workspace:"
            f"{ws} # \n[Command finished with exit code 0]",
        ),
        Step("Done.", FinishAction(), ""),
    ]
    problem = f"<uploaded_files>\n{ws}\n</uploaded_files>\nadd(2, 3) returns -1 instead of 5."
    return Trajectory(problem=problem, steps=steps, instance_id="acme__calc-1", resolved=True)
