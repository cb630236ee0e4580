"""Every real sample record parses into the expected steps; quirks are handled on purpose."""

from __future__ import annotations

import json

import pytest

from agent.actions import BashAction, EditorAction, FinishAction
from agent.formats import RecordError, SourceError, detect_format, parse_record, read_trajectories

# Expected step counts, counted by hand from the raw files (one step per tool call):
# - swegym_openhands_sampled.json: mypy-15976 has 17 assistant turns with 1,1,1,1,1,1,1,2,2,2,4,1,1,1,
#   0,0,1 calls = 21; MONAI-5686 has 1*8 + 0 + 0 + 1 = 9; MONAI-6849 has 1,1,1,2,1,1,1,1,1,0,0,1 = 11.
# - openhands_textfc.jsonl: 21 assistant turns (messages 2, 4, ..., 42), each with one call.
# - swesmith_textfc.jsonl: 15 assistant turns (messages 2, 4, ..., 30), each with one call.
# - sweagent_pydicom-1458.traj: 12 entries in "trajectory".
EXPECTED_STEPS = {
    "python__mypy-15976_0": 21,
    "Project-MONAI__MONAI-5686_4": 9,
    "Project-MONAI__MONAI-6849_1": 11,
}


def test_native_tool_call_sample_gives_one_step_per_call(samples):
    result = read_trajectories(str(samples / "swegym_openhands_sampled.json"))
    assert result.records_read == 3 and not result.skipped
    assert {t.instance_id: len(t.steps) for t in result.trajectories} == EXPECTED_STEPS
    for trajectory in result.trajectories:
        assert trajectory.source_format == "openhands_native"
        assert trajectory.resolved is True
        assert isinstance(trajectory.steps[-1].action, FinishAction)
        assert "<pr_description>" in trajectory.problem


def test_multi_call_turn_keeps_each_observation_with_its_call(samples):
    trajectory = read_trajectories(str(samples / "swegym_openhands_sampled.json")).trajectories[0]
    # Turn 9 holds two views (attrs.py then dataclasses.py, lines 1-40), answered by two tool
    # messages in the same order.
    first, second = trajectory.steps[9], trajectory.steps[10]
    assert first.action.path.endswith("mypy/plugins/attrs.py")
    assert second.action.path.endswith("mypy/plugins/dataclasses.py")
    assert "on /workspace/python__mypy__1.6/mypy/plugins/attrs.py" in first.observation
    assert "on /workspace/python__mypy__1.6/mypy/plugins/dataclasses.py" in second.observation
    assert not first.observation.startswith("OBSERVATION:")


def test_plain_text_turns_become_thought_of_the_next_action(samples):
    trajectory = read_trajectories(str(samples / "swegym_openhands_sampled.json")).trajectories[1]
    assert "SSIMLoss" in trajectory.steps[-1].thought  # the two no-call turns before finish


def test_openhands_text_sample(samples):
    result = read_trajectories(str(samples / "openhands_textfc.jsonl"))
    [trajectory] = result.trajectories
    assert len(trajectory.steps) == 21
    assert trajectory.source_format == "openhands_text"
    # The in-context example is not part of the problem.
    assert "START OF EXAMPLE" not in trajectory.problem
    assert trajectory.problem.startswith("You are now given a project directory")
    # Quirk: the final finish lacks </function>; it is accepted, its message kept as thought.
    assert isinstance(trajectory.steps[-1].action, FinishAction)
    assert "CPU class now serves" in trajectory.steps[-1].thought
    # execute_bash with is_input=true (answering a prompt of a running command) survives.
    assert trajectory.steps[19].action == BashAction(command="y", is_input=True)
    assert trajectory.steps[0].observation.startswith("Here's the files and directories")


def test_swesmith_tool_names_map_to_openhands(samples):
    [trajectory] = read_trajectories(str(samples / "swesmith_textfc.jsonl")).trajectories
    assert len(trajectory.steps) == 15
    assert trajectory.instance_id == "arrow-py__arrow.1d70d009.lm_rewrite__nuzjfyur"
    tools = [step.action.tool for step in trajectory.steps]
    assert tools[0] == "execute_bash" and tools.count("finish") == 2  # submit, clean up, submit
    assert trajectory.steps[0].observation.startswith("/testbed/arrow/__init__.py")


