"""The step dataset as a hand-off between tools: ``prepare`` writes it, ``train --dataset`` and TRL read it.

:func:`write_hub_folder` lays step rows out the way a hub dataset repository is laid out: parquet
under ``data/`` and a dataset card (``README.md``) whose YAML front matter (``configs:``,
``dataset_info``) tells ``datasets.load_dataset(folder)`` where the split is and what its features
are. The rows are TRL's conversational prompt format (a ``prompt`` column of role/content messages)
plus the columns the SRL rewards read (``target``, ``solution``, ``answer``), so ``trl grpo`` trains
on the folder with ``--reward_funcs srl_trainer.training.rewards.step_similarity``.

:func:`load_step_rows` reads such a dataset back (prepare's folder, a hub dataset id, or a
parquet/jsonl file in TRL's conversational format) into step rows, keeping the prompt budget: a row
whose prompt is over budget is skipped and counted, never truncated.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from srl_trainer.errors import CliError

DATA_FILE = "data/train-00000-of-00001.parquet"
DATA_FILE_SUFFIXES = {".parquet": "parquet", ".jsonl": "json", ".json": "json"}

CARD_BODY = """
# Step-wise SRL data

Written by `python -m srl_trainer.swe prepare` from `{source}`: one row per expert step ({examples}
rows, domain `{domain}`). `prompt` is the chat the policy sees (system prompt, problem, previous
actions and observations; TRL's conversational prompt format), `target` the expert's next step in
canonical form, `solution` the whole expert solution and `answer` a math final answer. Prompts fit
a budget of {max_prompt_tokens} tokens; `summary.json` beside this card says what the budget cut.
Special-token strings from the records (`<|im_start|>` in an observation) are kept as text: a ZERO
WIDTH JOINER (U+200D) follows their first character (`agent.untrusted.restore` removes it).

```python
from datasets import load_dataset
steps = load_dataset("{folder}", split="train")
```

```bash
python -m srl_trainer.swe train --dataset {folder}
trl grpo --model_name_or_path MODEL --dataset_name {folder} \\
    --reward_funcs srl_trainer.training.rewards.{reward} --output_dir runs/trl-grpo
```
"""


def write_hub_folder(folder: Path, rows: Any, summary: dict[str, Any]) -> None:
    """Parquet plus a dataset card in ``folder`` (which exists), readable by ``load_dataset(folder)``;
    ``rows``: step rows, or the ``datasets.Dataset`` already built from them."""
    import yaml
    from datasets import Dataset

    dataset = rows if isinstance(rows, Dataset) else Dataset.from_list(rows)
    (folder / "data").mkdir(parents=True, exist_ok=True)
    dataset.to_parquet(str(folder / DATA_FILE))
    front = {
        "configs": [{"config_name": "default", "data_files": [{"split": "train", "path": "data/train-*"}]}],
        # datasets' own YAML form of the features, so load_dataset checks the columns it reads.
        "dataset_info": {
            **dataset.info._to_yaml_dict(),
            "splits": [{"name": "train", "num_bytes": dataset.data.nbytes, "num_examples": len(dataset)}],
        },
        "tags": ["srl", "trl", "step-wise", summary["domain"]],
    }
    reward = "step_similarity" if summary["domain"] == "swe" else "math_step_similarity"
    body = CARD_BODY.format(
        folder=summary["out"],
        reward=reward,
        max_prompt_tokens=summary["budget"]["max_prompt_tokens"],
        **{k: summary[k] for k in ("source", "examples", "domain")},
    )
    card = "---\n" + yaml.safe_dump(front, sort_keys=False) + "---\n" + body
    (folder / "README.md").write_text(card)


class StepRowWriter:
    """Step rows appended to an Arrow file as they are built (``prepare`` streams: memory holds one
    write batch, not the dataset), read back memory-mapped by :meth:`finish`. Keeps what the summary
    and the preview need: the count, every prompt's token count and the first ``preview_rows`` rows.
    """

    def __init__(self, path: Path, preview_rows: int, batch_size: int = 1000) -> None:
        self.path = path
        self.preview_rows = preview_rows
        self.batch_size = batch_size
        self.preview: list[dict[str, Any]] = []
        self.prompt_tokens: list[int] = []
        self._writer = None

    def add(self, row: dict[str, Any]) -> None:
        if self._writer is None:  # the columns' types as Dataset.from_list infers them from a row
            from datasets import Dataset
            from datasets.arrow_writer import ArrowWriter

            features = Dataset.from_list([row]).features
            self._writer = ArrowWriter(
                features=features, path=str(self.path), writer_batch_size=self.batch_size
            )
        self._writer.write(row)
        self.prompt_tokens.append(row["prompt_tokens"])
        if len(self.preview) < self.preview_rows:
            self.preview.append(row)

    def __len__(self) -> int:
        return len(self.prompt_tokens)

    def finish(self):
        """The rows written, as a memory-mapped ``datasets.Dataset`` (None when there are none)."""
        if self._writer is None:
            return None
        from datasets import Dataset

        self._writer.finalize()
        self._writer = None
        return Dataset.from_file(str(self.path))


def _load(name: str, split: str):
    """The ``split`` of a local folder/file or hub dataset id; every failure is one CliError line."""
    from datasets import load_dataset, load_from_disk

    path = Path(name).expanduser()
    try:
        if path.is_file():
            if path.suffix not in DATA_FILE_SUFFIXES:
                raise CliError(f"--dataset {name}: expected a folder, a hub id or a .parquet/.jsonl file")
            return load_dataset(DATA_FILE_SUFFIXES[path.suffix], data_files=str(path), split="train")
        if path.is_dir() and ((path / "state.json").exists() or (path / "dataset_dict.json").exists()):
            saved = load_from_disk(str(path))  # a datasets.save_to_disk folder
            return saved[split] if hasattr(saved, "keys") else saved
        if not path.is_dir():
            if not re.fullmatch(r"[\w.-]+/[\w.-]+", name) or name.startswith((".", "/")):
                raise CliError(
                    f"--dataset {name}: no such file or folder (and not a hub dataset id owner/name)"
                )
            from srl_trainer.hub import offline_unless_reachable

            offline_unless_reachable()
        return load_dataset(str(path) if path.is_dir() else name, split=split)
    except CliError:
        raise
    except Exception as error:  # datasets raises many types: missing split, offline, bad files...
        first = (str(error).strip().splitlines() or [type(error).__name__])[0]
        raise CliError(f"cannot load --dataset {name}: {first}") from None


def _message_text(value: Any) -> str:
    """The text of a completion: a string, or the assistant messages of a conversational one."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "".join(m.get("content") or "" for m in value if m.get("role") == "assistant")
    return ""


def _as_row(record: dict[str, Any], index: int, domain: str, name: str) -> dict[str, Any]:
    """One step row from a dataset record: prepare's columns, or TRL's prompt(-completion) format."""
    prompt = record.get("prompt")
    if isinstance(prompt, str):  # TRL's standard (non-conversational) format
        prompt = [{"role": "user", "content": prompt}]
    if not isinstance(prompt, list) or not all(isinstance(m, dict) and "role" in m for m in prompt):
        raise CliError(f"--dataset {name}: row {index} has no conversational 'prompt' (a list of messages)")
    target = record.get("target") or _message_text(record.get("completion"))
    if not target:
        raise CliError(
            f"--dataset {name}: row {index} has neither 'target' nor 'completion' (the expert step "
            "the reward compares with)"
        )
    row_domain = record.get("domain") or domain
    if row_domain != domain:
        raise CliError(f"--dataset {name} holds {row_domain} steps; pass --domain {row_domain}")
    return {
        "prompt": [{"role": m["role"], "content": m.get("content") or ""} for m in prompt],
        "target": target,
        "solution": record.get("solution") or target,
        "answer": record.get("answer") or "",
        "domain": domain,
        "instance_id": record.get("instance_id") or f"row-{index}",
        "step_index": int(record.get("step_index") or 0),
        "num_steps": int(record.get("num_steps") or 1),
        "kind": record.get("kind") or "",
    }


def load_step_rows(
    name: str, domain: str, tokenizer: Any, max_prompt_tokens: int, split: str = "train"
) -> tuple[list[dict[str, Any]], int]:
    """(rows, skipped over budget) of the dataset ``name``; prompts are counted in ``tokenizer``."""
    from agent.untrusted import neutralise_messages
    from srl_trainer.data.stepwise import TokenCounter

    counter = TokenCounter(tokenizer)
    rows, over_budget = [], 0
    for index, record in enumerate(_load(name, split)):
        row = _as_row(record, index, domain, name)
        # A dataset from elsewhere is record text too: its special-token strings stay text (prepare's
        # rows already are; neutralising is idempotent).
        row["prompt"] = neutralise_messages(row["prompt"], tokenizer)
        row["target"] = counter.safe(row["target"])
        row["prompt_tokens"] = counter.count_chat(row["prompt"])
        if row["prompt_tokens"] > max_prompt_tokens:
            over_budget += 1  # a trainer would truncate it and cut the target off: skip it
            continue
        rows.append(row)
    return rows, over_budget
