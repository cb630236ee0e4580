"""Mid-training (the OctoThinker recipe): causal-LM training on text before any RL.

Two phases on one warmup-stable-decay learning rate (transformers' ``warmup_stable_decay``
scheduler): the warmup and the stable phase read one data mix (``stable_mix``: language, code,
single-step skills), the decay phase reads another (``decay_mix``: the chain-of-thought /
question-answer mix). Documents are tokenized, joined with EOS and packed into sequences of
``seq_len`` tokens; the sequences are fed in order (stable first, then decay), so each optimizer
step belongs to exactly one phase and the learning rate starts decaying where the decay mix starts.

A mix is a comma-separated list of sources, each optionally weighted ``SOURCE@WEIGHT`` (a weight of 2
reads the source twice, 0.5 a seeded half of its documents). A source is a hub dataset id, a local
``.jsonl`` / ``.json`` / ``.parquet`` file (a ``text`` column, else ``question`` + ``solution`` as
question-answer text) or ``.txt`` file (documents separated by blank lines), or an embedded corpus:

- ``embedded:math``    the embedded math training solutions as plain step-by-step text
- ``embedded:math-qa`` the same problems as question -> worked answer (the decay mix)
- ``embedded:swe``     the embedded SWE training trajectories as text, plus the training repositories'
  source files
- ``steps:FILE.jsonl``  the math records of FILE (``question`` + ``solution``) as the step examples
  SFT and SRL train on: one document per step, the step prompt rendered by the tokenizer's own chat
  template, then the think block and the step (the format later phases read, taught while the
  learning rate decays)

Only training splits go in: the held-out math problems and held-out repositories never do.
"""

from __future__ import annotations

import json
import math
import os
import random
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from srl_trainer.errors import CliError

EMBEDDED_SOURCES = ("embedded:math", "embedded:math-qa", "embedded:swe")
# --domain -> (stable mix, decay mix) when the flags leave them empty
DEFAULT_MIXES = {"math": ("embedded:math", "embedded:math-qa"), "swe": ("embedded:swe", "embedded:swe@0.25")}


@dataclass(frozen=True)
class MixPart:
    source: str
    weight: float = 1.0


def parse_mix(text: str, flag: str) -> list[MixPart]:
    """``a.jsonl@2,embedded:math`` -> parts; CliError naming ``flag`` on an empty mix or a bad weight."""
    parts = []
    for item in (s.strip() for s in text.split(",")):
        if not item:
            continue
        source, _, weight = item.rpartition("@") if "@" in item else (item, "", "1")
        try:
            value = float(weight)
        except ValueError:
            raise CliError(f"{flag}: weight {weight!r} of {source} is not a number") from None
        if value <= 0:
            raise CliError(f"{flag}: weight of {source} must be above 0")
        parts.append(MixPart(source, value))
    if not parts:
        raise CliError(f"{flag} is empty: name at least one text source")
    return parts


def _row_text(row: dict[str, Any]) -> str:
    if isinstance(row.get("text"), str):
        return row["text"]
    question = row.get("question") or row.get("problem")
    answer = row.get("solution") or row.get("deepseek_attempt")
    if isinstance(question, str) and isinstance(answer, str):
        return qa_text(question, answer)
    return ""


def qa_text(question: str, answer: str) -> str:
    return f"Question: {question.strip()}\nAnswer: {answer.strip()}"


def _embedded_documents(name: str) -> list[str]:
    from srl_trainer.data.embedded import data_dir, default_expert_data

    if name in ("embedded:math", "embedded:math-qa"):
        rows = _jsonl(default_expert_data("math", "train"))
        if name == "embedded:math":
            return [f"{r['question'].strip()}\n\n{r['solution'].strip()}" for r in rows]
        return [qa_text(r["question"], r["solution"]) for r in rows]
    # SWE: training trajectories as text, and the source files of the repositories they use
    from agent.actions import render_action
    from agent.formats import read_trajectories

    trajectories = read_trajectories(str(default_expert_data("swe", "train"))).trajectories
    documents = []
    repos = set()
    for trajectory in trajectories:
        parts = [trajectory.problem.strip()]
        for step in trajectory.steps:
            parts.append(render_action(step.action))
            if step.observation:
                parts.append(step.observation.strip())
        documents.append("\n\n".join(parts))
        repos.add((trajectory.instance_id or "").rsplit("-", 1)[0])
    for tree in sorted((data_dir() / "repos").glob("*__*")):
        if any(repo and tree.name.startswith(repo.replace("/", "__")) for repo in repos):
            documents += [p.read_text(encoding="utf-8") for p in sorted(tree.rglob("*.py"))]
    return documents


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def step_documents(path: Path, tokenizer) -> list[str]:
    """Every step of the math records in ``path`` as the chat text SFT trains on (prompt + reply)."""
    from srl_trainer.data.math_steps import parse_math_record
    from srl_trainer.data.stepwise import step_prompt, think_then_act

    documents = []
    for index, row in enumerate(_jsonl(path)):
        record = parse_math_record(row, index)
        for k, step in enumerate(record.steps):
            messages = step_prompt(record.question, record.steps[:k])
            prompt = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
            documents.append(prompt + think_then_act("math", step))
    return documents


