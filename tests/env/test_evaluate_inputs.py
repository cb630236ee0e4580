"""What `evaluate --domain swe` reads and where it writes (issue 20, items 3, 5, 8, 9).

- a saved verdict is reused only for the same instance record and patch: a changed FAIL_TO_PASS is
  graded again, and an instance dropped from the instances file no longer counts;
- an id or model name from a record never names a path outside the run folder (``/abs/dir``,
  ``../../x``, ``..``), and the report keeps the original id;
- one run per output folder: a second one stops at once with one line naming the first, and a killed
  run does not block the next;
- a field of the wrong type (NaN or a list as model_patch, an integer instance_id), a deeply nested
  line, or a non-UTF-8 line is one line naming file and line, skipped and counted; the rest is graded.

The Docker tests run the real CLI on the demo task (env.demo_task), as tests/env/test_swe_evaluation.py.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

from agent.json_input import MAX_DEPTH, JsonInputError, parse_json
from env.demo_task import WRONG_PATCH
from env.instances import InstanceError, grading_key, instance_record, read_instances
from env.results import path_name
from tests.conftest import REPO

DEEP = "[" * 5000 + "]" * 5000  # json.loads raises RecursionError on it
NOT_UTF8 = b'{"instance_id": "caf\xe9"}'


def _cli(*args, cwd=REPO, timeout=900):
    command = [sys.executable, "-m", "srl_trainer.swe", *args]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=timeout)


def _row(instance, **changes):
    return {**instance_record(instance), "version": "1.0", **changes}


def _write_jsonl(path: Path, rows) -> Path:
    """``rows``: dicts (dumped), str (written as is) or bytes (written as is), one per line."""
    lines = [
        r if isinstance(r, bytes) else (r if isinstance(r, str) else json.dumps(r)).encode() for r in rows
    ]
    data = b"".join(line + b"\n" for line in lines)
    path.write_bytes(data)
    return path


def _prediction(instance_id, patch, model="test-model"):
    return {"instance_id": instance_id, "model_name_or_path": model, "model_patch": patch}


# ---------------------------------------------------------------------------------------------
# Pure: names, readers, keys, the lock


@pytest.mark.parametrize("name", ["/abs/dir", "../../x", "..", ".", "", "a/b", "a\\b", "x" * 300, "é\n"])
def test_a_name_that_is_not_a_safe_path_becomes_one_component_inside_the_folder(tmp_path, name):
    escaped = path_name(name)
    assert escaped not in ("", ".", "..") and "/" not in escaped and len(escaped) <= 120
    assert (tmp_path / escaped).resolve().parent == tmp_path.resolve()
    assert path_name(name) == escaped  # stable: a rerun finds the same folder


def test_a_safe_name_is_kept_as_is_and_escaped_names_never_collide():
    assert path_name("django__django-11099") == "django__django-11099"
    names = ["a/b", "a_b", "a:b", "a b", path_name("a/b"), "..", "._.", "x" * 300, "x" * 301]
    assert len({path_name(n) for n in names}) == len(names)


@pytest.mark.parametrize(
    "text, problem",
    [
        (DEEP, f"nested deeper than {MAX_DEPTH} levels"),
        ("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), f"nested deeper than {MAX_DEPTH} levels"),
        ('{"model_patch": NaN}', "not valid JSON: NaN is not a JSON value"),
        ("[Infinity]", "Infinity is not a JSON value"),
        (NOT_UTF8, "not UTF-8"),
        ("{not json", "not valid JSON"),
    ],
)
def test_hostile_json_is_one_line_of_why_never_a_traceback(text, problem):
    with pytest.raises(JsonInputError, match=problem) as caught:
        parse_json(text)
    assert "\n" not in str(caught.value)


def test_result_files_keep_the_nan_they_wrote_and_drop_a_hostile_line(tmp_path):
    """env.results reads the project's own files: NaN (json.dumps writes it) stays, a line nested
    past the cap or not UTF-8 is dropped like a torn one."""
    from env.results import append_record, read_records

    path = tmp_path / "results.jsonl"
    append_record(path, {"score": float("nan")})
    with path.open("ab") as stream:
        stream.write(DEEP.encode() + b"\n" + NOT_UTF8 + b"\n")
    append_record(path, {"score": 1})
    scores = [r["score"] for r in read_records(path)]
    assert len(scores) == 2 and scores[0] != scores[0] and scores[1] == 1


def test_bad_prediction_lines_are_skipped_with_their_line_and_the_rest_is_read(tmp_path):
    from srl_trainer.evaluation.swe import read_predictions

    path = _write_jsonl(
        tmp_path / "preds.jsonl",
        [
            _prediction("a", "diff"),
            json.dumps(_prediction("b", float("nan"))),
            _prediction("c", ["not", "text"]),
            _prediction(7, "diff"),
            DEEP,
            NOT_UTF8,
            {"instance_id": "d", "model_name_or_path": {"x": 1}, "model_patch": "diff"},
            _prediction("e", None),
        ],
    )
    predictions, notes = read_predictions(path)
    assert [p["instance_id"] for p in predictions] == ["a", "e"]
    assert notes == [
        "preds.jsonl: line 2 is not valid JSON: NaN is not a JSON value; skipped",
        "preds.jsonl: line 3 has model_patch of type list (not a string or null); skipped",
        "preds.jsonl: line 4 has instance_id of type int (not a string); skipped",
        f"preds.jsonl: line 5 is nested deeper than {MAX_DEPTH} levels; skipped",
        "preds.jsonl: line 6 is not UTF-8 (byte 21); skipped",
        "preds.jsonl: line 7 has model_name_or_path of type dict (not a string or null); skipped",
    ]


def test_bad_instance_records_are_skipped_with_their_line_or_refused_whole(tmp_path, task):
    instance = task[0]
    path = _write_jsonl(
        tmp_path / "instances.jsonl",
        [
            _row(instance),
            _row(instance, instance_id=5),
            DEEP,
            NOT_UTF8,
            _row(instance, instance_id="x", test_patch=["a list"]),
            _row(instance, instance_id="y", version=float("nan")),  # json.dumps writes NaN
            '"a string"',
        ],
    )
    notes: list[str] = []
    assert list(read_instances(path, notes)) == [instance.instance_id]
    assert notes == [
        "instances.jsonl: line 2: 5: instance_id must be a string, not int; skipped",
        f"instances.jsonl: line 3: nested deeper than {MAX_DEPTH} levels; skipped",
        "instances.jsonl: line 4: not UTF-8 (byte 21); skipped",
        "instances.jsonl: line 5: x: test_patch must be a string or null, not list; skipped",
        "instances.jsonl: line 6: not valid JSON: NaN is not a JSON value; skipped",
        "instances.jsonl: line 7: a str, not an instance object; skipped",
    ]
    with pytest.raises(InstanceError, match=r"instances.jsonl line 2: 5: instance_id"):
        read_instances(path)  # without notes: the first bad record is the error
    whole = tmp_path / "instances.json"
    whole.write_bytes(b"[" + NOT_UTF8 + b"]")
    with pytest.raises(InstanceError, match=r"instances.json is not UTF-8"):
        read_instances(whole, [])


def test_an_unreadable_instances_file_is_one_line_and_exit_1(tmp_path):
    (tmp_path / "instances.json").write_bytes(b"\xff\xfe[]")
    _write_jsonl(tmp_path / "preds.jsonl", [_prediction("a", "diff")])
    result = _cli(
        "evaluate", "--instances", str(tmp_path / "instances.json"), "--predictions",
        str(tmp_path / "preds.jsonl"), "--out", str(tmp_path / "out"), timeout=120,
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"error: instances file {tmp_path / 'instances.json'} is not UTF-8 (byte 1)"
    ]


def test_the_grading_key_follows_what_grading_reads_and_not_the_problem_statement(task):
    instance = task[0]
    key = grading_key(instance)
    assert grading_key(replace(instance, problem_statement="reworded")) == key
    for changed in (
        replace(instance, fail_to_pass=("tests/test_add.py::other",)),
        replace(instance, pass_to_pass=()),
        replace(instance, test_patch=instance.test_patch + "\n"),
        replace(instance, base_commit="0" * 40),
        replace(instance, version="2.0"),
        replace(instance, repo="acme/other"),
        replace(instance, extra={"image_name": "x"}),
    ):
        assert grading_key(changed) != key


def test_an_unsafe_run_id_is_one_line(tmp_path):
    _write_jsonl(tmp_path / "preds.jsonl", [_prediction("a", "diff")])
    result = _cli(
        "evaluate", "--predictions", str(tmp_path / "preds.jsonl"), "--out", str(tmp_path / "out"),
        "--run-id", "../up", timeout=120,
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "error: --run-id '../up': use only letters, digits, '.', '_' and '-'"
    ]


HOLD = """
import sys, time
from srl_trainer.cli.folder_lock import folder_lock
with folder_lock(sys.argv[1]):
    print("held", flush=True)
    time.sleep(600)
