"""The one grader of a patch on a SWE-bench-format instance, with swebench's own log parsing and grading.

The RLVR reward, ``collect``'s resolve filter, ``replay``'s final check, ``synthesize``'s check and
``evaluate`` all call :func:`grade`, so a reward and a verdict on the same patch always agree.

One grade: a FRESH container from the instance image (created for this grade and removed after it,
so nothing an earlier graded patch did - an installed package rewritten, a ``.pth`` hook, files
outside /testbed, git config, a process left running - can reach it), the patch applied with the
official harness's fallbacks (the log says which command took it), optionally the patch's changes
to test infrastructure reverted, then the eval script (test patch applied, FAIL_TO_PASS +
PASS_TO_PASS run between the official output markers, pytest's exit status recorded after them as
the official harness does), and the log graded by ``swebench.harness.grading.get_eval_report`` with
swebench's pytest parser.

Forged logs: test code runs inside pytest, so it can print whatever it likes into the log the grader
reads. :func:`forged_log_reasons` checks every graded log against pytest's own report and a log it
gives reasons for is never resolved (``Verdict.forged``; the official harness, which has no such
check, resolves some of them). Caught: status lines for a listed test printed after pytest's final
summary line (an atexit hook), a listed test reported failing and later passing, status lines for
listed tests with no final summary line at all (pytest ended early), more PASSED / fewer FAILED or
ERROR lines in the short test summary than pytest's final counts, failures counted with an exit
status of 0 (``os._exit(0)`` after the summary), two different recorded exit statuses. Not caught
(nor by the official harness, nor by any grader that runs the code under test in-process): test
code that changes what pytest itself reports (a monkeypatched report or terminal reporter) and so
yields a self-consistent all-passed log; nor appended lines that form a complete fake summary for
tests pytest printed no status for. benchmarks/fault_bench.py measures both kinds.

Test tampering: a patch that touches test infrastructure is listed in ``Verdict.tampered``
(:func:`tampered_paths`, on normalised paths, so ``tests//x.py`` is ``tests/x.py``): a file the
test patch touches or a listed test's file (a PASS_TO_PASS file the test patch leaves alone
included), any ``conftest.py``, pytest configuration in pytest.ini / tox.ini / setup.cfg /
pyproject.toml, an ``__init__.py`` in a test folder (imported before the tests, it can rewrite
them), a module at the repository root that shadows the runner (``pytest.py``, ``_pytest/``,
``pluggy/``, ``pytest_*``), and packaging metadata or path hooks (``*.dist-info``, ``*.egg-info``,
``*.egg-link``, ``*.pth``: a ``[pytest11]`` entry point there registers a plugin). With
``revert_tampered`` those paths are put back to the base commit (added ones deleted) before the
tests run; without it the official harness's behaviour is kept.

The runner cannot be replaced: the eval script starts pytest with the repository off ``sys.path``
(:data:`RUNNER`) and puts it first only once pytest is imported, as ``python -m pytest`` would, so
a root ``pytest.py`` is not what runs even unreverted.

Patches are applied only as ``git apply`` would take them (:func:`agent.patches.patch_refusal`,
checked before any of the fallbacks sees the patch): no path under ``.git/`` (GNU ``patch`` writes
``.git/hooks/post-checkout``, which runs at the grader's next checkout), none with a ``.``, ``..``
or empty component (``tests/./x.py``, ``tests//x.py``) or leaving the tree, no symbolic link
(``tests -> fake``). Such a patch is not
applied (``Verdict.refused``) and its paths are listed as tampering.
"""

from __future__ import annotations

import re
import shlex
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from agent.patches import header_names, normalize_path, patch_refusal, patched_files, path_problem
from env.instances import Instance, instance_record
from env.sandbox import DockerSandbox, SandboxConfig