def read_documents(source: str, tokenizer=None) -> list[str]:
    """The text documents of one source; CliError (one line) when it is missing or holds no text.
    ``tokenizer`` renders ``steps:`` sources (its chat template)."""
    if source.startswith("steps:"):
        path = Path(source.removeprefix("steps:"))
        if path.suffix != ".jsonl" or not path.is_file():
            raise CliError(f"{source}: steps: needs a .jsonl file of math records (question, solution)")
        if tokenizer is None or not getattr(tokenizer, "chat_template", None):
            raise CliError(f"{source}: the tokenizer has no chat template to render step prompts with")
        documents = step_documents(path, tokenizer)
    elif source in EMBEDDED_SOURCES:
        documents = _embedded_documents(source)
    elif source.startswith("embedded:"):
        raise CliError(f"unknown embedded corpus {source}; choose from {', '.join(EMBEDDED_SOURCES)}")
    else:
        path = Path(source)
        if path.suffix == ".txt" and path.is_file():
            documents = [d.strip() for d in path.read_text(encoding="utf-8").split("\n\n")]
        elif path.suffix in (".jsonl", ".json") and path.is_file():
            try:
                rows = _jsonl(path) if path.suffix == ".jsonl" else json.loads(path.read_text())
            except json.JSONDecodeError as error:
                raise CliError(f"{source}: not JSON ({error})") from None
            documents = [_row_text(r) if isinstance(r, dict) else "" for r in rows]
        elif path.suffix == ".parquet" and path.is_file():
            from datasets import Dataset

            documents = [_row_text(r) for r in Dataset.from_parquet(str(path))]
        elif path.exists() or path.suffix in (".txt", ".jsonl", ".json", ".parquet"):
            raise CliError(f"{source}: not a readable .txt/.jsonl/.json/.parquet file")
        else:
            documents = _hub_documents(source)
    documents = [d for d in documents if d.strip()]
    if not documents:
        raise CliError(f"{source}: no text (need a 'text' column, or 'question' and 'solution')")
    return documents


def _hub_documents(name: str) -> list[str]:
    from datasets import load_dataset

    try:
        dataset = load_dataset(name, split="train")
    except Exception as error:  # hub errors come in many types; one line is what the user needs
        raise CliError(f"cannot load text source {name}: {str(error).splitlines()[0]}") from None
    return [_row_text(r) for r in dataset]


def mix_documents(parts: list[MixPart], seed: int, tokenizer=None) -> list[str]:
    """The documents of a mix, each source read ``weight`` times (fractions: a seeded subset), shuffled."""
    rng = random.Random(seed)
    documents: list[str] = []
    for part in parts:
        docs = read_documents(part.source, tokenizer)
        whole = math.floor(part.weight)
        documents += docs * whole
        extra = round((part.weight - whole) * len(docs))
        documents += rng.sample(docs, extra)
    rng.shuffle(documents)
    return documents


def pack(documents: list[str], tokenizer, seq_len: int) -> list[list[int]]:
    """Documents joined with EOS and cut into full ``seq_len`` blocks (the last partial block dropped)."""
    ids: list[int] = []
    for document in documents:
        ids += tokenizer(document, add_special_tokens=False)["input_ids"] + [tokenizer.eos_token_id]
    return [ids[k : k + seq_len] for k in range(0, len(ids) - seq_len + 1, seq_len)]


