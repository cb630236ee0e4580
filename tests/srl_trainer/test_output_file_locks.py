"""solve and collect: a second run on a predictions/trajectories file in use stops at once with one line."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from tests.conftest import REPO

HOLD = """
import sys, time
from srl_trainer.cli.folder_lock import file_lock
with file_lock(sys.argv[1]):
    print("held", flush=True)
    time.sleep(600)
"""


@pytest.mark.parametrize(
    "command",
    [
        ["solve", "--model", "no-such-model"],
        ["collect", "--instances", "no-such-instances.jsonl"],
    ],
)
def test_a_second_run_on_an_output_file_in_use_stops_with_one_line_naming_the_first(tmp_path, command):
    out = tmp_path / "predictions.jsonl"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(out)], cwd=REPO, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline() == "held\n"
        started = time.monotonic()
        result = subprocess.run(
            [sys.executable, "-m", "srl_trainer.swe", *command, "--out", str(out)],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert time.monotonic() - started < 120  # at once: no model, no episode
        assert result.returncode == 1
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"error: --out {out} is in use by another run (pid ")
        assert f"pid {holder.pid} on " in lines[0]
        assert not out.exists()  # nothing written by the refused run
    finally:
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait()


def test_runs_on_two_output_files_of_one_folder_go_on_side_by_side(tmp_path):
    from srl_trainer.cli.folder_lock import file_lock

    with file_lock(tmp_path / "a.jsonl"), file_lock(tmp_path / "b.jsonl"):
        assert (tmp_path / ".a.jsonl.lock").is_file() and (tmp_path / ".b.jsonl.lock").is_file()
