"""Hostile JSON in trajectory sources (prepare's input, issue 20 item 9): a deeply nested line
(RecursionError in json.loads), a non-UTF-8 line, NaN, and an integer instance_id are each one
counted skip naming the line; the good records are read."""

from __future__ import annotations

import json

from agent.formats import read_trajectories
from tests.conftest import REPO


def test_hostile_trajectory_lines_are_counted_skips_and_the_good_record_is_read(tmp_path):
    record = json.loads((REPO / "data" / "sample" / "trajectories.json").read_text())[0]
    source = tmp_path / "mixed.jsonl"
    lines = [
        json.dumps(record).encode(),
        b"[" * 5000 + b"]" * 5000,
        b'{"instance_id": "caf\xe9"}',
        json.dumps({**record, "resolved": float("nan")}).encode(),  # json writes NaN
        json.dumps({**record, "instance_id": 5}).encode(),
        json.dumps({**record, "messages": "[" * 5000 + "]" * 5000}).encode(),
    ]
    source.write_bytes(b"\n".join(lines) + b"\n")
    result = read_trajectories(str(source))
    assert [t.instance_id for t in result.trajectories] == [record["instance_id"]]
    assert result.records_read == 6
    assert result.skipped == {"invalid_json": 3, "bad_instance_id": 1, "bad_messages_json": 1}
    assert result.skipped_where["invalid_json"] == [f"{source}:{n}" for n in (2, 3, 4)]
    assert result.skipped_where["bad_instance_id"] == [f"{source}:5 (5)"]