"""


def test_a_second_run_on_a_folder_in_use_stops_with_one_line_and_a_killed_run_frees_it(tmp_path):
    """The first run is any process holding the folder's lock (as `evaluate` does); SIGKILL frees it."""
    from srl_trainer.cli.folder_lock import folder_lock

    out = tmp_path / "out"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(out)], cwd=REPO, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline() == "held\n"
        _write_jsonl(tmp_path / "preds.jsonl", [_prediction("a", "diff")])
        started = time.monotonic()
        result = _cli(
            "evaluate", "--predictions", str(tmp_path / "preds.jsonl"), "--out", str(out), timeout=120
        )
        assert time.monotonic() - started < 60  # at once: no grading, no waiting for the lock
        assert result.returncode == 1
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"error: --out {out} is in use by another run (pid ")
        assert f"pid {holder.pid} on " in lines[0] and "started " in lines[0]
        assert not (out / "logs").exists()
    finally:
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait()
    with folder_lock(out):  # the kernel dropped the killed holder's lock
        assert f"pid {os.getpid()} on " in (out / ".srl-trainer.lock").read_text()


# ---------------------------------------------------------------------------------------------
# Docker: the real CLI grades


PREFIX = "acme__calc-in"  # every instance id of this module starts with it (their images are removed)


