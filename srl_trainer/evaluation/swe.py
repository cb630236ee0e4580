"""SWE-bench evaluation in Docker, graded by swebench's own code through the project's one grader.

Per prediction: :func:`env.grading.grade` (a fresh container from the instance image, the model patch
applied with the official harness's fallbacks, the test patch applied, FAIL_TO_PASS + PASS_TO_PASS
run between the official output markers, the log graded by ``swebench.harness.grading.
get_eval_report``). Every step leaves a file in ``LOGS/<run>/<model>/<instance_id>/`` (each part
one safe folder name, env.results.path_name: an id like ``../../x`` stays inside; ``patch.diff``,
``eval.sh``, ``test_output.txt`` - which says which apply command took the patch - ``report.json``,
``outcome.json``), so a run resumes by skipping finished instances and any verdict can be
re-derived. Only verdicts are resumed (resolved, unresolved, empty_patch), and only for the same
patch, the same instance record (env.instances.grading_key) and the same grader version;
``error`` outcomes are tried again. The run report uses the official harness's schema plus
``tampered_ids`` and ``forged_ids``.

Test tampering (a prediction that changes test infrastructure, env.grading.tampered_paths) is
listed in the report; by default it is graded as the official harness grades it, with
``strict`` its test-infrastructure changes are reverted first. A prediction whose test log is not
pytest's own report (env.grading.forged_log_reasons: status lines printed after pytest's summary,
counts or exit status that contradict it) is unresolved, whatever swebench's report entry says, and
listed in ``forged_ids`` with its reasons.

Ctrl-C (or SIGTERM, which the CLI turns into KeyboardInterrupt) stops a run promptly: pending
instances are cancelled and live sandboxes removed; every finished outcome is already on disk.
"""

from __future__ import annotations

import hashlib
import json
import os
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent.json_input import iter_json_lines, read_json_document
from env.grading import grade, instance_problem, official_row
from env.instances import Instance, grading_key
from env.results import path_name

RESUMABLE = ("resolved", "unresolved", "empty_patch")  # verdicts; an error is tried again
# Saved in each outcome.json; a verdict of another grader version is graded again. Raise it when
# grading changes what it resolves (an outcome saved before "grader" existed never matches).
GRADER_VERSION = "3"  # 3: the runner imported before the repository, wider tamper check, refusals


@dataclass
class SweEvalConfig:
    """How predictions are evaluated."""

    timeout: int = field(default=1800, metadata={"help": "Seconds the tests of one instance may run."})
    workers: int = field(default=1, metadata={"help": "Instances evaluated in parallel."})
    run_id: str = field(default="srl", metadata={"help": "Name of this run (log folder and report name)."})
    log_dir: str = field(default="logs/run_evaluation", metadata={"help": "Root of per-instance logs."})
    report_dir: str = field(default=".", metadata={"help": "Where the run report JSON is written."})
    strict: bool = field(
        default=False,
        metadata={"help": "Grade predictions that change test infrastructure with those changes reverted."},
    )


def _prediction_problem(row: Any) -> str:
    """Why ``row`` is not a prediction this grader can use, or ''."""
    if not isinstance(row, dict) or not row.get("instance_id"):
        return "is not a prediction with an instance_id"
    if not isinstance(row["instance_id"], str):
        return f"has instance_id of type {type(row['instance_id']).__name__} (not a string)"
    for name in ("model_patch", "model_name_or_path"):
        value = row.get(name)
        if value is not None and not isinstance(value, str):
            return f"has {name} of type {type(value).__name__} (not a string or null)"
    return ""


def read_predictions(path: Path) -> tuple[list[dict[str, Any]], list[str]]:
    """Predictions of a ``.jsonl`` or ``.json`` (list or id-keyed object) file, and notes to print.

    A ``.jsonl`` line that is not a usable prediction (not JSON or not UTF-8, nested too deep, NaN,
    not an object with a string ``instance_id``, a ``model_patch`` that is not text) is skipped
    with a note naming its 1-based line number and ending in "skipped"; the rest is read. An
    instance id given more than once is graded once, with its last prediction (one note per id).
    A ``.json`` file that does not parse raises ValueError (agent.json_input.JsonInputError).
    """
    notes: list[str] = []
    numbered: list[tuple[int, Any, str]] = []  # (1-based line or position, row, why it is unusable)
    if path.suffix == ".jsonl":
        numbered = list(iter_json_lines(path))
        where = "line"
    else:
        data = read_json_document(path)
        rows = list(data.values()) if isinstance(data, dict) else data
        numbered = [(n, row, "") for n, row in enumerate(rows if isinstance(rows, list) else [rows], 1)]
        where = "entry"
    kept: dict[str, tuple[int, dict[str, Any]]] = {}
    seen: dict[str, list[int]] = {}
    for number, row, unparsed in numbered:
        problem = f"is {unparsed}" if unparsed else _prediction_problem(row)
        if problem:
            notes.append(f"{path.name}: {where} {number} {problem}; skipped")
            continue
        instance_id = row["instance_id"]
        seen.setdefault(instance_id, []).append(number)
        kept.pop(instance_id, None)  # re-inserted: the order follows each id's last prediction
        kept[instance_id] = (number, row)
    for instance_id, numbers in seen.items():
        if len(numbers) > 1:
            listed = ", ".join(str(n) for n in numbers[:-1]) + f" and {numbers[-1]}"
            notes.append(
                f"{path.name}: instance {instance_id} appears on {where}s {listed}; grading the last"
            )
    return [row for _, row in sorted(kept.values(), key=lambda item: item[0])], notes


