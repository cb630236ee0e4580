"""Run an instance's FAIL_TO_PASS and PASS_TO_PASS tests inside a sandbox and read their verdicts.

The test patch is applied on top of whatever ``/testbed`` holds, then pytest runs exactly the listed
test ids with ``-rA`` (one ``STATUS id`` summary line per test). The full log goes to a file in the
container and comes back through the archive API, so no output limit can hide a verdict.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from env.instances import Instance
from env.sandbox import Sandbox
from env.shell import bash_quote

PASSING = {"PASSED", "XFAIL"}
_SUMMARY = re.compile(r"^(PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS) (.+?)(?: - .*)?$", re.MULTILINE)


@dataclass
class InstanceVerdicts:
    """Per listed test, whether it passed; plus the raw log for the report."""

    fail_to_pass: dict[str, bool] = field(default_factory=dict)
    pass_to_pass: dict[str, bool] = field(default_factory=dict)
    patch_applied: bool = True
    log: str = ""

    @property
    def resolved(self) -> bool:
        """SWE-bench's rule: every FAIL_TO_PASS passes and every PASS_TO_PASS still passes."""
        return self.patch_applied and all(self.fail_to_pass.values()) and all(self.pass_to_pass.values())


def parse_pytest_summary(log: str) -> dict[str, str]:
    """``test id -> status`` from pytest's ``-rA`` short summary lines."""
    return {match.group(2): match.group(1) for match in _SUMMARY.finditer(log)}


def run_instance_tests(sandbox: Sandbox, instance: Instance, timeout: int = 600) -> InstanceVerdicts:
    """Apply ``instance.test_patch`` and run the listed tests; /testbed keeps the test patch."""
    verdicts = InstanceVerdicts()
    if instance.test_patch.strip():
        sandbox.write_file("/tmp/srl_test.patch", instance.test_patch.encode())
        applied = sandbox.run(
            "cd /testbed && (git apply /tmp/srl_test.patch || patch -p1 -f < /tmp/srl_test.patch)",
            timeout=60,
        )
        if applied.exit_code != 0:
            verdicts.patch_applied = False
            verdicts.log = applied.output
            return verdicts
    tests = list(dict.fromkeys(instance.fail_to_pass + instance.pass_to_pass))
    ids = " ".join(bash_quote(t) for t in tests)
    sandbox.run(
        f"cd /testbed && python3 -m pytest -rA -p no:cacheprovider {ids} > /tmp/srl_test_output.txt 2>&1",
        timeout=timeout,
    )
    try:
        log = sandbox.read_file("/tmp/srl_test_output.txt").decode("utf-8", errors="replace")
    except FileNotFoundError:
        log = ""
    status = parse_pytest_summary(log)
    verdicts.log = log
    verdicts.fail_to_pass = {t: status.get(t) in PASSING for t in instance.fail_to_pass}
    verdicts.pass_to_pass = {t: status.get(t) in PASSING for t in instance.pass_to_pass}
    return verdicts