@pytest.fixture(scope="module")
def remove_images():
    """Removes, at the module's end, the instance images of this module's ids (escaped in tags)."""
    yield
    import docker

    client = docker.from_env()
    for image in client.images.list(name="srl-trainer/instance"):
        if any(mark in tag.split(":")[-1] for tag in image.tags for mark in ("calc-in", "abs-target")):
            client.images.remove(image.id, force=True)


def _evaluate(folder: Path, repos: Path, instances: Path, predictions: Path, *extra):
    return _cli(
        "evaluate", "--instances", str(instances), "--predictions", str(predictions), "--repos", str(repos),
        "--out", str(folder / "out"), "--run-id", "t1", "--workers", "2", "--timeout", "120", *extra,
    )  # fmt: skip


@pytest.mark.docker
def test_a_changed_instance_record_is_graded_again_and_a_dropped_instance_no_longer_counts(
    base_image, task, tmp_path, remove_images
):
    instance, repos = task
    a, b = (replace(instance, instance_id=f"{PREFIX}-{k}") for k in ("a", "b"))
    instances = _write_jsonl(tmp_path / "instances.jsonl", [_row(a), _row(b)])
    predictions = _write_jsonl(
        tmp_path / "preds.jsonl", [_prediction(a.instance_id, a.patch), _prediction(b.instance_id, b.patch)]
    )
    first = _evaluate(tmp_path, repos, instances, predictions)
    assert first.returncode == 0, first.stderr[-2000:]
    report_path = tmp_path / "out" / "test-model.t1.json"
    assert json.loads(report_path.read_text())["resolved_ids"] == [a.instance_id, b.instance_id]
    log = tmp_path / "out" / "logs" / "t1" / "test-model" / a.instance_id / "test_output.txt"
    before = log.stat().st_mtime_ns

    # The same patches; a's FAIL_TO_PASS now names a test the fix does not make pass, b is dropped.
    _write_jsonl(
        instances, [_row(a, FAIL_TO_PASS=["tests/test_add.py::test_add", "tests/test_add.py::nope"])]
    )
    second = _evaluate(tmp_path, repos, instances, predictions)
    assert second.returncode == 0, second.stderr[-2000:]
    report = json.loads(report_path.read_text())
    assert log.stat().st_mtime_ns != before  # graded again, not resumed
    assert report["resolved_ids"] == [] and report["unresolved_ids"] == [a.instance_id]
    assert report["error_reasons"] == {b.instance_id: "unknown instance id"}
    assert report["total_instances"] == 1 and report["resolved_instances"] == 0
    assert "resolved 0/2 = 0.0%" in second.stdout

    # Unchanged record and patch: resumed from disk, not graded again.
    before = log.stat().st_mtime_ns
    third = _evaluate(tmp_path, repos, instances, predictions)
    assert third.returncode == 0 and log.stat().st_mtime_ns == before
    assert json.loads(report_path.read_text())["unresolved_ids"] == [a.instance_id]


