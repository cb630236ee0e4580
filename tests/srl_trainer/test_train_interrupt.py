"""SIGTERM in the middle of SWE RLVR (`train --method rlvr --domain swe`): the run stops within
seconds, leaves no container, and `train --resume --out` finishes it.

The instance's FAIL_TO_PASS test sleeps 30 s, so the signal lands while a grading container runs
pytest (or a rollout container an episode): the case where waiting for worker threads would hold
the run for the whole test. The resumed run grades the same instance without the sleep.
"""

from __future__ import annotations

import json
import signal
import time
from dataclasses import replace

import pytest

from env.instances import instance_record
from tests.env import signals
from tests.env.conftest import base_image, docker_client, image_config, instance_image, task  # noqa: F401

pytestmark = pytest.mark.docker

SLOW_TEST_PATCH = """diff --git a/tests/test_add.py b/tests/test_add.py
new file mode 100644
--- /dev/null
+++ b/tests/test_add.py
@@ -0,0 +1,7 @@
+import time
+from calc import add
+
+
+def test_add():
+    time.sleep(30)
+    assert add(2, 3) == 5
"""
TINY = ["--sft-epochs", "1", "--max-steps", "1", "--max-completion-length", "24", "--num-generations", "2"]
TINY += ["--rlvr-prompts-per-step", "1", "--per-device-batch-size", "2", "--ds-max-rounds", "0"]
TINY += ["--rlvr-max-turns", "2", "--rlvr-sandboxes", "2", "--max-train-steps", "16", "--no-eval-initial"]
TINY += ["--eval-resolve", "0"]
TINY += ["--eval-fraction", "0.05", "--eval-max-new-tokens", "2"]


def test_sigterm_during_swe_rlvr_stops_within_seconds_leaves_no_container_and_resumes(
    docker_client,  # noqa: F811
    instance_image,  # noqa: F811
    task,  # noqa: F811
    tmp_path,
):
    from srl_trainer.data.embedded import data_dir

    instance, repos = task
    instances = tmp_path / "instances.jsonl"
    instances.write_text(json.dumps(instance_record(replace(instance, test_patch=SLOW_TEST_PATCH))) + "\n")
    out = tmp_path / "run"
    steps = str(data_dir() / "sample" / "trajectories.json")
    args = ["train", "--method", "rlvr", "--domain", "swe", "--out", str(out), "--trajectories", steps]
    args += ["--rlvr-instances", str(instances), "--rlvr-repos", str(repos), *TINY]
    process = signals.start(args, tmp_path)
    try:
        signals.wait_until(
            lambda: signals.session_containers(docker_client, process.pid), process, 240, "RLVR sandbox"
        )
        time.sleep(3.0)  # the episodes of the tiny model end at once: grading is under way
        code, seconds = signals.signal_and_time(process, signal.SIGTERM)
    finally:
        if process.poll() is None:
            process.kill()
    _, err = signals.output(tmp_path)
    assert code == 130, err[-3000:]
    assert seconds < signals.STOP_WITHIN, f"stopped after {seconds:.1f} s"
    assert err.strip().splitlines()[-1] == (
        f"interrupted: run folder {out} (finished phases: sft, no checkpoint yet); "
        f"rerun with `train --resume --out {out}` to continue"
    )
    assert signals.session_containers(docker_client, process.pid) == []
    assert json.loads((out / "summary.json").read_text())["phases_done"] == ["sft"]
    assert not (out / "rlvr_episodes.jsonl").exists()  # stopped inside the first step, not after it

    instances.write_text(json.dumps(instance_record(instance)) + "\n")  # the same instance, no sleep
    resumed = signals.run(["train", "--resume", "--out", str(out)], timeout=300)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert json.loads((out / "summary.json").read_text())["phases_done"] == ["sft", "rlvr"]
    assert (out / "rlvr_episodes.jsonl").read_text().strip()


def test_resume_skips_a_checkpoint_whose_save_an_interrupt_cut_short(tmp_path):
    from srl_trainer.training.pipeline import last_complete_checkpoint

    assert last_complete_checkpoint(tmp_path / "srl") is None
    for step in (2, 4, 10):
        (tmp_path / "srl" / f"checkpoint-{step}").mkdir(parents=True)
    for step in (2, 4):  # Trainer writes trainer_state.json last: checkpoint-10 was cut short
        (tmp_path / "srl" / f"checkpoint-{step}" / "trainer_state.json").write_text("{}")
    assert last_complete_checkpoint(tmp_path / "srl") == str(tmp_path / "srl" / "checkpoint-4")