START_MARKER = ">>>>> Start Test Output"
END_MARKER = ">>>>> End Test Output"
APPLY_FAILED_MARKER = ">>>>> Patch Apply Failed"
APPLIED_MARKER = ">>>>> Applied Patch"
LOG_PARSER = "parse_log_pytest"
# The official harness tries these in order (swebench.harness.constants GIT_APPLY_CMDS).
APPLY_COMMANDS = (
    "git apply --verbose",
    "git apply --verbose --reject",
    "patch --batch --fuzz=5 -p1 -i",
)
HEREDOC = "EOF_SRL_TRAINER_PATCH"
PATCH_PATH = "/tmp/patch.diff"
# File names that configure pytest or hook into it wherever they sit in the repository.
TEST_CONFIG_NAMES = frozenset(
    {"conftest.py", "pytest.ini", ".pytest.ini", "tox.ini", "setup.cfg", "pyproject.toml"}
)
# Top-level modules of the test runner: one of these at the repository root would be imported in
# place of the installed one wherever the root is on sys.path (root-level ``pytest_*`` plugins too).
RUNNER_MODULES = frozenset({"pytest", "_pytest", "pluggy", "py", "iniconfig", "tomli", "tomllib"})
MODULE_SUFFIXES = (".py", ".pyc", ".so", ".pyd")
# Packaging metadata and path hooks: importlib.metadata and pkg_resources read entry points
# ([pytest11] plugins) from any *.dist-info / *.egg-info / *.egg on sys.path (in any letter case),
# and site runs *.pth lines.
PACKAGING_SUFFIXES = (".dist-info", ".egg-info", ".egg")
PATH_HOOK_SUFFIXES = (".pth", ".egg-link")
TEST_FOLDER_NAMES = frozenset({"test", "tests"})
# How the eval script starts pytest: like ``python3 -m pytest`` (the repository first on sys.path,
# so the tests import its code), except that pytest (and what it reads its configuration with) is
# imported before the repository is put there, so no module the patch adds can stand in for it.
RUNNER = (
    "python3 -c 'import os, sys; sys.path[:1] = [p for p in sys.path[:1] if p]; "
    "import importlib.util, pytest; "
    '[__import__(n) for n in ("tomllib", "tomli", "iniconfig") if importlib.util.find_spec(n)]; '
    'sys.path.insert(0, os.getcwd()); sys.exit(getattr(pytest, "console_main", pytest.main)())\''
)
# Official SWE-bench / SWE-Gym images keep the task's Python in this conda env; built images have none.
CONDA_ACTIVATE = "/opt/miniconda3/bin/activate"
# What is kept of a test log (in memory and in test_output.txt): its first LOG_HEAD and last LOG_TAIL
# bytes, streamed out of the container, so a test printing gigabytes cannot fill host memory or disk.
# The start marker and the apply output sit in the head; pytest -rA prints its PASSED/FAILED summary
# last, so the tail holds the summary of some 40,000 tests (real SWE-bench logs are well under 5 MB).
LOG_HEAD = 1 << 20
LOG_TAIL = 4 << 20


@dataclass
class Verdict:
    """What one grade found. ``error`` is set when no verdict could be reached (bad instance record,
    tests timed out, the container failed); such a grade is never resolved."""

    resolved: bool = False
    fail_to_pass: dict[str, bool] = field(default_factory=dict)
    pass_to_pass: dict[str, bool] = field(default_factory=dict)
    patch_applied: bool = False
    refused: str = ""  # why the patch was not even tried (agent.patches.patch_refusal), or ''
    apply_command: str = ""  # which of APPLY_COMMANDS took the patch ('' for an empty patch)
    tampered: list[str] = field(default_factory=list)  # test-infrastructure paths the patch touches
    reverted: bool = False  # whether those paths were put back before the tests ran
    forged: list[str] = field(default_factory=list)  # forged_log_reasons of the test log (never resolved)
    log: str = ""
    error: str = ""
    report: dict[str, Any] = field(default_factory=dict)  # swebench's report entry of the instance
    seconds: float = 0.0


