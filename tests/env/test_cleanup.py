"""Leftover containers: `cleanup` removes dead runs' containers only (all with --all), and so does the
next run on the host.

Every test here names the containers it made (``--session``), so nothing of another run on a
shared engine is touched.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from env.ownership import HOST, LABEL_KEY, SESSION_LABEL, STARTED_LABEL, run_state
from env.sandbox import SESSION, DockerSandbox, SandboxConfig

pytestmark = pytest.mark.docker
REPO = Path(__file__).resolve().parents[2]
SMALL = SandboxConfig(memory="256m", pids_limit=128)
# A process that makes one sandbox, says which, and waits (until killed, or at once with "exit").
MAKE_SANDBOX = (
    "import sys, docker\n"
    "from env.sandbox import SESSION, DockerSandbox, SandboxConfig\n"
    "box = DockerSandbox(docker.from_env(), sys.argv[1], SandboxConfig(memory='256m', pids_limit=128))\n"
    "print(SESSION, box.id, flush=True)\n"
    "if sys.argv[2] == 'exit':\n"
    "    box.close()\n"
    "else:\n"
    "    sys.stdin.read()\n"
)


def cleanup(*flags: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-m", "srl_trainer.swe", "cleanup", *flags],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def exists(client, container_id: str) -> bool:
    return bool(client.containers.list(all=True, filters={"id": container_id}))


def dead_pid() -> int:
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def test_cleanup_removes_the_sandbox_of_a_sigkilled_run_and_keeps_a_live_runs(docker_client, instance_image):
    # Made first: a process's first sandbox sweeps dead runs, which would take the killed one's.
    with DockerSandbox(docker_client, instance_image, SMALL) as live:
        killed = subprocess.Popen(
            [sys.executable, "-c", MAKE_SANDBOX, instance_image, "wait"],
            cwd=REPO,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        session, left = killed.stdout.readline().split()
        killed.send_signal(signal.SIGKILL)  # no handler runs: the container stays behind
        killed.wait(timeout=30)
        assert exists(docker_client, left)
        listed = cleanup("--dry-run", "--session", session)
        assert listed[0] == "would remove 1 container(s)" and listed[1].split()[0] == left[:12]
        assert listed[1].endswith("(dead run)") and exists(docker_client, left)
        assert cleanup("--session", SESSION) == [
            "removed 0 container(s); kept 1 of live runs or other hosts (--all removes them)"
        ]
        assert cleanup("--session", session) == ["removed 1 container(s)"]
        assert not exists(docker_client, left) and exists(docker_client, live.id)
        assert live.run("echo alive").output == "alive\n"


def test_cleanup_all_also_removes_live_and_other_hosts_containers(docker_client, base_image):
    sleeper = subprocess.Popen(["sleep", "600"])  # a live "run" of this host
    try:
        runs = {"live": f"{sleeper.pid}@{HOST}", "foreign": f"{dead_pid()}@another-host"}
        for session in runs.values():
            docker_client.containers.run(
                base_image,
                ["sleep", "infinity"],
                detach=True,
                network_mode="none",
                labels={LABEL_KEY: "sandbox", SESSION_LABEL: session},
            )
        for state, session in runs.items():
            assert cleanup("--session", session)[0].startswith("removed 0 container(s); kept 1"), state
            assert cleanup("--all", "--session", session) == ["removed 1 container(s)"], state
            assert (
                docker_client.containers.list(all=True, filters={"label": f"{SESSION_LABEL}={session}"}) == []
            )
    finally:
        sleeper.kill()
        sleeper.wait()


def test_the_next_run_on_the_host_removes_containers_of_dead_runs(docker_client, base_image, instance_image):
    me = f"{os.getpid()}@{HOST}"
    dead = {
        "gone": {SESSION_LABEL: f"{dead_pid()}@{HOST}"},
        # this process's pid, but another start time: the pid was reused, the run is dead
        "reused": {SESSION_LABEL: me, STARTED_LABEL: "1"},
    }
    assert [run_state(labels) for labels in dead.values()] == ["dead", "dead"]
    made = [
        docker_client.containers.run(
            base_image,
            ["sleep", "infinity"],
            detach=True,
            network_mode="none",
            labels={LABEL_KEY: "sandbox", **labels},
        ).id
        for labels in dead.values()
    ]
    done = subprocess.run(
        [sys.executable, "-c", MAKE_SANDBOX, instance_image, "exit"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert [exists(docker_client, c) for c in made] == [False, False]
    assert not exists(docker_client, done.stdout.split()[1])  # its own sandbox closed normally
