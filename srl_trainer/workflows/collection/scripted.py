"""The scripted expert: it knows the gold patch but works the way an engineer varies from task to task.

A seed (mixed with the instance id) decides how it explores (view the tree, ``find``, ``git
ls-files``, ``grep``), whether it runs the failing test first and how (``-q FILE``, ``-k NAME``,
``-x``, a node id), how much it reads (whole file, ``view_range``, ``sed -n``, ``grep -A``), whether
it writes a reproduction script, whether it takes a dead end it backs out of (opens an unrelated file,
or tries a wrong edit, sees the tests still fail and ``undo_edit``s it), how it checks the fix and
whether it looks at ``git diff``. It reacts to real observations: the wrong file it opens is one the
listing showed. The fix itself is the gold patch, applied hunk by hunk with ``str_replace``.
"""

from __future__ import annotations

import ast
import random
import re
import textwrap
from collections.abc import Callable, Generator
from dataclasses import dataclass

from agent.actions import Action, BashAction, EditorAction, FinishAction

ROOT = "/testbed"


@dataclass
class Hunk:
    path: str
    old_start: int
    lines: list[tuple[str, str]]  # (" " | "-" | "+", text)


def parse_patch(patch: str) -> list[Hunk]:
    """Hunks of a unified git diff (no renames or binary files: synthesis never makes them)."""
    hunks: list[Hunk] = []
    path = ""
    for line in patch.splitlines():
        if line.startswith("+++ "):
            path = line[4:].removeprefix("b/")
        elif line.startswith("--- ") or line.startswith("diff ") or line.startswith("index "):
            continue
        elif line.startswith("@@"):
            match = re.match(r"@@ -(\d+)", line)
            hunks.append(Hunk(path, int(match.group(1)) if match else 1, []))
        elif hunks and line[:1] in (" ", "-", "+"):
            hunks[-1].lines.append((line[0], line[1:]))
        elif hunks and line == "":
            hunks[-1].lines.append((" ", ""))
    return hunks


def minimal_replacement(hunk: Hunk, content: str) -> tuple[str, str]:
    """(old_str, new_str) covering the changed lines plus as little context as makes old_str unique."""
    changed = [i for i, (tag, _) in enumerate(hunk.lines) if tag != " "]
    lo, hi = changed[0], changed[-1]

    def texts(a: int, b: int) -> tuple[str, str]:
        window = hunk.lines[a : b + 1]
        old = "\n".join(t for tag, t in window if tag != "+")
        new = "\n".join(t for tag, t in window if tag != "-")
        return old, new

    old, new = texts(lo, hi)
    grow_low = True
    while (not old.strip() or content.count(old) != 1) and (lo > 0 or hi < len(hunk.lines) - 1):
        if (grow_low and lo > 0) or hi >= len(hunk.lines) - 1:
            lo -= 1
        else:
            hi += 1
        grow_low = not grow_low
        old, new = texts(lo, hi)
    return old, new


def enclosing_function(content: str, line: int) -> tuple[str, int, int]:
    """(name, first line, last line) of the innermost function holding ``line`` (1-based)."""
    try:
        tree = ast.parse(content)
    except SyntaxError:
        return "", max(1, line - 10), line + 10
    best = ("", max(1, line - 10), line + 10)
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            and node.lineno <= line <= node.end_lineno
        ):
            if not best[0] or node.lineno >= best[1]:
                best = (node.name, node.lineno, node.end_lineno)
    return best