def instance_problem(instance: Instance) -> str:
    """Why ``instance`` cannot be graded, or ''.

    Decision: FAIL_TO_PASS must be present and non-empty (with no failing test to fix, any patch
    would be "resolved"); PASS_TO_PASS must be present, but an explicitly empty list is fine (many
    real instances have none). A record that lacks either key, or has it null, is an error for that
    instance and never resolved.
    """
    missing = [name for name in ("FAIL_TO_PASS", "PASS_TO_PASS") if name in instance.missing_fields]
    if missing:
        return f"instance record has no {' or '.join(missing)}: it cannot be graded (fix the instances file)"
    if not instance.fail_to_pass:
        return "instance record has an empty FAIL_TO_PASS: no test shows the fix (fix the instances file)"
    return ""


def _diff_paths(patch: str) -> list[str]:
    """Every repository path a diff touches, both sides of a rename included, normalised
    (``tests/./x.py`` and ``tests//x.py`` are ``tests/x.py``), then any other path its headers
    name (a path unidiff does not see is still one ``patch`` may write)."""
    return list(dict.fromkeys(normalize_path(p) for p in _unidiff_paths(patch) + header_names(patch)[0]))


def _unidiff_paths(patch: str) -> list[str]:
    """Every repository path a diff touches as unidiff reads it (or its ``diff --git`` headers)."""
    from unidiff import PatchSet
    from unidiff.errors import UnidiffParseError

    try:
        files = PatchSet(patch)
    except UnidiffParseError:  # not parseable as a whole: the ``diff --git`` headers still name the files
        return patched_files(patch)
    paths = []
    for patched in files:
        for name in (patched.source_file, patched.target_file):
            if name and name != "/dev/null":
                paths.append(name[2:] if name[:2] in ("a/", "b/") else name)
    return list(dict.fromkeys(paths))


def listed_test_files(instance: Instance) -> set[str]:
    """The files of the test patch and of the listed tests (``path::name`` ids), normalised."""
    listed = [t.split("::", 1)[0] for t in instance.fail_to_pass + instance.pass_to_pass if "::" in t]
    return {normalize_path(p) for p in patched_files(instance.test_patch) + listed}


def _is_infrastructure(path: str, tests: set[str], test_folders: set[str]) -> bool:
    """Whether the normalised repository path ``path`` is test infrastructure (module docstring)."""
    pure = PurePosixPath(path)
    parts = pure.parts
    if path in tests or pure.name in TEST_CONFIG_NAMES or path_problem(path):
        return True
    in_test_folder = str(pure.parent) in test_folders or pure.parent.name in TEST_FOLDER_NAMES
    if pure.name == "__init__.py" and in_test_folder:
        return True
    lowered = path.lower().split("/")  # metadata folders are found in any letter case
    if lowered[-1].endswith(PATH_HOOK_SUFFIXES) or any(d.endswith(PACKAGING_SUFFIXES) for d in lowered):
        return True
    root = parts[0] if parts else ""
    if len(parts) == 1 and not root.endswith(MODULE_SUFFIXES):
        return False  # a root-level file that is no module (README, py.typed)
    module = root.split(".", 1)[0]
    return module in RUNNER_MODULES or module.startswith("pytest_")


def tampered_paths(instance: Instance, patch: str) -> list[str]:
    """Normalised paths of ``patch`` that change test infrastructure (module docstring), in the
    order the patch names them: test-patch and listed test files, conftest.py and pytest
    configuration, ``__init__.py`` of test folders, root modules shadowing the runner, packaging
    metadata and path hooks, paths ``git apply`` refuses, and symbolic links the patch makes."""
    tests = listed_test_files(instance)
    test_folders = {str(PurePosixPath(p).parent) for p in tests}
    flagged = [p for p in _diff_paths(patch) if _is_infrastructure(p, tests, test_folders)]
    flagged += [normalize_path(p) for p in header_names(patch)[1]]  # symbolic links
    return list(dict.fromkeys(flagged))


