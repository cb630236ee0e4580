"""SWE-bench evaluation in Docker, graded by swebench's own code.

Per prediction: a fresh container from the instance image, the model patch applied with the official
harness's fallbacks, the test patch applied, FAIL_TO_PASS + PASS_TO_PASS run between the official
output markers, and the log graded by ``swebench.harness.grading.get_eval_report`` with swebench's
pytest log parser. Every step leaves a file in ``LOGS/<instance_id>/`` (``patch.diff``, ``eval.sh``,
``test_output.txt``, ``report.json``), so a run resumes by skipping finished instances and any
verdict can be re-derived. The run report uses the official harness's schema.
"""

from __future__ import annotations

import json
import shlex
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent.patches import patched_files
from env.instances import Instance, instance_record

START_MARKER = ">>>>> Start Test Output"
END_MARKER = ">>>>> End Test Output"
APPLY_FAILED_MARKER = ">>>>> Patch Apply Failed"
LOG_PARSER = "parse_log_pytest"
# The official harness tries these in order (swebench.harness.constants GIT_APPLY_CMDS).
APPLY_COMMANDS = (
    "git apply --verbose",
    "git apply --verbose --reject",
    "patch --batch --fuzz=5 -p1 -i",
)
HEREDOC = "EOF_SRL_TRAINER_PATCH"


@dataclass
class SweEvalConfig:
    """How predictions are evaluated."""

    timeout: int = field(default=1800, metadata={"help": "Seconds the tests of one instance may run."})
    workers: int = field(default=1, metadata={"help": "Instances evaluated in parallel."})
    run_id: str = field(default="srl", metadata={"help": "Name of this run (log folder and report name)."})
    log_dir: str = field(default="logs/run_evaluation", metadata={"help": "Root of per-instance logs."})
    report_dir: str = field(default=".", metadata={"help": "Where the run report JSON is written."})


def make_eval_script(instance: Instance) -> str:
    """The script that applies the test patch and runs the listed tests between the markers."""
    files = " ".join(shlex.quote(f) for f in patched_files(instance.test_patch))
    tests = " ".join(shlex.quote(t) for t in dict.fromkeys(instance.fail_to_pass + instance.pass_to_pass))
    lines = [
        "#!/bin/bash",
        "set -uxo pipefail",
        "cd /testbed",
        "git config --global --add safe.directory /testbed",
    ]
    if files:
        lines.append(f"git checkout {instance.base_commit} -- {files}")
    if instance.test_patch.strip():
        lines += [f"git apply -v - <<'{HEREDOC}'", instance.test_patch.rstrip("\n"), HEREDOC]
    lines += [
        f"echo '{START_MARKER}'",
        f"python3 -m pytest -rA -p no:cacheprovider {tests}",
        f"echo '{END_MARKER}'",
    ]
    if files:
        lines.append(f"git checkout {instance.base_commit} -- {files}")
    return "\n".join(lines) + "\n"


def official_row(instance: Instance, image: str) -> dict[str, Any]:
    """The instance as a swebench 5.x local-dataset row (image, eval_script, log_parser, eval_type)."""
    return {
        **instance_record(instance),
        "version": instance.version or "0.0",
        "image": image,
        "eval_script": make_eval_script(instance),
        "log_parser": LOG_PARSER,
        "eval_type": "pass_and_fail",
    }


def grade_log(instance: Instance, image: str, prediction: dict, log_path: Path) -> dict[str, Any]:
    """swebench's verdict for a saved test log (``get_eval_report`` with its pytest parser)."""
    from swebench.harness.grading import get_eval_report
    from swebench.harness.utils import make_test_spec

    spec = make_test_spec(official_row(instance, image))
    return get_eval_report(spec, prediction, str(log_path), include_tests_status=True)


