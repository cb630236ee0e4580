"""Result files that a kill can cut short: a torn last line is dropped, the rest is kept."""

from __future__ import annotations

import json

from env.results import append_record, read_records, write_records


def test_a_torn_last_line_is_dropped_and_cut_so_the_next_append_starts_a_fresh_line(tmp_path):
    path = tmp_path / "results.jsonl"
    path.write_text('{"id": "a"}\nnot json\n{"id": "b"}\n{"id": "c", "tor')
    assert read_records(path) == [{"id": "a"}, {"id": "b"}]
    append_record(path, {"id": "c"})
    assert path.read_text().splitlines() == ['{"id": "a"}', "not json", '{"id": "b"}', '{"id": "c"}']


def test_a_missing_file_has_no_records_and_a_rewrite_replaces_the_whole_file(tmp_path):
    path = tmp_path / "results.jsonl"
    assert read_records(path) == []
    write_records(path, [{"id": "x"}])
    assert [json.loads(line) for line in path.read_text().splitlines()] == [{"id": "x"}]
    assert not (tmp_path / "results.jsonl.tmp").exists()
