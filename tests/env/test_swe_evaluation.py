"""SWE-bench evaluation on a real engine: verdicts per prediction kind, resumable runs, agreement
with the official swebench harness instance by instance, bad input (instance records without test
lists, duplicate and malformed prediction lines), test tampering with and without --strict, a forged
test log (unresolved and listed), and Ctrl-C / SIGTERM stopping a run within seconds with its
finished outcomes kept."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from dataclasses import replace

import pytest

from env.demo_task import WRONG_PATCH
from env.instances import instance_record
from tests.conftest import REPO
from tests.env import signals
from tests.env.hostile import FAKE_PASSED, FORCE_EXIT_0, FORCE_PASS_CONFTEST, calc_patch, new_file_patch

pytestmark = pytest.mark.docker

NOT_APPLYING = "diff --git a/nope.py b/nope.py\n--- a/nope.py\n+++ b/nope.py\n@@ -1 +1 @@\n-x\n+y\n"
# Every instance id an image is built for in this module (removed at its end).
IDS = ["acme__calc-gold", "acme__calc-wrong", "acme__calc-empty", "acme__calc-noapply"]
IDS += ["acme__calc-tamper", "acme__calc-slow1", "acme__calc-slow2"]


def _write_instances(folder, instances, drop=None):
    """``instances.jsonl`` in the hub's form; ``drop`` maps an id to a field its record leaves out."""
    rows = []
    for item in instances:
        row = {
            **instance_record(item),
            "problem_statement": "x",
            "FAIL_TO_PASS": json.dumps(list(item.fail_to_pass)),  # string form, as on the hub
            "version": "1.0",
        }
        row.pop((drop or {}).get(item.instance_id, ""), None)
        rows.append(row)
    (folder / "instances.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))


def _prediction_line(instance_id, patch):
    return json.dumps({"instance_id": instance_id, "model_name_or_path": "test-model", "model_patch": patch})


@pytest.fixture(scope="module")
def eval_task(task, tmp_path_factory):
    """Three instances of the demo task (same repo and image) so one run covers every verdict."""
    instance, repos = task
    ids = ["acme__calc-gold", "acme__calc-wrong", "acme__calc-empty", "acme__calc-noapply"]
    instances = [replace(instance, instance_id=i) for i in ids]
    folder = tmp_path_factory.mktemp("swe-eval")
    _write_instances(folder, instances)
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
        if any(tag.split(":")[-1].startswith(tuple(IDS)) for tag in image.tags):
            client.images.remove(image.id, force=True)


def _evaluate_args(folder, repos, *extra):
    return [
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
    ]


def _evaluate(folder, repos, *extra):
    command = [sys.executable, "-m", "srl_trainer.swe", *_evaluate_args(folder, repos, *extra)]
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=900)


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
    assert ">>>>> Applied Patch (git apply --verbose)" in (logs / "test_output.txt").read_text()
    gold = json.loads((logs / "report.json").read_text())["acme__calc-gold"]
    assert gold["tests_status"]["FAIL_TO_PASS"]["success"] == ["tests/test_add.py::test_add"]
    wrong = json.loads((logs.parent / "acme__calc-wrong" / "report.json").read_text())["acme__calc-wrong"]
    assert wrong["tests_status"]["FAIL_TO_PASS"]["failure"] == ["tests/test_add.py::test_add"]

    # A repeated run resumes: finished instances are not run again; an error is tried again.
    before = (logs / "test_output.txt").stat().st_mtime_ns
    noapply = logs.parent / "acme__calc-noapply" / "test_output.txt"
    noapply_before = noapply.stat().st_mtime_ns
    again = _evaluate(folder, repos)
    assert again.returncode == 0 and (logs / "test_output.txt").stat().st_mtime_ns == before
    assert noapply.stat().st_mtime_ns != noapply_before
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
    predictions = [p for p in read_predictions(folder / "preds.jsonl")[0] if p["instance_id"] in instances]
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