def make_eval_script(instance: Instance) -> str:
    """The script that applies the test patch and runs the listed tests between the markers."""
    files = " ".join(shlex.quote(f) for f in patched_files(instance.test_patch))
    tests = " ".join(shlex.quote(t) for t in dict.fromkeys(instance.fail_to_pass + instance.pass_to_pass))
    lines = [
        "#!/bin/bash",
        "set -uxo pipefail",
        f"if [ -f {CONDA_ACTIVATE} ]; then source {CONDA_ACTIVATE} && conda activate testbed; fi",
        "cd /testbed",
        "git config --global --add safe.directory /testbed",
    ]
    if files:
        lines.append(f"git checkout {instance.base_commit} -- {files}")
    if instance.test_patch.strip():
        lines += [f"git apply -v - <<'{HEREDOC}'", instance.test_patch.rstrip("\n"), HEREDOC]
    lines += [
        f"echo '{START_MARKER}'",
        f"{RUNNER} -rA -p no:cacheprovider {tests}",
        f"echo '{END_MARKER}'",
    ]
    if files:
        lines.append(f"git checkout {instance.base_commit} -- {files}")
    return "\n".join(lines) + "\n"


def official_eval_script(instance: Instance, image: str) -> str:
    """:func:`make_eval_script` as the official harness runs it: swebench's ``make_test_spec`` adds a
    line after the end marker recording pytest's own exit status, and ``get_eval_report`` rejects a
    log that reports no failure while pytest exited non-zero (test code printing fake ``PASSED``
    lines after pytest's summary). Test code that also forces the exit status to 0 still passes,
    as it does in the official harness."""
    from swebench.harness.utils import make_test_spec

    return make_test_spec(official_row(instance, image)).eval_script


def revert_script(instance: Instance, paths: list[str]) -> str:
    """Shell that puts ``paths`` back as they are at the base commit (deleting those it lacks, and
    the folders that leaves empty: an empty ``NAME.dist-info/`` still reads as a distribution)."""
    lines = ["cd /testbed"]
    for path in paths:
        q = shlex.quote(path)
        lines.append(
            f"if git cat-file -e {instance.base_commit}:{q} 2>/dev/null; "
            f"then git checkout -q {instance.base_commit} -- {q}; else rm -rf -- {q}; "
            f'd=$(dirname -- {q}); while [ "$d" != . ] && rmdir -- "$d" 2>/dev/null; '
            'do d=$(dirname -- "$d"); done; fi'
        )
    return "\n".join(lines) + "\n"


def official_row(instance: Instance, image: str) -> dict[str, Any]:
    """The instance as a swebench 5.x local-dataset row (image, eval_script, log_parser, eval_type)."""
    return {
        **instance_record(instance),
        "version": instance.version or "0.0",
        "image": image,
        "eval_script": make_eval_script(instance),
        "log_parser": LOG_PARSER,
        "eval_type": "pass_and_fail",
    }


def apply_model_patch(sandbox, patch: str) -> tuple[str, str]:
    """Apply ``patch`` in /testbed with the official fallbacks; (the command that took it or '', log).

    A failed attempt is undone before the next one (``--reject`` may leave half a patch behind).
    A patch :func:`agent.patches.patch_refusal` refuses is not tried at all ('', the reason).
    """
    refusal = patch_refusal(patch)
    if refusal:
        return "", f"patch not applied: {refusal} (git apply refuses it; so does this grader)"
    sandbox.write_file(PATCH_PATH, patch.encode())
    log = []
    for command in APPLY_COMMANDS:
        result = sandbox.run(f"cd /testbed && {command} {PATCH_PATH}", timeout=120)
        log.append(f"$ {command} {PATCH_PATH}\n{result.output}")
        if result.exit_code == 0:
            return command, "\n".join(log)
        sandbox.run("cd /testbed && git checkout -- . && git clean -fdq", timeout=60)
    return "", "\n".join(log)


