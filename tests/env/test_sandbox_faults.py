"""Hostile and faulty commands on a real container: each must be contained and reported."""

from __future__ import annotations

import os
import time

import pytest

from env.sandbox import DockerSandbox, SandboxBroken, SandboxConfig

pytestmark = pytest.mark.docker

LIMITS = SandboxConfig(memory="256m", cpus=1.0, pids_limit=128, workdir="/testbed")


@pytest.fixture(scope="module")
def sandbox(docker_client, instance_image):
    with DockerSandbox(docker_client, instance_image, LIMITS) as box:
        yield box


def test_cd_and_exported_variables_persist_between_commands(sandbox):
    sandbox.run("cd /tmp && export GREETING='hello world'")
    result = sandbox.run('pwd; echo "$GREETING"')
    assert result.output == "/tmp\nhello world\n"
    sandbox.run("cd /testbed")


def test_exit_code_and_merged_output(sandbox):
    result = sandbox.run("echo out; echo err >&2; exit 3")
    assert (result.exit_code, result.output) == (3, "out\nerr\n")


def test_network_is_off(sandbox):
    probe = (
        "python3 -c \"import socket; socket.create_connection(('1.1.1.1', 80), timeout=3)\" "
        "&& echo CONNECTED; python3 -c \"import socket; socket.getaddrinfo('debian.org', 80)\" "
        "&& echo RESOLVED; ls /sys/class/net"
    )
    result = sandbox.run(probe, timeout=20)
    assert "CONNECTED" not in result.output and "RESOLVED" not in result.output
    assert result.output.split()[-1] == "lo"  # no interface but loopback


def test_memory_hog_is_killed_reported_and_the_sandbox_stays_usable(sandbox):
    result = sandbox.run("python3 -c 'x = b\"x\" * (1 << 30)'", timeout=60)
    assert result.exit_code == 137 and not result.timed_out and result.oom_killed
    assert "Killed" in result.output
    from env.repo_env import bash_observation

    observation = bash_observation(137, result.output, False, 60, oom_killed=True, memory="256m")
    assert "[The command was killed: it ran out of memory (the sandbox has a limit of 256m)]" in observation
    assert sandbox.run("echo alive").output == "alive\n"


def test_fork_bomb_is_held_by_the_pids_limit(sandbox):
    started = time.monotonic()
    result = sandbox.run("bomb() { bomb | bomb & }; bomb; sleep 3", timeout=5)
    assert time.monotonic() - started < 30
    # Either the in-container timeout killed the bomb (137) or stray forks kept the output open
    # and the sandbox killed every process and restarted its shell (-1, timed out).
    assert result.exit_code == 137 or (result.exit_code == -1 and result.timed_out)
    # The bomb is gone (killed by the timeout's process-group kill or reaped) and we can work.
    deadline = time.monotonic() + 20
    while "alive" not in sandbox.run("echo alive", timeout=10).output:
        assert time.monotonic() < deadline
    count = int(sandbox.run("ls /proc | grep -c '^[0-9]'").output)
    assert count <= LIMITS.pids_limit


def test_sleep_past_the_timeout_ends_with_a_clear_timeout(sandbox):
    from env.repo_env import bash_observation

    started = time.monotonic()
    result = sandbox.run("sleep 1000", timeout=2)
    assert time.monotonic() - started < 10
    assert result.timed_out and result.exit_code == 137
    observation = bash_observation(result.exit_code, result.output, result.timed_out, 2)
    assert observation.endswith("[Command timed out after 2 seconds and was killed]")
    assert sandbox.run("echo next").output == "next\n"