def test_bad_input_gets_one_clear_line_each_and_every_other_verdict_is_right(
    eval_task, base_image, task, tmp_path
):
    """Records without FAIL_TO_PASS / PASS_TO_PASS are errors (never resolved); a malformed line is
    skipped with its real line number; a duplicate id is graded once, with its last prediction,
    whatever the worker count."""
    folder, repos = eval_task
    instance = replace(task[0], instance_id="acme__calc-gold")
    no_p2p = replace(instance, instance_id="acme__calc-nop2p")
    empty_f2p = replace(instance, instance_id="acme__calc-nof2p", fail_to_pass=())
    _write_instances(tmp_path, [instance, no_p2p, empty_f2p], drop={"acme__calc-nop2p": "PASS_TO_PASS"})
    lines = [
        _prediction_line("acme__calc-gold", WRONG_PATCH),
        "{not json",
        _prediction_line("acme__calc-nop2p", instance.patch),
        _prediction_line("acme__calc-nof2p", instance.patch),
        '["not", "a prediction"]',
        _prediction_line("acme__calc-gold", instance.patch),
    ]
    (tmp_path / "preds.jsonl").write_text("\n".join(lines) + "\n")
    result = _evaluate(tmp_path, repos)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "preds.jsonl: line 2 is not valid JSON" in result.stderr
    assert "preds.jsonl: line 5 is not a prediction with an instance_id; skipped" in result.stderr
    assert "preds.jsonl: instance acme__calc-gold appears on lines 1 and 6; grading the last" in result.stderr
    report = json.loads((tmp_path / "out" / "test-model.t1.json").read_text())
    assert report["resolved_ids"] == ["acme__calc-gold"]
    assert report["error_ids"] == ["acme__calc-nof2p", "acme__calc-nop2p"]
    assert "no PASS_TO_PASS" in report["error_reasons"]["acme__calc-nop2p"]
    assert "empty FAIL_TO_PASS" in report["error_reasons"]["acme__calc-nof2p"]
    assert report["submitted_instances"] == 3


def test_tampering_is_listed_and_strict_grades_it_with_the_changes_reverted(
    eval_task, base_image, task, tmp_path
):
    folder, repos = eval_task
    instance = replace(task[0], instance_id="acme__calc-gold")
    tamper = replace(instance, instance_id="acme__calc-tamper")
    _write_instances(tmp_path, [instance, tamper])
    lines = [
        _prediction_line("acme__calc-gold", instance.patch),
        _prediction_line("acme__calc-tamper", new_file_patch("conftest.py", FORCE_PASS_CONFTEST)),
    ]
    (tmp_path / "preds.jsonl").write_text("\n".join(lines) + "\n")
    result = _evaluate(tmp_path, repos)
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads((tmp_path / "out" / "test-model.t1.json").read_text())
    # Without --strict: the official harness's verdict (a forced pass), flagged in report and table.
    assert report["resolved_ids"] == ["acme__calc-gold", "acme__calc-tamper"]
    assert report["tampered_ids"] == ["acme__calc-tamper"]
    assert report["tampered_paths"] == {"acme__calc-tamper": ["conftest.py"]}
    assert "tampering: acme__calc-tamper changes conftest.py" in result.stdout

    gold_log = tmp_path / "out" / "logs" / "t1" / "test-model" / "acme__calc-gold" / "test_output.txt"
    before = gold_log.stat().st_mtime_ns
    strict = _evaluate(tmp_path, repos, "--strict")
    assert strict.returncode == 0, strict.stderr[-2000:]
    report = json.loads((tmp_path / "out" / "test-model.t1.json").read_text())
    assert report["resolved_ids"] == ["acme__calc-gold"] and report["unresolved_ids"] == ["acme__calc-tamper"]
    assert report["tampered_ids"] == ["acme__calc-tamper"]
    assert gold_log.stat().st_mtime_ns == before  # an honest verdict does not depend on --strict


