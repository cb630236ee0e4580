"""SWE-bench evaluation on a real engine: verdicts per prediction kind, resumable runs, and
agreement with the official swebench harness instance by instance."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace

import pytest

from env.demo_task import WRONG_PATCH
from env.instances import instance_record
from tests.conftest import REPO

pytestmark = pytest.mark.docker

NOT_APPLYING = "diff --git a/nope.py b/nope.py\n--- a/nope.py\n+++ b/nope.py\n@@ -1 +1 @@\n-x\n+y\n"


@pytest.fixture(scope="module")
def eval_task(task, tmp_path_factory):
    """Three instances of the demo task (same repo and image) so one run covers every verdict."""
    instance, repos = task
    ids = ["acme__calc-gold", "acme__calc-wrong", "acme__calc-empty", "acme__calc-noapply"]
    instances = [replace(instance, instance_id=i) for i in ids]
    folder = tmp_path_factory.mktemp("swe-eval")
    rows = []
    for item in instances:
        rows.append(
            {
                **instance_record(item),
                "problem_statement": "x",
                "FAIL_TO_PASS": json.dumps(list(item.fail_to_pass)),  # string form, as on the hub
                "version": "1.0",
            }
        )
    (folder / "instances.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    patches = {
        "acme__calc-gold": instance.patch,
        "acme__calc-wrong": WRONG_PATCH,
        "acme__calc-empty": "",
        "acme__calc-noapply": NOT_APPLYING,
        "acme__calc-unknown": instance.patch,
    }
    preds = [
        {"instance_id": k, "model_name_or_path": "test-model", "model_patch": v} for k, v in patches.items()
    ]
    (folder / "preds.jsonl").write_text("".join(json.dumps(p) + "\n" for p in preds))
    yield folder, repos
    # The demo repo is new each session, so these per-instance images are never reused.
    import docker

    client = docker.from_env()
    for image in client.images.list(name="srl-trainer/instance"):
        if any(tag.split(":")[-1].startswith(tuple(ids)) for tag in image.tags):
            client.images.remove(image.id, force=True)


def _evaluate(folder, repos, *extra):
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "srl_trainer.swe",
            "evaluate",
            "--instances",
            str(folder / "instances.jsonl"),
            "--predictions",
            str(folder / "preds.jsonl"),
            "--repos",
            str(repos),
            "--out",
            str(folder / "out"),
            "--run-id",
            "t1",
            "--workers",
            "2",
            "--timeout",
            "120",
            *extra,
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=900,
    )


def test_every_prediction_kind_gets_its_verdict_and_the_report_is_written(eval_task, base_image):
    folder, repos = eval_task
    result = _evaluate(folder, repos)
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads((folder / "out" / "test-model.t1.json").read_text())
    assert report["resolved_ids"] == ["acme__calc-gold"]
    assert report["unresolved_ids"] == ["acme__calc-wrong"]
    assert report["empty_patch_ids"] == ["acme__calc-empty"]
    assert report["error_ids"] == ["acme__calc-noapply", "acme__calc-unknown"]
    assert report["error_reasons"]["acme__calc-noapply"] == "patch does not apply"
    assert report["submitted_instances"] == 5 and report["completed_instances"] == 2
    assert "resolved 1/5 = 20.0%" in result.stdout
    logs = folder / "out" / "logs" / "t1" / "test-model" / "acme__calc-gold"
    assert {"patch.diff", "eval.sh", "test_output.txt", "report.json"} <= {p.name for p in logs.iterdir()}
    gold = json.loads((logs / "report.json").read_text())["acme__calc-gold"]
    assert gold["tests_status"]["FAIL_TO_PASS"]["success"] == ["tests/test_add.py::test_add"]
    wrong = json.loads((logs.parent / "acme__calc-wrong" / "report.json").read_text())["acme__calc-wrong"]
    assert wrong["tests_status"]["FAIL_TO_PASS"]["failure"] == ["tests/test_add.py::test_add"]

    # A repeated run resumes: finished instances are not run again.
    before = (logs / "test_output.txt").stat().st_mtime_ns
    again = _evaluate(folder, repos)
    assert again.returncode == 0 and (logs / "test_output.txt").stat().st_mtime_ns == before
    assert json.loads((folder / "out" / "test-model.t1.json").read_text())["resolved_ids"] == [
        "acme__calc-gold"
    ]


def test_verdicts_agree_with_the_official_harness(eval_task, base_image, docker_client):
    from env.images import ImageConfig, instance_image
    from env.instances import read_instances
    from srl_trainer.evaluation.swe import (
        SweEvalConfig,
        evaluate_predictions,
        read_predictions,
        run_official_harness,
    )

    folder, repos = eval_task
    instances = read_instances(folder / "instances.jsonl")
    predictions = [p for p in read_predictions(folder / "preds.jsonl") if p["instance_id"] in instances]
    config = SweEvalConfig(timeout=120, workers=2, run_id="agree", log_dir=str(folder / "agree-logs"))
    image_config = ImageConfig(repos=str(repos))
    image_for = lambda instance: instance_image(docker_client, instance, image_config)  # noqa: E731
    ours = {
        o.instance_id: o.status == "resolved"
        for o in evaluate_predictions(docker_client, instances, predictions, image_for, config)
    }
    official = run_official_harness(instances, predictions, image_for, config, folder / "official")
    # The official harness writes no report for an empty patch; it counts it as not resolved.
    official = {i: official.get(i, False) for i in ours}
    assert ours == official
    assert ours == {
        "acme__calc-gold": True,
        "acme__calc-wrong": False,
        "acme__calc-empty": False,
        "acme__calc-noapply": False,
    }
