"""Fixtures for synthesis and collection tests: the Docker fixtures of tests/env and a task repo made
on the fly (a small package with a pytest suite, in its own git repository)."""

from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path

import pytest

from tests.env.conftest import base_image, docker_client  # noqa: F401 - the same fixtures, re-exported

GEOMETRY = '''\
"""Small geometry helpers."""


def clamp(value, low=0, high=10):
    if value < low:
        return low
    if value > high:
        return high
    return value


def perimeter(width, height):
    return 2 * (width + height)


def area(width, height):
    return width * height


def scale(points, factor=2):
    return [(x * factor, y * factor) for x, y in points]
'''
TESTS = """\
from geometry import area, clamp, perimeter, scale


def test_clamp_low():
    assert clamp(-5) == 0


def test_clamp_high():
    assert clamp(50) == 10


def test_clamp_inside():
    assert clamp(4) == 4


def test_perimeter():
    assert perimeter(2, 3) == 10


def test_area():
    assert area(2, 3) == 6


def test_scale_default():
    assert scale([(1, 2)]) == [(2, 4)]
"""


def make_repo(root: Path, files: dict[str, str]) -> Path:
    root.mkdir(parents=True)
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(textwrap.dedent(text))
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=root, check=True)
    subprocess.run([*git, "add", "."], cwd=root, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "init"], cwd=root, check=True)
    return root


@pytest.fixture
def geometry_repo(tmp_path) -> Path:
    return make_repo(tmp_path / "acme__geometry", {"geometry.py": GEOMETRY, "tests/test_geometry.py": TESTS})
