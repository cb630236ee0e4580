"""Hub lookups that fail fast offline.

Without a network, huggingface_hub retries every request with backoff (a mistyped ``--model`` id
cost 24 s of retries before its error). :func:`offline_unless_reachable` checks once per process,
within :data:`PROBE_SECONDS`, whether the hub's host answers; when it does not, it switches
huggingface_hub, transformers and datasets to offline mode, so a lookup reads the local cache and
fails at once when the name is not there. :func:`hub_error_line` turns such a failure into one line.
"""

from __future__ import annotations

import os
import socket
import threading
from urllib.parse import urlparse

PROBE_SECONDS = 3.0
_state: dict[str, bool] = {}


def _host_answers(host: str, port: int, seconds: float) -> bool:
    """Whether a TCP connection to host:port opens within ``seconds`` (DNS included: a thread,
    because name resolution ignores socket timeouts)."""
    answered = threading.Event()

    def probe() -> None:
        try:
            with socket.create_connection((host, port), timeout=seconds):
                answered.set()
        except OSError:
            pass

    worker = threading.Thread(target=probe, daemon=True)
    worker.start()
    worker.join(seconds)
    return answered.is_set()


def go_offline() -> None:
    """Offline mode for this process (and its children): cached files only, no request, no retry."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    from huggingface_hub import constants

    constants.HF_HUB_OFFLINE = True  # read at call time by huggingface_hub and transformers
    try:
        import datasets.config
    except ImportError:
        return
    datasets.config.HF_HUB_OFFLINE = True  # datasets copies the flag at import


def offline_unless_reachable() -> bool:
    """True when hub lookups are offline (set by the user, or the hub did not answer the probe)."""
    if "offline" not in _state:
        from huggingface_hub import constants

        offline = constants.HF_HUB_OFFLINE
        if not offline:
            url = urlparse(constants.ENDPOINT)
            offline = not _host_answers(url.hostname or "huggingface.co", url.port or 443, PROBE_SECONDS)
            if offline:
                go_offline()
        _state["offline"] = offline
    return _state["offline"]


def is_local(name: str) -> bool:
    """Whether ``name`` is a path on this machine (else it can only be a hub id)."""
    return os.path.exists(os.path.expanduser(name))


def hub_error_line(what: str, name: str, error: BaseException) -> str:
    """One line for a failed load of ``what`` (model, tokenizer, dataset) ``name``."""
    if not is_local(name) and (name.count("/") > 1 or name.startswith((".", "/", "~"))):
        # Not a hub id (NAME or OWNER/NAME): a local path that is not there, e.g. runs/NAME/final.
        return f"cannot load {what} {name}: no such file or folder"
    if not is_local(name) and _state.get("offline"):
        return (
            f"cannot load {what} {name}: not a local path, and the hub is unreachable (offline mode) with "
            "no cached copy; pass a local folder or connect and retry"
        )
    first = (str(error).strip().splitlines() or [type(error).__name__])[0]
    return f"cannot load {what} {name}: {first}"
