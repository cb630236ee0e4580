"""Ctrl-C and SIGTERM for the commands that run containers: stop within seconds, keep what finished.

Inside :func:`stop_on_signals` both signals raise KeyboardInterrupt in the main thread (as Ctrl-C
always does) and at the same moment wake a watcher thread that removes this process's containers.
Worker threads blocked in a sandbox command then fail at once instead of running to their timeout,
so neither the unwinding main thread nor the interpreter's exit (which joins worker threads) waits
for them. The command then ends with :class:`~srl_trainer.errors.Interrupted`: one line saying what
finished, where it is and how to resume, exit status 130.

Each finished item is written inside :func:`defer_signals`: a signal that arrives meanwhile takes
effect once the item is whole on disk, so an interrupt never leaves half of an item behind.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
from collections.abc import Callable, Iterator

from srl_trainer.errors import Interrupted

_SIGNALS = (signal.SIGINT, signal.SIGTERM)
_deferring = threading.local()  # only the main thread runs Python signal handlers, but be exact
_pending: list[int] = []  # signals that arrived inside defer_signals()


def _close_progress_bars() -> None:
    """Close live tqdm bars now: one closed at exit would print itself after the interrupt line."""
    tqdm = sys.modules.get("tqdm")
    for bar in list(getattr(getattr(tqdm, "tqdm", None), "_instances", ())):
        bar.close()


def _remove_containers() -> None:
    from env.sandbox import close_all_sandboxes

    close_all_sandboxes()


@contextlib.contextmanager
def stop_on_signals(report: Callable[[], str]) -> Iterator[None]:
    """Run the block so that SIGINT/SIGTERM stop it promptly and remove this process's containers;
    then raise Interrupted(``report()``), the line saying what finished and how to resume.

    Signal handlers can only be set from the main thread; called from another thread (a command
    run in-process by a test, say), only a KeyboardInterrupt raised in it is turned into the line.
    Also registers the exit-time container removal (env.cleanup).
    """
    from env.cleanup import install_cleanup_handlers

    install_cleanup_handlers()
    on_main_thread = threading.current_thread() is threading.main_thread()
    wake = threading.Event()
    interrupted = threading.Event()

    def watch() -> None:
        wake.wait()
        if interrupted.is_set():
            _remove_containers()

    def on_signal(signum: int, frame: object) -> None:
        if getattr(_deferring, "active", False):
            _pending.append(signum)  # an item is being written: stop right after it
            return
        # Event.set only takes the event's own lock, which the interrupted code never holds.
        interrupted.set()
        wake.set()
        raise KeyboardInterrupt(f"signal {signum}")

    previous = {signum: signal.getsignal(signum) for signum in _SIGNALS} if on_main_thread else {}
    for signum in previous:
        signal.signal(signum, on_signal)
    watcher = threading.Thread(target=watch, name="remove-containers-on-signal", daemon=True)
    watcher.start()
    try:
        yield
    except KeyboardInterrupt:
        interrupted.set()
        wake.set()
        # A daemon thread dies mid-request when the interpreter exits: wait for its removals, and
        # a sandbox marks itself closed before its container is gone, so a second close returns early.
        watcher.join(timeout=60)
        _remove_containers()  # sandboxes made after the watcher looked (refused, but to be sure)
        _close_progress_bars()
        raise Interrupted(report()) from None
    finally:
        wake.set()  # a finished block: the watcher ends without removing anything
        for signum, handler in previous.items():
            signal.signal(signum, handler)


@contextlib.contextmanager
def defer_signals() -> Iterator[None]:
    """Hold SIGINT/SIGTERM (as handled by :func:`stop_on_signals`) until the block has finished."""
    if getattr(_deferring, "active", False):  # nested: the outer block delivers
        yield
        return
    _deferring.active = True
    try:
        yield
    finally:
        _deferring.active = False
        if _pending:
            signum = _pending[0]
            _pending.clear()
            signal.raise_signal(signum)  # delivered now, through the handler of stop_on_signals