@dataclass
class InstanceOutcome:
    instance_id: str
    status: str  # resolved | unresolved | empty_patch | error
    reason: str = ""
    report: dict = field(default_factory=dict)
    tampered: list[str] = field(default_factory=list)  # test-infrastructure paths the patch changes
    apply_command: str = ""
    forged: list[str] = field(default_factory=list)  # why its test log is not pytest's (never resolved)


def patch_sha(patch: str) -> str:
    return hashlib.sha256(patch.encode()).hexdigest()[:16]


def evaluate_one(
    client, instance: Instance, prediction: dict, image: str, config: SweEvalConfig, log_dir: Path
) -> InstanceOutcome:
    """Grade one prediction (env.grading.grade); its evidence stays in ``log_dir``."""
    patch = prediction.get("model_patch") or ""
    verdict = grade(
        client, image, instance, patch, timeout=config.timeout, revert_tampered=config.strict, log_dir=log_dir
    )
    report = {instance.instance_id: verdict.report} if verdict.report else {}
    outcome = InstanceOutcome(
        instance.instance_id, "", "", report, verdict.tampered, verdict.apply_command, verdict.forged
    )
    if verdict.error:
        outcome.status, outcome.reason = "error", verdict.error
    elif not verdict.patch_applied:
        outcome.status, outcome.reason = "error", "patch does not apply"
        if verdict.refused:  # a .git/ path, a '.' or '..' component, a symbolic link
            outcome.reason += f": {verdict.refused}"
    else:
        outcome.status = "resolved" if verdict.resolved else "unresolved"
        if verdict.forged:
            outcome.reason = f"forged test log: {'; '.join(verdict.forged)}"
        elif verdict.reverted:
            outcome.reason = "graded with its test-infrastructure changes reverted (--strict)"
    return outcome


def run_report(
    model: str,
    run_id: str,
    instances: dict[str, Instance],
    predictions: list[dict],
    outcomes: list[InstanceOutcome],
) -> dict[str, Any]:
    """The run summary in the official harness's schema (counts plus the matching id lists), plus
    ``tampered_ids`` (predictions that change test infrastructure, whatever their verdict) and
    ``forged_ids`` (predictions whose test log is not pytest's own report: never resolved)."""
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
        "tampered_ids": sorted(o.instance_id for o in outcomes if o.tampered),
        "tampered_paths": {o.instance_id: o.tampered for o in outcomes if o.tampered},
        "forged_ids": sorted(o.instance_id for o in outcomes if o.forged),
        "forged_reasons": {o.instance_id: o.forged for o in outcomes if o.forged},
        "model_name_or_path": model,
        "run_id": run_id,
        "schema_version": 2,
    }


def model_folder(model: str) -> str:
    """The path component of a model name: the official harness's ``/`` -> ``__``, then made safe
    (env.results.path_name), so ``..`` or ``/abs`` stays inside the run folder."""
    return path_name(str(model or "model").replace("/", "__"))


def log_dir_of(config: SweEvalConfig, prediction: dict) -> Path:
    """``LOGS/<run_id>/<model>/<instance>``: each part one safe component, so an id read from
    a prediction (``/abs/dir``, ``../../x``) never names a folder outside the run's logs."""
    model = model_folder(prediction.get("model_name_or_path") or "model")
    return Path(config.log_dir) / config.run_id / model / path_name(prediction["instance_id"])


def _saved_outcome(instance: Instance, path: Path, patch: str, strict: bool) -> InstanceOutcome | None:
    """The outcome a previous run left for this very prediction, when it is a verdict to keep.

    Errors are not kept (a rerun tries them again), nor an outcome of another patch, of another
    instance record (env.instances.grading_key: its FAIL_TO_PASS, test patch, base commit... or
    another instance id that maps to the same folder), of an older grader (GRADER_VERSION), nor a
    tampering prediction's outcome graded under the other ``strict`` setting.
    """
    try:
        saved = json.loads(path.read_text())
    except (OSError, ValueError, RecursionError):  # not there, torn, not UTF-8: grade again
        return None
    if not isinstance(saved, dict) or saved.get("status") not in RESUMABLE:
        return None
    if (
        saved.get("patch_sha") != patch_sha(patch)
        or saved.get("instance_id") != instance.instance_id
        or saved.get("instance_key") != grading_key(instance)
        or saved.get("grader") != GRADER_VERSION
    ):
        return None
    tampered = saved.get("tampered") or []
    if tampered and saved.get("strict") != strict:  # only a tampering verdict depends on --strict
        return None
    return InstanceOutcome(
        instance.instance_id,
        saved["status"],
        saved.get("reason", ""),
        saved.get("report", {}),
        tampered,
        saved.get("apply_command", ""),
        saved.get("forged") or [],
    )


