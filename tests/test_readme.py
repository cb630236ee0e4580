"""The README's commands are the ones CI runs."""

from __future__ import annotations

import re

from tests.conftest import REPO


def _readme_commands() -> list[str]:
    return re.findall(r"```bash\n(.+?)\n```", (REPO / "README.md").read_text())


def test_ci_runs_the_readme_test_command_verbatim():
    main_job, tests = _readme_commands()[:2]
    assert "pytest" in tests and "srl_trainer.swe" in main_job
    assert tests in (REPO / ".ci" / "run").read_text().splitlines()