def grade_log(instance: Instance, image: str, patch: str, log_path: Path) -> dict[str, Any]:
    """swebench's report entry of ``instance`` for a saved test log (``get_eval_report``, pytest parser)."""
    from swebench.harness.grading import get_eval_report
    from swebench.harness.utils import make_test_spec

    spec = make_test_spec(official_row(instance, image))
    prediction = {"instance_id": instance.instance_id, "model_name_or_path": "srl", "model_patch": patch}
    report = get_eval_report(spec, prediction, str(log_path), include_tests_status=True)
    return report[instance.instance_id]


def _test_verdicts(report: dict[str, Any], tests: tuple[str, ...], kind: str) -> dict[str, bool]:
    """test id -> passed, from a report entry's tests_status (a test it does not list failed)."""
    passed = set(report.get("tests_status", {}).get(kind, {}).get("success", []))
    return {test: test in passed for test in tests}


# What swebench's parse_log_pytest reads as a test status (a line starting with one of these).
STATUSES = ("FAILED", "PASSED", "SKIPPED", "ERROR", "XFAIL")
PASSING = frozenset({"PASSED", "XFAIL"})  # swebench's test_passed
FAILING = frozenset({"FAILED", "ERROR"})
ANSI = re.compile(r"\x1b\[[0-9;]*m")
SUMMARY_HEADER = re.compile(r"^=+ short test summary info =+$")
# pytest's last line: "==== 1 failed, 1 passed in 0.15s ====" (older: "in 0.15 seconds"; a long run
# adds "(0:01:02)"; nothing collected: "no tests ran in 0.01s").
FINAL_LINE = re.compile(r"^=+ (?P<counts>\S.*) in \d+(?:\.\d+)?(?:s| seconds)\b.*=+$")
COUNT = re.compile(r"(\d+) (passed|failed|errors?|xfailed)\b")
EXIT_CODE = re.compile(r"^>>>>> Test Exit Code:\s*(-?\d+)\s*$", re.MULTILINE)


def _status_of(line: str) -> tuple[str, str] | None:
    """(status, test id) of a log line as swebench's ``parse_log_pytest`` reads it, or None."""
    if not line.startswith(STATUSES):
        return None
    words = (line.replace(" - ", " ") if line.startswith("FAILED") else line).split()
    return (words[0], words[1]) if len(words) > 1 else None


