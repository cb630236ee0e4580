"""The one error a user sees as a line of text: a mistake they can fix (bad path, bad value).

Raised anywhere below the command line; ``srl_trainer.cli`` prints it as ``error: ...`` and exits 1.
"""


class CliError(Exception):
    """A mistake the user can fix (bad path, bad value): printed as one line, exit status 1."""


class Interrupted(Exception):
    """Ctrl-C or SIGTERM stopped a command: printed as one line (what finished, where, how to resume),
    exit status 130."""