def test_sweagent_traj(samples):
    [trajectory] = read_trajectories(str(samples / "sweagent_pydicom-1458.traj")).trajectories
    assert len(trajectory.steps) == 12
    assert trajectory.source_format == "sweagent"
    assert trajectory.steps[0].action == BashAction(command="create reproduce_bug.py")
    assert trajectory.steps[1].action.command.startswith("edit 1:1\nimport numpy as np")
    assert isinstance(trajectory.steps[-1].action, FinishAction)
    assert trajectory.problem.startswith("Pixel Representation attribute should be optional")
    assert "DEMONSTRATION" not in trajectory.problem


def test_folder_source_reads_every_file_and_counts_non_trajectories(samples):
    result = read_trajectories(str(samples))
    assert sorted(len(t.steps) for t in result.trajectories) == [9, 11, 12, 15, 21, 21]
    assert result.skipped == {"unknown_format": 2}  # the two SWE-bench instances


def _text_record(samples) -> dict:
    return json.loads((samples / "openhands_textfc.jsonl").read_text().splitlines()[0])


def test_finish_pseudo_tag_is_free_text_not_a_call(samples):
    record = _text_record(samples)
    record["messages"][-1]["content"] = "All done.\n<finish>The task is complete.</finish>"
    trajectory = parse_record(record)
    assert len(trajectory.steps) == 20  # the last turn is no call; earlier steps are kept
    assert not isinstance(trajectory.steps[-1].action, FinishAction)


def test_unsupported_tool_skips_the_record(samples):
    record = _text_record(samples)
    record["messages"][2]["content"] = (
        "<function=browser>\n<parameter=code>goto('x')</parameter>\n</function>"
    )
    with pytest.raises(RecordError) as error:
        parse_record(record)
    assert error.value.reason == "unsupported_tool"


def test_native_record_with_bad_arguments_json_is_counted(samples, tmp_path):
    records = json.loads((samples / "swegym_openhands_sampled.json").read_text())
    records[0]["messages"][2]["tool_calls"][0]["function"]["arguments"] = '{"command": "view", '
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(records))
    result = read_trajectories(str(path))
    assert result.kept == 2 and result.skipped == {"bad_arguments_json": 1}


def test_bad_jsonl_lines_are_skipped_not_fatal(samples, tmp_path):
    path = tmp_path / "mixed.jsonl"
    path.write_text("{not json\n" + (samples / "swesmith_textfc.jsonl").read_text() + "[1, 2]\n")
    result = read_trajectories(str(path))
    assert result.kept == 1
    assert result.skipped == {"invalid_json": 1, "unknown_format": 1}
    assert result.records_read == 3


def test_editor_arguments_are_typed(samples):
    trajectory = read_trajectories(str(samples / "swegym_openhands_sampled.json")).trajectories[0]
    view = trajectory.steps[2].action
    assert view == EditorAction(command="view", path="/workspace/python__mypy__1.6/mypy", view_range=(0, 20))


def test_detect_format_rejects_records_without_calls():
    with pytest.raises(RecordError):
        detect_format({"messages": [{"role": "user", "content": "hi"}]})


def test_missing_source_is_one_clear_error(tmp_path):
    with pytest.raises(SourceError, match="no such file"):
        read_trajectories(str(tmp_path / "nope.json"))


def test_unparseable_json_file_is_a_source_error(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text("{ this is not json")
    with pytest.raises(SourceError, match="not valid JSON"):
        read_trajectories(str(path))


def test_saved_dataset_folder_loads_through_the_hub_code_path(samples, tmp_path):
    from datasets import Dataset

    rows = [json.loads(line) for line in (samples / "swesmith_textfc.jsonl").read_text().splitlines()]
    Dataset.from_list(rows).save_to_disk(str(tmp_path / "saved"))
    result = read_trajectories(str(tmp_path / "saved"))
    assert [len(t.steps) for t in result.trajectories] == [15]