def forged_log_reasons(log: str, instance: Instance) -> list[str]:
    """Why the test log ``log`` of ``instance`` cannot be pytest's own report, or [] for an honest log.

    Cheap checks of what test code running inside pytest can append to the log, each resting on
    how pytest -rA writes it; the test ids they look at are the instance's listed ones (FAIL_TO_PASS
    + PASS_TO_PASS, a truncated parametrized id matching as swebench's ``_resolve_case`` does), so
    the status lines of nested pytest runs that tests print (pytest's own test suite) do not trip
    them unless they name a listed test:

    - a status line for a listed test after pytest's final summary line (the first
      ``=== ... in 0.12s ===`` line after the last ``short test summary info`` header): pytest prints
      nothing after it, the eval script only its markers and exit status;
    - a listed test (or its file, for a collection error) reported FAILED / ERROR and later PASSED /
      XFAIL: pytest's short summary lists a test's passes before its errors and failures;
    - status lines for listed tests but no final summary line: pytest always ends with one;
    - in the short test summary, more PASSED (XFAIL) lines than pytest counted passed (xfailed), or
      fewer FAILED (ERROR) lines than it counted failed (errors);
    - failures or errors counted while the recorded exit status is 0 (pytest then exits 1), or two
      different recorded exit statuses.

    Not caught: test code that changes what pytest itself reports (a patched report or reporter)
    writes a self-consistent log; no check of the log can tell it from an honest one.
    """
    lines = [ANSI.sub("", line).rstrip("\r") for line in log.split("\n")]
    listed = set(instance.fail_to_pass) | set(instance.pass_to_pass)
    truncated = [t for t in listed if t.count("[") > t.count("]")]

    def listed_names(test: str) -> list[str]:
        """The listed tests a status line's id stands for (a file's id: all its listed tests)."""
        names = [test] if test in listed else [t for t in truncated if test.startswith(t)]
        if not names and "::" not in test:  # a collection error reports the file
            names = [t for t in listed if t.startswith(test + "::")]
        return names

    def shown(items: list[str]) -> str:
        return "; ".join(items[:3]) + (f" (+{len(items) - 3} more)" if len(items) > 3 else "")

    statuses = [(i, *parsed) for i, line in enumerate(lines) if (parsed := _status_of(line))]
    mine = [(i, status, test) for i, status, test in statuses if listed_names(test)]
    headers = [i for i, line in enumerate(lines) if SUMMARY_HEADER.match(line)]
    finals = [i for i, line in enumerate(lines) if FINAL_LINE.match(line)]
    start = headers[-1] if headers else -1
    end = next((i for i in finals if i > start), finals[-1] if finals else None)
    codes = [int(code) for code in EXIT_CODE.findall(log)]
    reasons = []

    if end is None and mine:
        reasons.append(f"{len(mine)} status line(s) for listed tests but no pytest final summary line")
    late = [f"{status} {test}" for i, status, test in mine if end is not None and i > end]
    if late:
        reasons.append(f"status lines after pytest's final summary line (line {end + 1}): {shown(late)}")

    failed_at: dict[str, str] = {}  # listed test -> its first FAILED / ERROR line
    flips = []
    for i, status, test in mine:
        for name in listed_names(test):
            if status in FAILING:
                failed_at.setdefault(name, f"{lines[i].split(' ', 1)[0]} on line {i + 1}")
            elif status in PASSING and name in failed_at:
                flips.append(f"{name}: {failed_at.pop(name)}, {status} on line {i + 1}")
    if flips:
        reasons.append(f"listed tests reported failing and later passing: {shown(flips)}")

    if end is not None:
        final = lines[end].strip("= ")
        counted = {"passed": 0, "failed": 0, "error": 0, "xfailed": 0}
        for number, word in COUNT.findall(FINAL_LINE.match(lines[end])["counts"]):
            counted["error" if word.startswith("error") else word] += int(number)
        section = lines[start + 1 : end] if headers and start < end else []
        if section and not any("bytes cut ...]" in line for line in section):  # a cut log: not counted
            seen = {status: 0 for status in STATUSES}
            for line in section:
                first = line.split(" ", 1)[0]
                seen[first] = seen.get(first, 0) + 1
            for status, word, too_many in (
                ("PASSED", "passed", True),
                ("XFAIL", "xfailed", True),
                ("FAILED", "failed", False),
                ("ERROR", "error", False),
            ):
                if seen[status] > counted[word] if too_many else seen[status] < counted[word]:
                    reasons.append(
                        f"the short test summary has {seen[status]} {status} line(s) but pytest's final "
                        f"line counts {counted[word]} {word} ('{final}')"
                    )
        if counted["failed"] + counted["error"] and codes and codes[-1] == 0:
            reasons.append(f"pytest counted failures ('{final}') but the recorded exit status is 0")
    if len(set(codes)) > 1:
        reasons.append(f"the log records different test exit statuses: {', '.join(map(str, codes))}")
    return reasons


def read_test_log(sandbox, path: str = "/tmp/test_output.txt") -> str:
    """The test log at ``path`` in ``sandbox``, capped at :data:`LOG_HEAD` + :data:`LOG_TAIL` bytes.

    A longer log keeps its head and tail around the sandbox's cut note and starts with one line
    saying how much it had and what was kept.
    """
    data = sandbox.read_file(path, head=LOG_HEAD, tail=LOG_TAIL)
    if len(data) <= LOG_HEAD + LOG_TAIL:
        return data.decode("utf-8", errors="replace")
    total = LOG_HEAD + LOG_TAIL + int(data[LOG_HEAD : LOG_HEAD + 64].split(b" ")[1])  # CUT_NOTE's count
    note = f"[test output cut: {total:,} bytes; kept the first {LOG_HEAD:,} and the last {LOG_TAIL:,}]\n"
    return note + data.decode("utf-8", errors="replace")


