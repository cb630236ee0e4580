"""Fixtures for the environment tests: a real Docker engine, the offline base image, a task repo.

Docker tests are marked ``docker``. Without a reachable engine they skip with one line saying so;
in CI (.ci/setup_docker.sh starts dockerd first) they run.
"""

from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path

import pytest

from env.instances import Instance


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "docker: needs a running Docker engine (real containers)")


@pytest.fixture(scope="session")
def docker_client():
    try:
        import docker

        client = docker.from_env()
        client.ping()
    except Exception as error:  # any failure here means: no usable engine on this machine
        pytest.skip(f"no Docker engine reachable ({type(error).__name__}); run .ci/setup_docker.sh")
    yield client
    from env.images import LABEL_KEY
    from env.sandbox import SESSION, SESSION_LABEL

    # After the whole run, nothing this test session started may be left behind.
    left = client.containers.list(all=True, filters={"label": f"{SESSION_LABEL}={SESSION}"})
    assert not left, f"containers left after the tests: {[c.name for c in left]}"
    builds = client.containers.list(all=True, filters={"label": f"{LABEL_KEY}=image-build"})
    assert not builds, "image-build containers left after the tests"


@pytest.fixture(scope="session")
def base_image(docker_client) -> str:
    from env.images import ImageConfig, ensure_base_image

    return ensure_base_image(docker_client, ImageConfig())


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout


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
TEST_SUB = "from calc import sub\n\n\ndef test_sub():\n    assert sub(5, 3) == 2\n"
TEST_ADD = "from calc import add\n\n\ndef test_add():\n    assert add(2, 3) == 5\n"


@pytest.fixture(scope="session")
def task(tmp_path_factory) -> tuple[Instance, Path]:
    """A tiny repo ``acme/calc`` whose ``add`` subtracts, with a SWE-bench instance for it.

    The repo also holds the fix as a later commit; the instance image must not expose it.
    Returns the instance and the ``--repos`` directory.
    """
    import git

    repos = tmp_path_factory.mktemp("repos")
    root = repos / "acme__calc"
    root.mkdir()
    repo = git.Repo.init(root, initial_branch="main")
    with repo.config_writer() as cfg:
        cfg.set_value("user", "name", "Test").set_value("user", "email", "t@example.com")
    (root / "calc").mkdir()
    (root / "calc" / "__init__.py").write_text(BUGGY)
    (root / "tests").mkdir()
    (root / "tests" / "test_sub.py").write_text(TEST_SUB)
    repo.index.add(["calc/__init__.py", "tests/test_sub.py"])
    base = repo.index.commit("calc with a bug").hexsha
    (root / "calc" / "__init__.py").write_text(FIXED)
    gold = _git(root, "diff", base)
    (root / "tests" / "test_add.py").write_text(TEST_ADD)
    repo.index.add(["calc/__init__.py", "tests/test_add.py"])
    repo.index.commit("fix add (the future the agent must not see)")
    test_patch = _git(root, "diff", base, "HEAD", "--", "tests")
    instance = Instance(
        instance_id="acme__calc-1",
        repo="acme/calc",
        base_commit=base,
        problem_statement="add(2, 3) returns -1 instead of 5.",
        patch=gold,
        test_patch=test_patch,
        fail_to_pass=("tests/test_add.py::test_add",),
        pass_to_pass=("tests/test_sub.py::test_sub",),
    )
    return instance, repos


@pytest.fixture(scope="session")
def image_config(task):
    from env.images import ImageConfig

    return ImageConfig(repos=str(task[1]))


@pytest.fixture(scope="session")
def instance_image(docker_client, base_image, task, image_config) -> str:
    from env.images import ensure_instance_image

    return ensure_instance_image(docker_client, task[0], image_config)
