"""Hub lookups fail fast: a mistyped hub id is one line within 5 s, not 24 s of retries offline."""

from __future__ import annotations

import subprocess
import sys
import time

from tests.conftest import REPO

# Times only the lookup (not Python's imports), in a fresh process: offline mode is process-wide.
LOOKUP = """
import sys, time
from srl_trainer.errors import CliError
from srl_trainer.training.pipeline import check_model_loads
from transformers import AutoConfig  # imported before the clock starts: seconds on a busy machine
started = time.time()
try:
    check_model_loads("nobody-here/no-such-model-xyz")
except CliError as error:
    print(error)
print(f"seconds {time.time() - started:.2f}")
"""


def test_a_mistyped_hub_model_id_is_one_line_within_5_seconds():
    result = subprocess.run(
        [sys.executable, "-c", LOOKUP], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    message, seconds = result.stdout.strip().splitlines()
    assert message.startswith("cannot load model nobody-here/no-such-model-xyz: ")
    assert float(seconds.split()[1]) < 5.0
    assert "Retrying" not in result.stderr


def test_the_prepare_command_fails_fast_on_a_mistyped_tokenizer_id(tmp_path):
    started = time.time()
    result = subprocess.run(
        [sys.executable, "-m", "srl_trainer.swe", "prepare", "--tokenizer", "nobody-here/no-such-tok"]
        + [
            "--trajectories",
            str(REPO / "data" / "sample" / "trajectories.json"),
            "--out",
            str(tmp_path / "o"),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert "cannot load tokenizer nobody-here/no-such-tok" in result.stderr
    assert time.time() - started < 30  # imports included; the lookup itself is seconds, not 24 s of retries


def test_a_missing_run_folder_is_named_as_a_missing_path_not_a_hub_id():
    # runs/NAME/final (the README's chains SRL before its mid-training ran) cannot be a hub id.
    from srl_trainer.hub import hub_error_line

    line = hub_error_line("model", "runs/chains-base/final", OSError("x"))
    assert line == "cannot load model runs/chains-base/final: no such file or folder"
    assert "no such file" not in hub_error_line("model", "nobody-here/no-such-model-xyz", OSError("x"))
