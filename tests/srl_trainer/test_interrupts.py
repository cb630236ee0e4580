"""srl_trainer.cli.interrupts in a child process (it changes signal handlers and, once interrupted,
refuses new sandboxes for the rest of the process, so never in the test process itself)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from tests.conftest import REPO

CHILD = textwrap.dedent(
    """
    import os, signal
    from srl_trainer.cli.interrupts import defer_signals, stop_on_signals
    from srl_trainer.errors import Interrupted

    # Python's own start-up disposition, set here: a test run started from a shell that ignores
    # SIGINT (a background job) would hand SIG_IGN down, and the last line checks what is restored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    written = []
    try:
        with stop_on_signals(lambda: f"{len(written)} item(s) written"):
            with defer_signals():
                os.kill(os.getpid(), signal.SIGNAL)
                written.append("whole item")  # the signal waits for the write
            written.append("never")
    except Interrupted as stopped:
        print(stopped)
    print(signal.getsignal(signal.SIGINT) is signal.default_int_handler)
    """
)


def _child(signame: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", CHILD.replace("SIGNAL", signame)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.splitlines()


def test_a_signal_during_a_write_takes_effect_after_it_and_handlers_are_restored():
    for signame in ("SIGINT", "SIGTERM"):
        assert _child(signame) == ["1 item(s) written", "True"]