def read_predictions(path: Path) -> list[dict[str, Any]]:
    """``.jsonl`` or ``.json`` (list or id-keyed object) of {instance_id, model_name_or_path, model_patch}."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".jsonl":
        rows = [json.loads(line) for line in text.splitlines() if line.strip()]
    else:
        data = json.loads(text)
        rows = list(data.values()) if isinstance(data, dict) else data
    for row in rows:
        if not isinstance(row, dict) or "instance_id" not in row:
            raise ValueError(f"{path}: every prediction needs an instance_id")
    return rows


@dataclass
class InstanceOutcome:
    instance_id: str
    status: str  # resolved | unresolved | empty_patch | error
    reason: str = ""
    report: dict = field(default_factory=dict)


def apply_model_patch(sandbox, patch: str) -> tuple[bool, str]:
    sandbox.write_file("/tmp/patch.diff", patch.encode())
    log = []
    for command in APPLY_COMMANDS:
        result = sandbox.run(f"cd /testbed && {command} /tmp/patch.diff", timeout=120)
        log.append(f"$ {command}\n{result.output}")
        if result.exit_code == 0:
            return True, "\n".join(log)
        sandbox.run("cd /testbed && git checkout -- . && git clean -fdq", timeout=60)
    return False, "\n".join(log)


def evaluate_one(
    client, instance: Instance, prediction: dict, image: str, config: SweEvalConfig, log_dir: Path
) -> InstanceOutcome:
    """Run and grade one prediction; every outcome (including errors) leaves report.json."""
    from env.sandbox import DockerSandbox, SandboxConfig

    log_dir.mkdir(parents=True, exist_ok=True)
    patch = prediction.get("model_patch") or ""
    (log_dir / "patch.diff").write_text(patch)
    script = make_eval_script(instance)
    (log_dir / "eval.sh").write_text(script)
    output_path = log_dir / "test_output.txt"
    sandbox = DockerSandbox(
        client, image, SandboxConfig(timeout=config.timeout, output_head=2000, output_tail=2000)
    )
    try:
        applied, apply_log = apply_model_patch(sandbox, patch)
        if not applied:
            output_path.write_text(f"{apply_log}\n{APPLY_FAILED_MARKER}\n")
            report = grade_log(instance, image, prediction, output_path)
            return InstanceOutcome(instance.instance_id, "error", "patch does not apply", report)
        sandbox.write_file("/eval.sh", script.encode())
        started = time.monotonic()
        result = sandbox.run("/bin/bash /eval.sh > /tmp/test_output.txt 2>&1", timeout=config.timeout)
        log = sandbox.read_file("/tmp/test_output.txt").decode("utf-8", errors="replace")
        if result.timed_out:
            output_path.write_text(log + f"\n\nTimeout error: {config.timeout} seconds exceeded.\n")
            return InstanceOutcome(instance.instance_id, "error", f"tests timed out after {config.timeout}s")
        output_path.write_text(log + f"\n[eval.sh ran {time.monotonic() - started:.1f}s]\n")
    finally:
        sandbox.close()
    report = grade_log(instance, image, prediction, output_path)
    resolved = report[instance.instance_id]["resolved"]
    return InstanceOutcome(instance.instance_id, "resolved" if resolved else "unresolved", "", report)


def run_report(
    model: str,
    run_id: str,
    instances: dict[str, Instance],
    predictions: list[dict],
    outcomes: list[InstanceOutcome],
) -> dict[str, Any]:
    """The run summary in the official harness's schema (counts plus the matching id lists)."""
    ids = {
        status: sorted(o.instance_id for o in outcomes if o.status == status)
        for status in ("resolved", "unresolved", "empty_patch", "error")
    }
    completed = sorted(ids["resolved"] + ids["unresolved"])
    return {
        "total_instances": len(instances),
        "submitted_instances": len(predictions),
        "completed_instances": len(completed),
        "resolved_instances": len(ids["resolved"]),
        "unresolved_instances": len(ids["unresolved"]),
        "empty_patch_instances": len(ids["empty_patch"]),
        "error_instances": len(ids["error"]),
        "completed_ids": completed,
        "incomplete_ids": sorted(set(instances) - {o.instance_id for o in outcomes}),
        "submitted_ids": sorted(p["instance_id"] for p in predictions),
        "resolved_ids": ids["resolved"],
        "unresolved_ids": ids["unresolved"],
        "empty_patch_ids": ids["empty_patch"],
        "error_ids": ids["error"],
        "error_reasons": {o.instance_id: o.reason for o in outcomes if o.status == "error"},
        "model_name_or_path": model,
        "run_id": run_id,
        "schema_version": 2,
    }


def _log_dir(config: SweEvalConfig, prediction: dict) -> Path:
    model = str(prediction.get("model_name_or_path") or "model").replace("/", "__")
    return Path(config.log_dir) / config.run_id / model / prediction["instance_id"]


def _outcome_from_saved(instance_id: str, report_path: Path) -> InstanceOutcome | None:
    try:
        saved = json.loads(report_path.read_text())
    except (OSError, json.JSONDecodeError):
        return None
    return InstanceOutcome(instance_id, saved["status"], saved.get("reason", ""), saved.get("report", {}))


