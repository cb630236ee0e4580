"""`train --method midtrain`: the warmup-stable-decay schedule per phase, the phase mixes, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from srl_trainer.errors import CliError
from srl_trainer.swe import main
from srl_trainer.training.midtrain import mix_documents, parse_mix, read_documents

SMALL = ["--midtrain-seq-len", "32", "--midtrain-batch-size", "2", "--tiny-hidden-size", "32"]


def _write_text_sources(folder: Path) -> tuple[Path, Path]:
    stable = folder / "facts.txt"
    stable.write_text("\n\n".join(f"{a} + {b} = {a + b}." for a in range(12) for b in range(1, 6)) + "\n")
    decay = folder / "qa.jsonl"
    rows = [{"question": f"What is {a} + 2?", "solution": f"{a} + 2 = {a + 2}."} for a in range(40)]
    decay.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return stable, decay


def _midtrain_rows(run: Path) -> list[dict]:
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    return [r for r in rows if r.get("phase") == "midtrain"]


def test_midtrain_on_local_text_follows_warmup_stable_decay_and_switches_mix(tmp_path, capsys):
    stable, decay = _write_text_sources(tmp_path)
    run = tmp_path / "run"
    status = main(
        ["train", "--method", "midtrain", "--domain", "math", "--out", str(run), *SMALL]
        + ["--midtrain-stable-mix", str(stable), "--midtrain-decay-mix", str(decay)]
        + ["--midtrain-warmup-steps", "3", "--midtrain-learning-rate", "0.001"]
    )
    assert status == 0
    rows = _midtrain_rows(run)
    phases = [r["midtrain_phase"] for r in rows]
    summary = json.loads((run / "summary.json").read_text())["midtrain"]
    # Steps read the stable mix (warmup first), then the decay mix, each step in exactly one phase.
    assert (
        phases
        == ["warmup"] * 3 + ["stable"] * (summary["stable_steps"] - 3) + ["decay"] * summary["decay_steps"]
    )
    lr = {phase: [r["learning_rate"] for r in rows if r["midtrain_phase"] == phase] for phase in set(phases)}
    assert lr["warmup"] == sorted(lr["warmup"]) and lr["warmup"][0] < lr["warmup"][-1]
    assert set(lr["stable"]) == {0.001}
    assert lr["decay"] == sorted(lr["decay"], reverse=True) and lr["decay"][-1] < 0.001
    assert all("loss" in r for r in rows)
    assert (run / "curves.png").stat().st_size > 0
    # The base checkpoint loads like any model id, which is how every other method takes it.
    from transformers import AutoModelForCausalLM

    AutoModelForCausalLM.from_pretrained(str(run / "final"))
    assert "midtrain" in capsys.readouterr().out


def test_midtrain_runs_on_the_embedded_corpus(tmp_path):
    run = tmp_path / "run"
    status = main(
        ["train", "--method", "midtrain", "--domain", "math", "--out", str(run), *SMALL]
        + ["--midtrain-max-steps", "4", "--midtrain-warmup-steps", "1"]
    )
    assert status == 0
    rows = _midtrain_rows(run)
    assert len(rows) == 4 and rows[-1]["midtrain_phase"] == "decay"
    assert (run / "final" / "config.json").exists()


@pytest.mark.parametrize(
    ("content", "flag_value", "message"),
    [
        ("", "empty.txt", "no text"),
        ('{"label": 3}\n', "numbers.jsonl", "no text"),
        ("one short line\n", "tiny.txt", "packs into 0 sequence"),
        (None, "missing.jsonl", "not a readable"),
    ],
)
def test_bad_corpus_stops_with_one_line_before_any_model_is_built(
    tmp_path, capsys, content, flag_value, message
):
    source = tmp_path / flag_value
    if content is not None:
        source.write_text(content)
    run = tmp_path / "run"
    status = main(
        ["train", "--method", "midtrain", "--domain", "math", "--out", str(run), *SMALL]
        + ["--midtrain-stable-mix", str(source)]
    )
    err = capsys.readouterr().err.strip()
    assert status == 1
    assert len(err.splitlines()) == 1 and message in err
    assert not (run / "base").exists()  # failed in planning, not after building a model


def test_a_mix_naming_an_unknown_embedded_corpus_is_refused():
    with pytest.raises(CliError, match="unknown embedded corpus embedded:nope"):
        read_documents("embedded:nope")
    with pytest.raises(CliError, match="is empty"):
        parse_mix(" , ", "--midtrain-decay-mix")
    with pytest.raises(CliError, match="not a number"):
        parse_mix("a.txt@lots", "--midtrain-stable-mix")


def test_mix_weights_repeat_or_subsample_a_source(tmp_path):
    a = tmp_path / "a.txt"
    a.write_text("\n\n".join(f"a{k}" for k in range(10)))
    b = tmp_path / "b.txt"
    b.write_text("\n\n".join(f"b{k}" for k in range(10)))
    documents = mix_documents(parse_mix(f"{a}@2,{b}@0.5", "--x"), seed=0)
    assert sum(d.startswith("a") for d in documents) == 20
    assert sum(d.startswith("b") for d in documents) == 5
    assert documents == mix_documents(parse_mix(f"{a}@2,{b}@0.5", "--x"), seed=0)  # seeded


def test_resume_of_a_finished_midtrain_run_trains_nothing_again(tmp_path):
    run = tmp_path / "run"
    args = ["train", "--method", "midtrain", "--domain", "math", "--out", str(run), *SMALL]
    assert main([*args, "--midtrain-max-steps", "4", "--midtrain-warmup-steps", "1"]) == 0
    before = (run / "metrics.jsonl").read_text()
    assert main(["train", "--resume", "--out", str(run)]) == 0
    assert (run / "metrics.jsonl").read_text() == before  # no step logged twice
    assert not (run / "midtrain").exists()  # trainer states go once the run is complete


def test_a_steps_source_renders_each_expert_step_as_the_chat_text_sft_trains_on(tmp_path):
    from transformers import AutoTokenizer

    from srl_trainer.data.embedded import default_tokenizer_dir

    records = tmp_path / "chains.jsonl"
    row = {"question": "Compute 7 + 3 - 5.", "solution": "1. 7 + 3 = 10.\n2. 10 - 5 = 5, so \\boxed{5}."}
    records.write_text(json.dumps(row) + "\n")
    tokenizer = AutoTokenizer.from_pretrained(default_tokenizer_dir())
    documents = read_documents(f"steps:{records}", tokenizer)
    assert len(documents) == 2  # one per step
    first, second = documents
    assert first.startswith("<|im_start|>system") and "Compute 7 + 3 - 5." in first
    assert first.endswith("</think>\n1. 7 + 3 = 10.")
    assert "1. 7 + 3 = 10." in second.split("<|im_start|>assistant")[0]  # earlier step in the prompt
    assert second.endswith("</think>\n2. 10 - 5 = 5, so \\boxed{5}.")
    with pytest.raises(CliError, match="needs a .jsonl file"):
        read_documents(f"steps:{tmp_path / 'missing.jsonl'}", tokenizer)