def test_a_forged_test_log_is_unresolved_and_listed_in_forged_ids(
    docker_client, instance_image, task, tmp_path
):
    from env.demo_task import BUGGY
    from srl_trainer.evaluation.swe import SweEvalConfig, evaluate_predictions, format_outcomes, run_report

    instance = task[0]
    gold = replace(instance, instance_id="acme__calc-gold")
    instances = {instance.instance_id: instance, gold.instance_id: gold}
    forged = calc_patch(FAKE_PASSED.format(exit=FORCE_EXIT_0) + BUGGY)  # the official harness resolves it
    predictions = [
        {"instance_id": instance.instance_id, "model_name_or_path": "m", "model_patch": forged},
        {"instance_id": gold.instance_id, "model_name_or_path": "m", "model_patch": gold.patch},
    ]
    config = SweEvalConfig(timeout=120, run_id="forged", log_dir=str(tmp_path))
    runs = []
    for _ in range(2):  # the second run resumes both outcomes from disk
        outcomes = evaluate_predictions(
            docker_client, instances, predictions, lambda item: instance_image, config
        )
        runs.append((run_report("m", "forged", instances, predictions, outcomes), format_outcomes(outcomes)))
    for report, table in runs:
        assert report["resolved_ids"] == ["acme__calc-gold"] and report["unresolved_ids"] == [
            instance.instance_id
        ]
        assert report["forged_ids"] == [instance.instance_id] and report["tampered_ids"] == []
        reasons = report["forged_reasons"][instance.instance_id]
        assert any("but the recorded exit status is 0" in reason for reason in reasons), reasons
        assert f"forged test log: {instance.instance_id}: status lines after pytest's final summary" in table
    saved = json.loads((tmp_path / "forged" / "m" / instance.instance_id / "outcome.json").read_text())
    assert saved["status"] == "unresolved" and saved["forged"] == reasons
    assert saved["reason"].startswith("forged test log: ")


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_an_interrupted_run_stops_within_seconds_keeps_finished_outcomes_and_leaves_no_container(
    eval_task, base_image, docker_client, task, tmp_path, signum
):
    from env.demo_task import BUGGY

    folder, repos = eval_task
    instance = replace(task[0], instance_id="acme__calc-gold")
    slow = [replace(instance, instance_id=f"acme__calc-slow{k}") for k in (1, 2)]
    _write_instances(tmp_path, [instance, *slow])
    sleeping = calc_patch("import time\ntime.sleep(600)\n" + BUGGY)  # every test imports calc
    lines = [_prediction_line("acme__calc-gold", instance.patch)]
    lines += [_prediction_line(s.instance_id, sleeping) for s in slow]
    (tmp_path / "preds.jsonl").write_text("\n".join(lines) + "\n")
    args = _evaluate_args(tmp_path, repos)
    args[args.index("--workers") + 1] = "1"
    args[args.index("--timeout") + 1] = "900"
    process = signals.start(args, tmp_path)
    logs = tmp_path / "out" / "logs" / "t1" / "test-model"
    signals.wait_until(lambda: (logs / "acme__calc-gold" / "outcome.json").is_file(), process, 300, "gold")
    running = lambda: any(  # noqa: E731
        c.status == "running" for c in signals.session_containers(docker_client, process.pid)
    )
    signals.wait_until(running, process, 120, "a slow instance's container")
    code, seconds = signals.signal_and_time(process, signum)
    out, err = signals.output(tmp_path)
    assert code == 130 and seconds < signals.STOP_WITHIN, (code, seconds, err[-2000:])
    assert "interrupted: 1 of 3 instances finished" in err and "run the same command again" in err
    assert json.loads((logs / "acme__calc-gold" / "outcome.json").read_text())["status"] == "resolved"
    assert not (logs / "acme__calc-slow1" / "outcome.json").exists()
    assert not signals.session_containers(docker_client, process.pid)