def evaluate_predictions(
    client,
    instances: dict[str, Instance],
    predictions: list[dict],
    image_for,
    config: SweEvalConfig,
    progress=None,
) -> list[InstanceOutcome]:
    """Evaluate every prediction (resuming finished ones); never stops on one instance's failure."""
    outcomes: list[InstanceOutcome] = []
    pending = []
    for prediction in predictions:
        instance_id = prediction["instance_id"]
        log_dir = _log_dir(config, prediction)
        saved = _outcome_from_saved(instance_id, log_dir / "outcome.json")
        if saved is not None:
            outcomes.append(saved)
        elif instance_id not in instances:
            outcomes.append(InstanceOutcome(instance_id, "error", "unknown instance id"))
        elif not (prediction.get("model_patch") or "").strip():
            outcomes.append(InstanceOutcome(instance_id, "empty_patch", "empty patch"))
        else:
            pending.append((prediction, log_dir))
    if progress is not None:
        progress.update(len(outcomes))

    def work(prediction: dict, log_dir: Path) -> InstanceOutcome:
        instance = instances[prediction["instance_id"]]
        try:
            image = image_for(instance)
        except Exception as error:  # an image that cannot be built is this instance's error only
            return InstanceOutcome(instance.instance_id, "error", f"image: {error}")
        try:
            return evaluate_one(client, instance, prediction, image, config, log_dir)
        except Exception as error:  # a broken container must not end the run
            return InstanceOutcome(instance.instance_id, "error", f"{type(error).__name__}: {error}")

    with ThreadPoolExecutor(max_workers=max(1, config.workers)) as pool:
        futures = {pool.submit(work, p, d): d for p, d in pending}
        for future in as_completed(futures):
            outcome = future.result()
            log_dir = futures[future]
            log_dir.mkdir(parents=True, exist_ok=True)
            if outcome.report:
                (log_dir / "report.json").write_text(json.dumps(outcome.report, indent=2) + "\n")
            # Written last: its presence marks the instance finished for a resumed run.
            (log_dir / "outcome.json").write_text(
                json.dumps({"status": outcome.status, "reason": outcome.reason, "report": outcome.report})
                + "\n"
            )
            outcomes.append(outcome)
            if progress is not None:
                progress.update(1)
    return outcomes


def format_outcomes(outcomes: list[InstanceOutcome]) -> str:
    lines = [f"{'instance':<40}{'verdict':<14}reason"]
    for outcome in sorted(outcomes, key=lambda o: o.instance_id):
        lines.append(f"{outcome.instance_id:<40}{outcome.status:<14}{outcome.reason}")
    submitted = len(outcomes)
    resolved = sum(o.status == "resolved" for o in outcomes)
    rate = 100 * resolved / submitted if submitted else 0.0
    lines.append(f"resolved {resolved}/{submitted} = {rate:.1f}%")
    return "\n".join(lines)


def run_official_harness(
    instances: dict[str, Instance], predictions: list[dict], image_for, config: SweEvalConfig, work_dir: Path
) -> dict[str, bool]:
    """Hand the same run to ``swebench.harness.run_evaluation`` (local-dataset mode, local images).

    Returns the official verdict per evaluated instance id (from its per-instance report.json).
    """
    import os

    from swebench.harness.run_evaluation import main as official_main

    work_dir.mkdir(parents=True, exist_ok=True)
    wanted = [p for p in predictions if p["instance_id"] in instances]
    dataset = work_dir / "dataset.jsonl"
    dataset.write_text(
        "".join(
            json.dumps(official_row(instances[p["instance_id"]], image_for(instances[p["instance_id"]])))
            + "\n"
            for p in wanted
        )
    )
    preds = work_dir / "predictions.jsonl"
    preds.write_text("".join(json.dumps(p) + "\n" for p in wanted))
    here = os.getcwd()
    os.chdir(work_dir)  # the official harness writes logs/ relative to the working directory
    try:
        official_main(
            str(dataset),
            "test",
            [],
            str(preds),
            config.workers,
            4096,
            config.run_id,
            config.timeout,
            False,
            False,
            str(work_dir),
        )
    finally:
        os.chdir(here)
    verdicts = {}
    for report in (work_dir / "logs" / "run_evaluation" / config.run_id).rglob("report.json"):
        for instance_id, entry in json.loads(report.read_text()).items():
            verdicts[instance_id] = bool(entry.get("resolved"))
    return verdicts