def _rss_kib() -> int:
    with open(f"/proc/{os.getpid()}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def test_one_gigabyte_of_output_is_cut_and_host_memory_stays_bounded(sandbox):
    before = _rss_kib()
    result = sandbox.run("head -c 1000000000 /dev/zero | tr '\\0' 'y'", timeout=120)
    grown_mib = (_rss_kib() - before) / 1024
    assert result.truncated
    assert len(result.output) < LIMITS.output_head + LIMITS.output_tail + 200
    assert "output truncated" in result.output
    assert grown_mib < 50, f"host process grew by {grown_mib:.0f} MiB"


def test_rm_rf_root_inside_harms_nothing_outside(docker_client, instance_image, tmp_path):
    sentinel = tmp_path / "sentinel.txt"
    sentinel.write_text("still here")
    with DockerSandbox(docker_client, instance_image, LIMITS) as box:
        box.run("rm -rf --no-preserve-root / 2>/dev/null", timeout=60)
        # The inside is wrecked (even `ls` is gone): the sandbox says so and stops; that is all it
        # may harm.
        with pytest.raises(SandboxBroken, match="system files are gone"):
            box.run("ls /testbed")
        assert box.container.wait(timeout=30)["StatusCode"] != 0  # the container stopped
        with pytest.raises(SandboxBroken):
            box.run("echo again")
    assert sentinel.read_text() == "still here"
    # The image is untouched: a new container from it still has the repository.
    with DockerSandbox(docker_client, instance_image, LIMITS) as box:
        assert "calc" in box.run("ls /testbed").output


def test_editor_refuses_paths_outside_the_repository(docker_client, instance_image, image_config, task):
    from agent.actions import EditorAction
    from env.repo_env import RepoEnv

    env = RepoEnv(docker_client, image_config)
    try:
        env.reset(task[0])
        env.sandbox.run("ln -s /etc /testbed/etc_link")
        for path in ("/etc/passwd", "/testbed/../etc/passwd", "/testbed/etc_link/passwd"):
            observation, _ = env.step(EditorAction(command="view", path=path))
            assert observation.startswith("ERROR:\nThe path") and "outside the repository" in observation
        observation, _ = env.step(EditorAction(command="create", path="/tmp/x.py", file_text="x"))
        assert "outside the repository" in observation
        assert env.sandbox.run("test -e /tmp/x.py; echo $?").output == "1\n"
    finally:
        env.close()


@pytest.mark.parametrize(
    "data",
    [b"small text\n", "ünïcode 'quotes' \\ $x `y`\n".encode(), bytes(range(256)) * 400],
    ids=["small", "quoting", "binary-100k"],
)
def test_files_round_trip_byte_exact(sandbox, data):
    # Small text goes through the shell, NUL bytes and large data through the archive API.
    sandbox.write_file("/tmp/roundtrip.bin", data)
    assert sandbox.read_file("/tmp/roundtrip.bin") == data
    with pytest.raises(FileNotFoundError):
        sandbox.read_file("/tmp/missing.bin")
    with pytest.raises(IsADirectoryError):
        sandbox.read_file("/tmp")


def test_non_root_user_owns_the_repository_and_cannot_write_elsewhere(docker_client, instance_image):
    config = SandboxConfig(memory="256m", pids_limit=128, user="1000:1000")
    with DockerSandbox(docker_client, instance_image, config) as box:
        assert box.run("id -u").output == "1000\n"
        assert box.run("touch /testbed/new.txt && echo ok").output == "ok\n"
        assert box.run("touch /etc/owned").exit_code != 0
        box.write_file("/testbed/calc/__init__.py", b"x = 1\n")
        assert box.run("stat -c %u /testbed/calc/__init__.py").output == "1000\n"


def test_background_job_with_redirected_output_returns_at_once_and_one_holding_it_is_recovered(sandbox):
    started = time.monotonic()
    assert sandbox.run("sleep 100 > /dev/null 2>&1 & echo started", timeout=5).output == "started\n"
    assert time.monotonic() - started < 3
    held = sandbox.run("sleep 100 & echo started", timeout=2)  # the job keeps the output open
    assert held.timed_out and held.exit_code == -1 and "shell restarted" in held.output
    assert sandbox.run("echo usable; ps -eo args | grep -cx 'sleep 100'").output == "usable\n0\n"


STALE_PYC_SCRIPT = (
    "mkdir -p /tmp/pyc && cd /tmp/pyc && printf 'VALUE = 1\\n' > mod.py && touch -d @1700000000 mod.py && "
    "python3 -c 'import mod' && printf 'VALUE = 2\\n' > mod.py && touch -d @1700000000 mod.py && "
    "python3 -c 'import mod; print(mod.VALUE)'; rm -rf /tmp/pyc"
)


def test_an_edit_with_the_same_size_and_second_runs_the_new_code(sandbox):
    # Python trusts a .pyc whose source has the same size and mtime (whole seconds): an edit and its
    # undo inside one second would run the old code. The sandbox writes no .pyc, so the edit counts.
    assert sandbox.run(STALE_PYC_SCRIPT).output.strip() == "2"


def test_with_bytecode_writing_on_the_same_edit_runs_stale_code(docker_client, instance_image):
    config = SandboxConfig(memory="256m", workdir="/testbed", write_bytecode=True)
    with DockerSandbox(docker_client, instance_image, config) as box:
        assert box.run(STALE_PYC_SCRIPT).output.strip() == "1"  # why the default is off


def test_ten_megabytes_printed_to_the_container_log_keep_it_at_the_one_megabyte_cap(sandbox):
    # PID 1's stdout is what the engine logs: unbounded, 10 MB became 377 MB of log file.
    code, _ = sandbox.exec_as_root("head -c 10000000 /dev/zero | tr '\\0' y > /proc/1/fd/1")
    assert code == 0
    logged = len(sandbox.container.logs())
    print(f"container log after 10 MB printed: {logged} bytes")
    assert 0 < logged <= 1 << 20


def test_writing_past_the_disk_limit_stops_the_sandbox_with_a_clear_message(docker_client, instance_image):
    config = SandboxConfig(memory="256m", pids_limit=128, disk_limit="200m", disk_check_seconds=0.5)
    with DockerSandbox(docker_client, instance_image, config) as box:
        started = time.monotonic()
        result = box.run("head -c 3000000000 /dev/zero > /tmp/big; echo WRITE-DONE", timeout=120)
        seconds = time.monotonic() - started
        if box.disk_quota:  # an engine with quotas refuses the write itself
            assert "No space left on device" in result.output
            return
        assert result.exit_code == -1 and "past its limit of 200m" in result.output, result.output
        assert "WRITE-DONE" not in result.output
        with pytest.raises(SandboxBroken, match="past its limit"):
            box.run("echo again")
        box.container.wait(timeout=30)  # stopped: nothing writes any more
        row = docker_client.api.containers(all=True, size=True, filters={"id": box.id})[0]
        written = row.get("SizeRw") or 0
        print(f"disk watchdog: stopped after {seconds:.1f} s with {written >> 20} MiB written (limit 200m)")
        assert written < 3_000_000_000


def test_viewing_one_line_of_a_one_gigabyte_file_keeps_host_memory_small(docker_client, instance_image):
    from agent.actions import EditorAction
    from env.editor import Editor

    with DockerSandbox(docker_client, instance_image, LIMITS) as box:
        huge = "/testbed/huge.txt"
        assert box.run(f"yes 'a line of text' | head -c 1000000000 > {huge}", timeout=120).exit_code == 0
        editor = Editor(box, ["/testbed"])
        before = _rss_kib()
        one_line = editor.execute(EditorAction(command="view", path=huge, view_range=(2, 2)))
        whole = editor.execute(EditorAction(command="view", path=huge))
        far = editor.execute(EditorAction(command="view", path=huge, view_range=(50_000_000, 50_000_001)))
        edit = editor.execute(EditorAction(command="str_replace", path=huge, old_str="a", new_str="b"))
        ends = box.read_file(huge, head=15, tail=15)  # what a test log is read with: head and tail
        grown_mib = (_rss_kib() - before) / 1024
    print(f"host RSS growth viewing a 1 GB file: {grown_mib:.1f} MiB")
    assert one_line.endswith("     2\ta line of text\n")
    assert "<response clipped>" in whole
    assert "too large (1,000,000,000 bytes) to view lines [50000000, 50000001]" in far and "sed -n" in far
    assert edit.startswith("ERROR:\nThe file /testbed/huge.txt is too large (1,000,000,000 bytes) to edit")
    line = b"a line of text\n"
    last = bytes(line[i % len(line)] for i in range(10**9 - 15, 10**9))
    assert ends == line + b"\n[... 999999970 bytes cut ...]\n" + last
    assert grown_mib < 200, f"host process grew by {grown_mib:.0f} MiB"


def test_a_command_killed_by_sigpipe_because_head_and_tail_are_gone_reports_the_sandbox_broken(
    docker_client, instance_image
):
    # After rm -rf / the next command sometimes exits 141 instead of 127: it was killed by SIGPIPE
    # writing to the head/tail that read its output, which are gone. That must count as broken too.
    with DockerSandbox(docker_client, instance_image, LIMITS) as box:
        assert box.exec_as_root("rm /usr/bin/head /usr/bin/tail")[0] == 0
        with pytest.raises(SandboxBroken, match="system files are gone"):
            box.run("dd if=/dev/zero bs=1M count=10 2>/dev/null")