def reproduction_script(test_file_content: str, test_name: str) -> str:
    """A standalone script running the test's body, or '' when the body needs fixtures or helpers."""
    try:
        tree = ast.parse(test_file_content)
    except SyntaxError:
        return ""
    imports = [n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)]
    function = next((n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == test_name), None)
    if function is None or function.args.args or function.decorator_list:
        return ""
    known = {alias.asname or alias.name.split(".")[0] for node in imports for alias in node.names}
    assigned = {n.id for n in ast.walk(function) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    import builtins

    for node in ast.walk(function):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            if node.id not in known and node.id not in assigned and not hasattr(builtins, node.id):
                return ""
    lines = test_file_content.splitlines()
    head = [ast.get_source_segment(test_file_content, n) or "" for n in imports]
    body = textwrap.dedent("\n".join(lines[function.body[0].lineno - 1 : function.end_lineno]))
    return "\n".join(head) + "\n\n" + body + '\nprint("reproduction finished without error")\n'


def _test_command(rng: random.Random, test_id: str) -> str:
    test_file, test_name = test_id.split("::")[0], re.sub(r"\[.*", "", test_id.split("::")[-1])
    shapes = [
        f"python3 -m pytest -q {test_file}",
        f"python3 -m pytest -q {test_file} -k {test_name}",
        "python3 -m pytest -x -q",
        f"python3 -m pytest '{test_id}'",
        f"python3 -m pytest -q --tb=short {test_file}",
        f"python3 -m pytest {test_file} -x",
    ]
    return f"cd {ROOT} && {rng.choice(shapes)}"


Plan = Generator[tuple[str, Action], str, None]


class ScriptedExpert:
    """A policy that solves an instance from its gold patch with seeded, engineer-like variation."""

    def __init__(self, seed: int, read_file: Callable[[str], str]) -> None:
        self.seed = seed
        self.read_file = read_file  # reads a file of the sandbox (the expert's privileged look)
        self._plan: Plan | None = None
        self._started = False

    def reset(self, instance) -> None:
        rng = random.Random(f"{self.seed}:{instance.instance_id}")
        self._plan = self._steps(instance, rng)
        self._started = False

    def act(self, context: list[dict], observation: str) -> tuple[str, Action]:
        """The next step of the plan; it reacts to the raw ``observation`` (the context is unused)."""
        assert self._plan is not None, "reset() first"
        try:
            if not self._started:
                self._started = True
                return next(self._plan)
            return self._plan.send(observation)
        except StopIteration:
            return "The fix is in place and the tests pass.", FinishAction()

    def _steps(self, instance, rng: random.Random) -> Plan:
        hunks = parse_patch(instance.patch)
        if not hunks:
            return
        path = f"{ROOT}/{hunks[0].path}"
        content = self.read_file(path)
        first_changed = hunks[0].old_start + next(i for i, (t, _) in enumerate(hunks[0].lines) if t != " ")
        function, fn_start, fn_end = enclosing_function(content, first_changed)
        test_id = (instance.fail_to_pass or instance.pass_to_pass or ("tests",))[0]
        test_file = test_id.split("::")[0]
        test_name = re.sub(r"\[.*", "", test_id.split("::")[-1])
        subject = (re.findall(r"`([^`\s]+)`", instance.problem_statement) or [function])[0].split(".")[-1]
        needle = function or subject

        # 1. Get the lay of the land.
        explore = rng.choice(["view", "find", "ls-files", "grep-def", "grep-subject", "ls"])
        thought = rng.choice(
            ["Let me look at the repository layout first.", "First, find where the relevant code lives."]
        )
        if explore == "view":
            listing = yield thought, EditorAction(command="view", path=ROOT)
        elif explore == "find":
            listing = yield thought, BashAction(f"find {ROOT} -name '*.py' -not -path '*/.git/*' | sort")
        elif explore == "ls-files":
            listing = yield thought, BashAction(f"cd {ROOT} && git ls-files")
        elif explore == "ls":
            listing = yield thought, BashAction(f"ls -R {ROOT} | head -60")
        elif explore == "grep-def":
            thought = f"The report points at `{subject}`; find where `{needle}` is defined."
            listing = yield thought, BashAction(f"grep -rn 'def {needle}' {ROOT} --include='*.py'")
        else:
            thought = f"Search the code for `{subject}`."
            listing = yield thought, BashAction(f"grep -rn '{subject}' {ROOT} --include='*.py' | head -30")

        # 2. See the failure with my own eyes (or not).
        if rng.random() < 0.5:
            thought = rng.choice(
                ["Run the failing test to see the error.", f"Reproduce the failure of {test_name} first."]
            )
            yield thought, BashAction(_test_command(rng, test_id))

        # 3. A dead end: an unrelated module.
        others = sorted(
            {
                p if p.startswith("/") else f"{ROOT}/{p.lstrip('./')}"
                for p in re.findall(r"(?:^|\s)(/?[\w./-]+\.py)\b", listing or "")
            }
            - {path}
        )
        others = [p for p in others if "test" not in p.rsplit("/", 1)[-1] and p.startswith(ROOT)]
        if others and rng.random() < 0.25:
            wrong = rng.choice(others)
            yield (
                f"Maybe the problem is in {wrong.rsplit('/', 1)[-1]}; take a look.",
                EditorAction(command="view", path=wrong),
            )

        # 4. Read the code.
        if explore not in ("grep-def",) and rng.random() < 0.3:
            yield f"Locate `{needle}` in {hunks[0].path}.", BashAction(f"grep -n 'def {needle}' {path}")
        read = rng.choice(["whole", "range", "sed", "grep-A"])
        lo, hi = max(1, fn_start - rng.randint(0, 5)), fn_end + rng.randint(0, 8)
        thought = rng.choice([f"Read `{needle}`.", f"Open {hunks[0].path} around `{needle}`."])
        if read == "whole":
            yield thought, EditorAction(command="view", path=path)
        elif read == "range":
            yield thought, EditorAction(command="view", path=path, view_range=(lo, hi))
        elif read == "sed":
            yield thought, BashAction(f"sed -n '{lo},{hi}p' {path}")
        else:
            yield thought, BashAction(f"grep -n -A {fn_end - fn_start + 2} 'def {needle}' {path}")

        # 5. Maybe look at the test, maybe write a reproduction script.
        if rng.random() < 0.35:
            yield (
                f"Check what {test_name} expects.",
                BashAction(f"grep -n -A 12 'def {test_name}' {ROOT}/{test_file}"),
            )
        script_name = ""
        if rng.random() < 0.4:
            try:
                script = reproduction_script(self.read_file(f"{ROOT}/{test_file}"), test_name)
            except (OSError, FileNotFoundError):
                script = ""
            if script:
                script_name = rng.choice(["reproduce.py", "repro.py", "reproduce_issue.py", "check_bug.py"])
                yield (
                    "Write a small script that reproduces the report.",
                    EditorAction(command="create", path=f"{ROOT}/{script_name}", file_text=script),
                )
                yield "Run it.", BashAction(f"cd {ROOT} && python3 {script_name}")

        # 6. A wrong attempt, backed out of.
        if rng.random() < 0.2:
            attempt = _wrong_edit(content, hunks[0], rng)
            if attempt is not None:
                old, new = attempt
                yield (
                    "Try changing this line first.",
                    EditorAction(command="str_replace", path=path, old_str=old, new_str=new),
                )
                yield "Check whether that helps.", BashAction(_test_command(rng, test_id))
                yield "That was not it; revert the edit.", EditorAction(command="undo_edit", path=path)

        # 7. The fix.
        for index, hunk in enumerate(hunks):
            hunk_path = f"{ROOT}/{hunk.path}"
            hunk_content = content if hunk.path == hunks[0].path else self.read_file(hunk_path)
            old, new = minimal_replacement(hunk, hunk_content)
            thought = (
                rng.choice(
                    [
                        f"Found it: `{needle}` is wrong here. Fix it.",
                        f"This is the bug in `{needle}`; correct it.",
                        "The logic here does not match the expected behaviour; fix it.",
                    ]
                )
                if index == 0
                else "The same change is needed here."
            )
            yield thought, EditorAction(command="str_replace", path=hunk_path, old_str=old, new_str=new)
            if hunk.path == hunks[0].path:
                content = content.replace(old, new, 1)

        # 8. Check.
        if rng.random() < 0.2:
            yield (
                "Look at the edited function again.",
                EditorAction(command="view", path=path, view_range=(max(1, fn_start), fn_end + 2)),
            )
        if script_name:
            yield "Re-run the reproduction script.", BashAction(f"cd {ROOT} && python3 {script_name}")
        yield "Run the tests again.", BashAction(_test_command(rng, test_id))
        if rng.random() < 0.35:
            yield (
                "Run the whole suite to make sure nothing else broke.",
                BashAction(f"cd {ROOT} && python3 -m pytest -q"),
            )
        if script_name:
            yield "Remove the reproduction script.", BashAction(f"rm {ROOT}/{script_name}")
        if rng.random() < 0.4:
            yield "Review the final change.", BashAction(f"cd {ROOT} && git diff")


def _wrong_edit(content: str, hunk: Hunk, rng: random.Random) -> tuple[str, str] | None:
    """A plausible but wrong single-line change near the bug, as (old_str, new_str)."""
    from srl_trainer.workflows.synthesis.mutations import find_mutations

    old_lines = [t for tag, t in hunk.lines if tag != "+"]
    try:
        mutations = find_mutations(content)
    except SyntaxError:
        return None
    lines = content.splitlines()
    fixed_lines = {t for tag, t in hunk.lines if tag == "+"}
    near = [m for m in mutations if hunk.old_start <= m.line < hunk.old_start + len(old_lines)]
    rng.shuffle(near)
    for mutation in near:
        line = lines[mutation.line - 1]
        mutated = mutation.apply(content).splitlines()
        if mutation.kind == "dropped_branch" or len(mutated) != len(lines):
            continue
        if content.count(line) == 1 and line.strip() and mutated[mutation.line - 1] not in fixed_lines:
            return line, mutated[mutation.line - 1]
    return None