def _write_outcome(
    log_dir: Path, outcome: InstanceOutcome, patch: str, strict: bool, instance: Instance | None
) -> None:
    log_dir.mkdir(parents=True, exist_ok=True)
    if outcome.report:
        (log_dir / "report.json").write_text(json.dumps(outcome.report, indent=2) + "\n")
    saved = {
        "instance_id": outcome.instance_id,  # the original id (the folder name may be escaped)
        "status": outcome.status,
        "reason": outcome.reason,
        "report": outcome.report,
        "tampered": outcome.tampered,
        "apply_command": outcome.apply_command,
        "forged": outcome.forged,
        "patch_sha": patch_sha(patch),
        "instance_key": grading_key(instance) if instance is not None else "",
        "grader": GRADER_VERSION,
        "strict": strict,
    }
    # Written last, and whole or not at all: its presence marks the instance finished for a rerun.
    partial = log_dir / "outcome.json.partial"
    partial.write_text(json.dumps(saved) + "\n")
    os.replace(partial, log_dir / "outcome.json")


def evaluate_predictions(
    client,
    instances: dict[str, Instance],
    predictions: list[dict],
    image_for,
    config: SweEvalConfig,
    progress=None,
) -> list[InstanceOutcome]:
    """Evaluate every prediction (resuming finished ones); never stops on one instance's failure.

    One prediction per instance id (the last one given): two sharing a log folder would race.
    On Ctrl-C / SIGTERM (KeyboardInterrupt) it cancels what has not started and removes every live
    sandbox of this process before re-raising; each finished outcome is on disk already.
    """
    from env.sandbox import close_all_sandboxes

    predictions = list({p["instance_id"]: p for p in predictions}.values())
    outcomes: list[InstanceOutcome] = []
    pending = []
    for prediction in predictions:
        instance_id = prediction["instance_id"]
        patch = prediction.get("model_patch") or ""
        log_dir = log_dir_of(config, prediction)
        # Only an instance of the current file is graded or resumed: a verdict saved for an
        # instance since dropped from the file must not count.
        if instance_id not in instances:
            outcomes.append(InstanceOutcome(instance_id, "error", "unknown instance id"))
            continue
        saved = _saved_outcome(instances[instance_id], log_dir / "outcome.json", patch, config.strict)
        if saved is not None:
            outcomes.append(saved)
        elif instance_problem(instances[instance_id]):
            outcomes.append(InstanceOutcome(instance_id, "error", instance_problem(instances[instance_id])))
        elif not patch.strip():
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

    pool = ThreadPoolExecutor(max_workers=max(1, config.workers))
    try:
        futures = {pool.submit(work, p, d): (p, d) for p, d in pending}
        waiting = set(futures)
        while waiting:
            # A timed wait, so Ctrl-C and SIGTERM reach this thread while instances run.
            done, waiting = wait(waiting, timeout=0.5, return_when=FIRST_COMPLETED)
            for future in done:
                outcome = future.result()
                prediction, log_dir = futures[future]
                patch = prediction.get("model_patch") or ""
                instance = instances[prediction["instance_id"]]
                _write_outcome(log_dir, outcome, patch, config.strict, instance)
                outcomes.append(outcome)
                if progress is not None:
                    progress.update(1)
    except KeyboardInterrupt:
        # Refuse new sandboxes and remove the live ones: running instances then fail fast, so no
        # worker thread keeps the process (or a container) alive.
        close_all_sandboxes()
        raise
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    return outcomes


def format_outcomes(outcomes: list[InstanceOutcome]) -> str:
    """One line per instance (verdict, whether the patch changes test infrastructure, reason)."""
    lines = [f"{'instance':<40}{'verdict':<14}{'tampered':<10}reason"]
    for outcome in sorted(outcomes, key=lambda o: o.instance_id):
        tampered = "yes" if outcome.tampered else ""
        lines.append(f"{outcome.instance_id:<40}{outcome.status:<14}{tampered:<10}{outcome.reason}")
    submitted = len(outcomes)
    resolved = sum(o.status == "resolved" for o in outcomes)
    rate = 100 * resolved / submitted if submitted else 0.0
    lines.append(f"resolved {resolved}/{submitted} = {rate:.1f}%")
    for outcome in sorted((o for o in outcomes if o.tampered), key=lambda o: o.instance_id):
        lines.append(f"tampering: {outcome.instance_id} changes {', '.join(outcome.tampered)}")
    for outcome in sorted((o for o in outcomes if o.forged), key=lambda o: o.instance_id):
        lines.append(f"forged test log: {outcome.instance_id}: {'; '.join(outcome.forged)}")
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
    # The official harness makes a folder of each instance id as given: an id that is not a safe
    # folder name is not handed over (the CLI says which).
    wanted = [
        p
        for p in predictions
        if p["instance_id"] in instances and path_name(p["instance_id"]) == p["instance_id"]
    ]
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