@dataclass
class MidtrainPlan:
    """The packed sequences of both phases and the step count of each."""

    stable: list[list[int]]
    decay: list[list[int]]
    batch_size: int
    warmup_steps: int

    @property
    def stable_steps(self) -> int:
        return len(self.stable) // self.batch_size

    @property
    def decay_steps(self) -> int:
        return len(self.decay) // self.batch_size

    @property
    def total_steps(self) -> int:
        return self.stable_steps + self.decay_steps

    def phase_of(self, step: int) -> str:
        """Phase of optimizer step ``step`` (1-based, as Trainer counts)."""
        if step <= self.warmup_steps:
            return "warmup"
        return "stable" if step <= self.stable_steps else "decay"


def plan_midtraining(config, tokenizer) -> MidtrainPlan:
    """Read and pack both mixes; every bad input fails here, before a model is built."""
    default_stable, default_decay = DEFAULT_MIXES[config.domain]
    stable_parts = parse_mix(config.midtrain_stable_mix or default_stable, "--midtrain-stable-mix")
    decay_parts = parse_mix(config.midtrain_decay_mix or default_decay, "--midtrain-decay-mix")
    seq_len, batch = config.midtrain_seq_len, config.midtrain_batch_size
    if tokenizer.eos_token_id is None:
        raise CliError("the tokenizer has no EOS token to separate packed documents; pick another --model")
    stable = pack(mix_documents(stable_parts, config.seed, tokenizer), tokenizer, seq_len)
    decay = pack(mix_documents(decay_parts, config.seed + 1, tokenizer), tokenizer, seq_len)
    for name, sequences in (("stable", stable), ("decay", decay)):
        if len(sequences) < batch:
            raise CliError(
                f"the {name} mix packs into {len(sequences)} sequence(s) of {seq_len} tokens; one "
                f"batch needs {batch}: add text or lower --midtrain-seq-len/--midtrain-batch-size"
            )
    cap = config.midtrain_max_steps
    total = (len(stable) + len(decay)) // batch
    if cap > 0 and total > cap:  # both phases shortened in proportion, each keeps one step at least
        keep_stable = max(1, min(cap - 1, round(cap * (len(stable) // batch) / total)))
        stable, decay = stable[: keep_stable * batch], decay[: (cap - keep_stable) * batch]
    plan = MidtrainPlan(stable, decay, batch, config.midtrain_warmup_steps)
    if plan.warmup_steps >= plan.stable_steps:
        raise CliError(
            f"--midtrain-warmup-steps {plan.warmup_steps} must be below the stable phase's "
            f"{plan.stable_steps} steps"
        )
    return plan


class _PackedSequences:
    """The sequences of both phases, in order (an IterableDataset: Trainer does not shuffle it)."""

    def __init__(self, plan: MidtrainPlan) -> None:
        self.sequences = (
            plan.stable[: plan.stable_steps * plan.batch_size]
            + plan.decay[: plan.decay_steps * plan.batch_size]
        )

    def __iter__(self) -> Iterator[dict[str, Any]]:
        import torch

        for ids in self.sequences:
            tensor = torch.tensor(ids)
            yield {"input_ids": tensor, "labels": tensor.clone(), "attention_mask": torch.ones_like(tensor)}


def midtrain_phase(config, model, tokenizer, plan: MidtrainPlan, output_dir: Path, metrics):
    """Run the whole WSD schedule over the packed phases; returns the trained model."""
    import torch
    from torch.utils.data import IterableDataset
    from transformers import Trainer, TrainerCallback, TrainingArguments, default_data_collator
    from transformers.trainer_utils import get_last_checkpoint

    class _Dataset(IterableDataset):
        def __init__(self, sequences: _PackedSequences) -> None:
            self.sequences = sequences

        def __iter__(self):
            return iter(self.sequences)

    class _LogPhase(TrainerCallback):
        def on_log(self, args, state, control, logs=None, **kwargs):
            if logs and "loss" in logs:
                metrics.write(
                    "midtrain",
                    {"step": state.global_step, "midtrain_phase": plan.phase_of(state.global_step), **logs},
                )

    args = TrainingArguments(
        output_dir=str(output_dir),
        per_device_train_batch_size=plan.batch_size,
        learning_rate=config.midtrain_learning_rate,
        max_steps=plan.total_steps,
        warmup_steps=plan.warmup_steps,
        lr_scheduler_type="warmup_stable_decay",
        lr_scheduler_kwargs={"num_decay_steps": plan.decay_steps},
        logging_steps=1,
        save_strategy="steps",
        save_steps=config.save_steps,
        save_total_limit=1,
        seed=config.seed,
        report_to=config.report_to,
        bf16=config.bf16,
        dataloader_pin_memory=torch.cuda.is_available(),  # without an accelerator torch warns at each loader
    )
    trainer = Trainer(
        model=model,
        args=args,
        train_dataset=_Dataset(_PackedSequences(plan)),
        data_collator=default_data_collator,
        callbacks=[_LogPhase()],
    )
    from srl_trainer.training.console import is_verbose, take_over

    take_over(trainer, "midtrain", is_verbose(config.log_level))  # step lines, not the Trainer's dicts
    last = get_last_checkpoint(str(output_dir)) if config.resume and output_dir.is_dir() else None
    trainer.train(resume_from_checkpoint=last)
    return trainer.model


def plot_midtraining(records: list[dict], path: Path) -> None:
    """PNG: learning rate and loss per step, the background shaded by phase."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    records = [r for r in records if "loss" in r]
    if not records:
        return
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(7, 6), sharex=True)
    steps = [r["step"] for r in records]
    top.plot(steps, [r["learning_rate"] for r in records], label="learning rate")
    bottom.plot(steps, [r["loss"] for r in records], label="loss")
    colours = {"warmup": "#fde2b4", "stable": "#d7ecd9", "decay": "#d6e2f5"}
    for axis in (top, bottom):
        for phase, colour in colours.items():
            span = [r["step"] for r in records if r["midtrain_phase"] == phase]
            if span:
                label = phase if axis is top else None
                axis.axvspan(min(span) - 0.5, max(span) + 0.5, color=colour, label=label)
        axis.grid(alpha=0.3)
        axis.legend(loc="best", fontsize=8)
    top.set_ylabel("learning rate")
    bottom.set_ylabel("loss")
    bottom.set_xlabel("optimizer step")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def run_midtraining(config, run_dir: Path, metrics) -> dict[str, Any]:
    """``train --method midtrain``: plan (every bad input fails here), train, write the final weights.

    The weights (``run_dir/final``) are the base every other method takes with ``--model``;
    ``summary.json`` names the phases' step counts, ``curves.png`` shows learning rate and loss.
    """
    import time

    from transformers import AutoTokenizer

    from srl_trainer.data.embedded import default_tokenizer_dir
    from srl_trainer.models import build_tiny_model, load_model

    started = time.time()
    if int(os.environ.get("WORLD_SIZE", "1")) > 1:
        # The phases are an ordered stream of batches; sharding it across processes would shift the
        # decay mix away from the decay steps. One process (any number of GPUs via device_map) only.
        raise CliError("--method midtrain runs in one process; launch it without accelerate/torchrun")
    summary_file = run_dir / "summary.json"
    if config.resume and summary_file.exists() and "midtrain" in json.loads(summary_file.read_text()):
        return json.loads(summary_file.read_text())  # finished earlier: nothing to resume
    from srl_trainer.model_sources import local_model_path

    given_model = local_model_path(config.model) if config.model else ""
    tokenizer = AutoTokenizer.from_pretrained(given_model or str(default_tokenizer_dir()))
    plan = plan_midtraining(config, tokenizer)
    model_path = given_model or str(run_dir / "base")
    if not config.model and not (run_dir / "base" / "config.json").exists():
        build_tiny_model(
            run_dir / "base", seed=config.seed, hidden_size=config.tiny_hidden_size, layers=config.tiny_layers
        )
    model, tokenizer = load_model(model_path, config.dtype, config.attn_implementation)
    model = midtrain_phase(config, model, tokenizer, plan, run_dir / "midtrain", metrics)
    final = run_dir / "final"
    model.save_pretrained(str(final))
    tokenizer.save_pretrained(str(final))
    records = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    plot_midtraining([r for r in records if r.get("phase") == "midtrain"], run_dir / "curves.png")
    summary = {
        "model": model_path,
        "phases_done": [],
        "midtrain": {
            "warmup_steps": plan.warmup_steps,
            "stable_steps": plan.stable_steps,
            "decay_steps": plan.decay_steps,
            "sequences": len(plan.stable) + len(plan.decay),
            "seq_len": config.midtrain_seq_len,
            "final_loss": next((r["loss"] for r in reversed(records) if "loss" in r), None),
        },
        "wall_seconds": round(time.time() - started, 1),
    }
    summary_file.write_text(json.dumps(summary, indent=2) + "\n")
    shutil.rmtree(run_dir / "midtrain", ignore_errors=True)  # resume states; the run is complete now
    return summary
