"""Issue-style problem statements written from what a failing test printed, never from the fix.

The input is pytest's ``--tb=short`` output of the buggy code. The statement quotes the test's own
line (what was called and what was expected) and pytest's ``E`` lines (what happened); frames inside
the library are left out, so the statement names the symptom and not the place of the bug.
"""

from __future__ import annotations

import ast
import random
import re
import textwrap
from pathlib import Path

# Calls in a test line that are plumbing, not the code under test.
NOT_THE_SUBJECT = {
    "assert",
    "len",
    "str",
    "int",
    "float",
    "list",
    "dict",
    "set",
    "tuple",
    "sorted",
    "isinstance",
    "repr",
    "round",
    "abs",
    "sum",
    "min",
    "max",
    "any",
    "all",
    "print",
    "type",
    "range",
    "approx",
    "raises",
    "pytest.raises",
    "pytest.approx",
    "math.isclose",
    "enumerate",
    "zip",
    "bool",
}
_SECTION = re.compile(r"^_{3,} (.+?) _{3,}$", re.MULTILINE)
_CALL = re.compile(r"([A-Za-z_][\w.]*)\(")


def test_header(test_id: str) -> str:
    """The title pytest prints above a failure: ``Class.test[param]`` for ``file::Class::test[param]``."""
    return ".".join(test_id.split("::")[1:])


def failure_section(output: str, test_id: str) -> str:
    """The short traceback pytest printed for ``test_id`` ('' when it printed none)."""
    header = test_header(test_id)
    matches = list(_SECTION.finditer(output))
    for index, match in enumerate(matches):
        if match.group(1).strip() != header:
            continue
        end = matches[index + 1].start() if index + 1 < len(matches) else len(output)
        body = output[match.end() : end]
        cut = re.search(r"^=+ .* =+$", body, re.MULTILINE)
        return body[: cut.start()] if cut else body
    return ""


def split_section(section: str) -> tuple[list[str], list[str]]:
    """(the test frame's code lines, pytest's ``E`` lines) of one short traceback."""
    lines = section.strip("\n").splitlines()
    code: list[str] = []
    errors: list[str] = []
    frames = 0
    for line in lines:
        if line.startswith("E "):
            errors.append(line[1:].strip() if not line[1:].startswith("    ") else line[4:])
        elif re.match(r"^\S.*:\d+: in \S+", line):
            frames += 1
        elif frames == 1 and line.startswith("    ") and not errors and set(line.strip()) != {"^"}:
            code.append(line[4:])
    return code, errors


def test_source(root: Path, test_id: str, max_lines: int = 25) -> list[str]:
    """The body of the test function (dedented) when it is short, else []."""
    parts = test_id.split("::")
    path = root / parts[0]
    names = [re.sub(r"\[.*\]$", "", p) for p in parts[1:]]
    try:
        source = path.read_text(encoding="utf-8")
        nodes = ast.parse(source).body
    except (OSError, SyntaxError, ValueError):
        return []
    node = None
    for name in names:
        node = next((n for n in nodes if getattr(n, "name", None) == name), None)
        if node is None:
            return []
        nodes = getattr(node, "body", [])
    if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) or "[" in test_id:
        return []
    body = node.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]
    if not body:
        return []
    lines = source.splitlines()[body[0].lineno - 1 : body[-1].end_lineno]
    if len(lines) > max_lines:
        return []
    return textwrap.dedent("\n".join(lines)).splitlines()


def subject_of(code: list[str], fallback: str) -> str:
    for line in code:
        for name in _CALL.findall(line):
            if name not in NOT_THE_SUBJECT and not name.startswith(("self.assert", "pytest.")):
                return name
    return fallback


def write_problem_statement(
    output: str, failing: list[str], rng: random.Random, root: Path | None = None
) -> str:
    """An issue report for the failing tests (the first one quoted), worded with some variety.

    ``root`` is the repository (for quoting the whole test when it is short)."""
    test_id = failing[0]
    code, errors = split_section(failure_section(output, test_id))
    code = [line for line in code if line.strip() and set(line.strip()) != {"^"}]
    whole = test_source(root, test_id) if root is not None else []
    test_name = test_id.split("::")[-1]
    subject = subject_of(code, "") or subject_of(whole, test_name)  # the failing line names it best
    code = whole or code
    errors = errors[:8] or ["the test fails"]
    exception = re.match(r"^(\w+(?:Error|Exception|Exit))\b", errors[-1]) or re.match(
        r"^(\w+Error)\b", errors[0]
    )
    if exception and exception.group(1) != "AssertionError":
        title = rng.choice(
            [f"`{subject}` raises {exception.group(1)}", f"{exception.group(1)} from `{subject}`"]
        )
    else:
        title = rng.choice(
            [
                f"`{subject}` returns the wrong result",
                f"Unexpected result from `{subject}`",
                f"Bug in `{subject}`",
                f"`{subject}` does not behave as documented",
            ]
        )
    intro = rng.choice(
        [
            f"The check in `{test_id}` does not hold:",
            f"While using `{subject}` I ran into a problem. This check (from `{test_id}`):",
            f"Running `{test_id}` shows that this no longer works:",
        ]
    )
    parts = [title, "", intro, "", "```python", *(code or [f"{test_name}()"]), "```", ""]
    parts.append(rng.choice(["I expected it to pass, but instead:", "Expected it to succeed; what happens:"]))
    parts += ["", "```", *errors, "```"]
    others = failing[1:]
    if others:
        shown = ", ".join(f"`{t}`" for t in others[:4])
        more = f" and {len(others) - 4} more" if len(others) > 4 else ""
        parts += ["", f"Other failing tests: {shown}{more}."]
    return "\n".join(parts).strip() + "\n"
