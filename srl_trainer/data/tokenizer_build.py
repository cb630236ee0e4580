"""Train the embedded byte-level BPE tokenizer, with a ChatML template, from the shipped data.

    python -m srl_trainer.data.tokenizer_build [--out data/tokenizer]

It stands in for a hub tokenizer where no hub is reachable: the step-data token budget and the tiny
embedded model use it, loaded back through ``AutoTokenizer.from_pretrained`` like any hub id.
Training is deterministic, so a rebuild reproduces the committed files.

It splits text exactly as Qwen2's tokenizer does (NFC, Qwen2's pre-tokenizer regex: every digit
alone, then byte level). That is not a style choice: transformers 5 loads any folder whose model
is a Qwen2 with its own ``Qwen2Tokenizer`` class, which rebuilds the pre-tokenizer from that regex
whatever ``tokenizer.json`` says. A tokenizer trained with another split was therefore read one way
from ``data/tokenizer`` and another way from every saved checkpoint (``12`` one token here, two
there): mid-training and the runs after it saw different token sequences for the same text.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterable
from pathlib import Path

from agent.prompts import MATH_SYSTEM_PROMPT, SWE_SYSTEM_PROMPT
from srl_trainer.data.embedded import data_dir, default_tokenizer_dir

SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
# Added as whole tokens so the think-then-act markers are one token each, as in Qwen3's vocabulary.
MARKUP_TOKENS = ["<think>", "</think>", "<function=", "<parameter=", "</parameter>", "</function>"]

CHATML_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)


def _strings(value) -> Iterable[str]:
    """Every string inside a parsed JSON value (message texts, tool arguments, solutions)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def training_texts() -> list[str]:
    """The text the tokenizer learns from: the system prompts, the sample, the training split of the
    SWE corpus and the math training data (never a held-out file, so held-out text stays unseen).
    Records are parsed, so it learns the text a prompt holds, not its JSON escaping."""
    texts = [SWE_SYSTEM_PROMPT, MATH_SYSTEM_PROMPT]
    root = data_dir()
    files = sorted((root / "sample").glob("*.json*"))
    files += [root / "corpus" / "trajectories.train.jsonl", root / "math" / "train.jsonl"]
    for path in files:
        content = path.read_text(encoding="utf-8")
        records = [json.loads(content)] if path.suffix == ".json" else map(json.loads, content.splitlines())
        for record in records:
            texts += _strings(record)
    return texts


def build_tokenizer(texts: Iterable[str], vocab_size: int = 4096):
    """A ``PreTrainedTokenizerFast`` trained on ``texts`` (byte-level BPE, ChatML chat template)."""
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast
    from transformers.models.qwen2.tokenization_qwen2 import PRETOKENIZE_REGEX

    core = Tokenizer(models.BPE())
    core.normalizer = normalizers.NFC()
    core.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(PRETOKENIZE_REGEX), behavior="isolated", invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )
    core.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    core.train_from_iterator(list(texts), trainer=trainer)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=core,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        bos_token=None,
        unk_token=None,
    )
    tokenizer.add_tokens(MARKUP_TOKENS)
    tokenizer.chat_template = CHATML_TEMPLATE
    return tokenizer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=default_tokenizer_dir(), help="output folder")
    parser.add_argument("--vocab-size", type=int, default=4096, help="BPE vocabulary size")
    args = parser.parse_args(argv)
    tokenizer = build_tokenizer(training_texts(), args.vocab_size)
    tokenizer.save_pretrained(str(args.out))
    print(f"wrote {args.out} (vocabulary {len(tokenizer)})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
