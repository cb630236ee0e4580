"""Dependency bounds, the constraints file CI installs with, and the warning for an untested TRL."""

from __future__ import annotations

import subprocess
import sys
import tomllib

from packaging.requirements import Requirement
from packaging.version import Version

from tests.conftest import REPO


def _requirements() -> list[Requirement]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    extras = [r for name, group in project["optional-dependencies"].items() if name != "gpu" for r in group]
    return [Requirement(line) for line in project["dependencies"] + extras]


def _pins() -> dict[str, Version]:
    lines = (REPO / "constraints.txt").read_text().splitlines()
    pins = [line.split("==") for line in lines if line and not line.startswith("#")]
    return {name.lower().replace("_", "-"): Version(version) for name, version in pins}


def _lower_bound(requirement: Requirement) -> Version:
    return next(Version(s.version) for s in requirement.specifier if s.operator == ">=")


def test_every_dependency_is_pinned_within_its_range_and_its_lower_bound_is_the_tested_minor():
    pins = _pins()
    for requirement in _requirements():
        pinned = pins[requirement.name.lower()]
        assert requirement.specifier.contains(pinned), f"{requirement} excludes the tested {pinned}"
        lower = _lower_bound(requirement)
        # The range starts at the tested release line, not at an older one nobody runs.
        assert lower.release[:2] == pinned.release[:2], f"{requirement}: CI tests {pinned}"


def test_trl_is_pinned_to_the_tested_minor_version():
    from srl_trainer.training.dynamic_sampling import TESTED_TRL

    trl = next(r for r in _requirements() if r.name == "trl")
    assert trl.specifier.contains(f"{TESTED_TRL}.0") and trl.specifier.contains(f"{TESTED_TRL}.9")
    major, minor = map(int, TESTED_TRL.split("."))
    assert not trl.specifier.contains(f"{major}.{minor + 1}.0")
    assert str(_pins()["trl"]).startswith(f"{TESTED_TRL}.")


def test_torch_pin_matches_the_readme_install_and_carries_no_build_tag():
    assert _pins()["torch"] == Version("2.13.0")
    assert "pip install torch==2.13.0" in (REPO / "README.md").read_text()


def test_ci_installs_with_the_constraints_file():
    assert '-e ".[dev]" -c constraints.txt' in (REPO / ".ci" / "run").read_text()


def test_untested_trl_is_one_warning_line_and_a_tested_one_is_silent():
    from srl_trainer.training.dynamic_sampling import untested_trl_warning

    assert untested_trl_warning("1.16.0") is None and untested_trl_warning("1.16.4") is None
    line = untested_trl_warning("1.17.0")
    assert line.startswith("warning: TRL 1.17.0 is installed") and "pip install 'trl~=1.16.0'" in line
    assert "\n" not in line and untested_trl_warning("1.160.0") is not None


def test_importing_dynamic_sampling_under_an_untested_trl_prints_the_line_once():
    # Only TRL's reported version is changed (no other TRL can be installed here): the import-time
    # check reads trl.__version__.
    code = "import trl; trl.__version__ = '1.17.0'; import srl_trainer.training.dynamic_sampling"
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    lines = [line for line in done.stderr.splitlines() if "TRL 1.17.0" in line]
    assert len(lines) == 1 and lines[0].startswith("warning: ")
