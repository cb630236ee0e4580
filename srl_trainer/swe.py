"""Entry point: ``python -m srl_trainer.swe COMMAND`` (and the ``srl-trainer`` script)."""

from __future__ import annotations

import sys

from srl_trainer.cli import main

if __name__ == "__main__":
    sys.exit(main())