def grade(
    client,
    image: str,
    instance: Instance,
    patch: str,
    *,
    timeout: int = 1800,
    revert_tampered: bool = False,
    log_dir: Path | None = None,
    sandbox_config: SandboxConfig | None = None,
) -> Verdict:
    """Grade ``patch`` on ``instance`` in a fresh container of ``image`` (removed afterwards).

    With ``log_dir`` the evidence stays there (``patch.diff``, ``eval.sh``, ``test_output.txt``);
    otherwise it goes to a temporary folder. Docker errors propagate; a timeout is ``error``.
    """
    started = time.monotonic()
    verdict = Verdict(tampered=tampered_paths(instance, patch), refused=patch_refusal(patch))
    verdict.error = instance_problem(instance)
    if verdict.error:
        return verdict
    with tempfile.TemporaryDirectory(prefix="srl-grade-") as scratch:
        folder = Path(log_dir) if log_dir is not None else Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        _grade_in_fresh_container(
            client, image, instance, patch, timeout, revert_tampered, folder, verdict, sandbox_config
        )
    verdict.seconds = time.monotonic() - started
    return verdict


def _grade_in_fresh_container(
    client,
    image: str,
    instance: Instance,
    patch: str,
    timeout: int,
    revert_tampered: bool,
    folder: Path,
    verdict: Verdict,
    sandbox_config: SandboxConfig | None = None,
) -> None:
    """The container part of :func:`grade`: fills ``verdict`` and writes the evidence to ``folder``."""
    script = official_eval_script(instance, image)
    (folder / "patch.diff").write_text(patch)
    (folder / "eval.sh").write_text(script)
    output_path = folder / "test_output.txt"
    config = sandbox_config or SandboxConfig(timeout=timeout, output_head=2000, output_tail=2000)
    with DockerSandbox(client, image, config) as sandbox:
        if patch.strip():
            verdict.apply_command, apply_log = apply_model_patch(sandbox, patch)
            if not verdict.apply_command:
                verdict.log = f"{apply_log}\n{APPLY_FAILED_MARKER}\n"
                output_path.write_text(verdict.log)
                verdict.report = grade_log(instance, image, patch, output_path)
                return
            head = f"{apply_log}\n{APPLIED_MARKER} ({verdict.apply_command})\n"
        else:
            head = "(empty patch: nothing to apply)\n"
        verdict.patch_applied = True
        if revert_tampered and verdict.tampered:
            reverted = sandbox.run(revert_script(instance, verdict.tampered), timeout=60)
            verdict.reverted = reverted.exit_code == 0
            head += f"[test infrastructure reverted to the base commit: {', '.join(verdict.tampered)}]\n"
            if not verdict.reverted:
                verdict.error = (
                    f"could not revert the patch's test-infrastructure changes: {reverted.output[:200]}"
                )
                output_path.write_text(head + reverted.output)
                return
        sandbox.write_file("/eval.sh", script.encode())
        started = time.monotonic()
        result = sandbox.run("/bin/bash /eval.sh > /tmp/test_output.txt 2>&1", timeout=timeout)
        log = read_test_log(sandbox)
    if result.timed_out:
        verdict.log = head + log + f"\n\nTimeout error: {timeout} seconds exceeded.\n"
        verdict.error = f"tests timed out after {timeout}s"
        output_path.write_text(verdict.log)
        return
    verdict.log = head + log + f"\n[eval.sh ran {time.monotonic() - started:.1f}s]\n"
    output_path.write_text(verdict.log)
    verdict.report = grade_log(instance, image, patch, output_path)
    verdict.forged = forged_log_reasons(verdict.log, instance)
    verdict.resolved = bool(verdict.report.get("resolved")) and not verdict.forged
    verdict.fail_to_pass = _test_verdicts(verdict.report, instance.fail_to_pass, "FAIL_TO_PASS")
    verdict.pass_to_pass = _test_verdicts(verdict.report, instance.pass_to_pass, "PASS_TO_PASS")