@pytest.mark.docker
def test_path_escaping_ids_and_bad_records_stay_inside_the_run_and_the_rest_is_graded(
    base_image, task, tmp_path, remove_images
):
    instance, repos = task
    target = tmp_path / "abs-target"
    gold = replace(instance, instance_id=f"{PREFIX}-gold")
    up = replace(instance, instance_id=f"../../{PREFIX}-up")
    absolute = replace(instance, instance_id=f"{target}/{PREFIX}-abs")
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    instances = _write_jsonl(
        inputs / "instances.jsonl",
        [_row(gold), _row(up), _row(absolute), _row(instance, instance_id=5), DEEP, NOT_UTF8],
    )
    predictions = _write_jsonl(
        inputs / "preds.jsonl",
        [
            _prediction(gold.instance_id, gold.patch, model=".."),
            _prediction(up.instance_id, gold.patch, model=".."),
            _prediction(absolute.instance_id, WRONG_PATCH, model=".."),
            json.dumps(_prediction(gold.instance_id, float("nan"))),  # json writes NaN
            _prediction(gold.instance_id, ["a list"]),
            _prediction(5, gold.patch),
            DEEP,
            NOT_UTF8,
        ],
    )
    run = tmp_path / "run"
    result = _evaluate(run, repos, instances, predictions)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    for line in (
        "instances.jsonl: line 4: 5: instance_id must be a string, not int; skipped",
        f"instances.jsonl: line 5: nested deeper than {MAX_DEPTH} levels; skipped",
        "instances.jsonl: line 6: not UTF-8 (byte 21); skipped",
        "preds.jsonl: line 4 is not valid JSON: NaN is not a JSON value; skipped",
        "preds.jsonl: line 5 has model_patch of type list (not a string or null); skipped",
        "preds.jsonl: line 6 has instance_id of type int (not a string); skipped",
        f"preds.jsonl: line 7 is nested deeper than {MAX_DEPTH} levels; skipped",
        "preds.jsonl: line 8 is not UTF-8 (byte 21); skipped",
        "skipped 3 instance record(s) and 5 prediction(s), each named above; grading the rest",
    ):
        assert line in result.stderr.splitlines(), (line, result.stderr[-3000:])

    # Nothing outside the run folder: no abs-target, nothing beside inputs/ and run/ two levels up.
    assert not target.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["inputs", "run"]
    assert sorted(p.name for p in run.iterdir()) == ["out"]
    model = path_name("..")
    report_path = run / "out" / f"{model}.t1.json"
    report = json.loads(report_path.read_text())
    # The report keeps the ids and the model name as given.
    assert report["model_name_or_path"] == ".."
    assert report["resolved_ids"] == sorted([gold.instance_id, up.instance_id])
    assert report["unresolved_ids"] == [absolute.instance_id]
    assert report["skipped_records"] == {"instances": 3, "predictions": 5}
    logs = run / "out" / "logs" / "t1"
    assert [p.name for p in logs.iterdir()] == [model]
    folders = {p.name for p in (logs / model).iterdir()}
    assert folders == {path_name(i.instance_id) for i in (gold, up, absolute)}
    for item in (gold, up, absolute):
        saved = json.loads((logs / model / path_name(item.instance_id) / "outcome.json").read_text())
        assert saved["instance_id"] == item.instance_id
    every = [p.resolve() for p in run.rglob("*")]
    assert all(p.is_relative_to(run.resolve()) for p in every)
