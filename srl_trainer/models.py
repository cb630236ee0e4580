"""Models: the embedded tiny model, loading a checkpoint, and batched chat generation.

The embedded tiny model is a 2-layer Qwen2-architecture causal LM on the embedded tokenizer. It
stands in for a hub checkpoint where no hub is reachable. :func:`build_tiny_model` writes it with
``save_pretrained`` (weights, config and tokenizer) and every user then loads it through
:func:`load_model` (``AutoModelForCausalLM.from_pretrained``) exactly like a hub id, so the same code
path is exercised. :func:`generate_completions` answers chat prompts in left-padded batches (held-out
step scores, math benchmarks).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any


def build_tiny_model(out: str | Path, seed: int = 0, hidden_size: int = 96, layers: int = 2) -> Path:
    """Initialise a tiny Qwen2 model with random weights and save it (and the tokenizer) to ``out``."""
    model, tokenizer = tiny_model(seed, hidden_size, layers)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(out))
    tokenizer.save_pretrained(str(out))
    return out


def tiny_model(seed: int = 0, hidden_size: int = 96, layers: int = 2):
    """``(model, tokenizer)`` of the tiny Qwen2 model, in memory: the same seed gives the same weights.
    Ranks other than 0 of a distributed launch use this: once torch.distributed is up, transformers'
    ``save_pretrained`` writes on rank 0 only, so they cannot save and reload a copy of their own."""
    import torch
    from transformers import AutoTokenizer, Qwen2Config, Qwen2ForCausalLM

    from srl_trainer.data.embedded import default_tokenizer_dir

    tokenizer = AutoTokenizer.from_pretrained(str(default_tokenizer_dir()))
    config = Qwen2Config(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        intermediate_size=hidden_size * 3,
        num_hidden_layers=layers,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=4096,
        tie_word_embeddings=True,
        bos_token_id=None,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    torch.manual_seed(seed)
    model = Qwen2ForCausalLM(config)
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    return model, tokenizer


def load_model(path: str, dtype: str | None = None, attn_implementation: str | None = None):
    """``(model, tokenizer)`` from a path or hub id; the tokenizer gets a pad token if it has none.
    A hub id is looked up offline when the hub is unreachable (one quick failure, no retries).
    ``dtype`` ("auto", "bfloat16", ...) and ``attn_implementation`` are ModelConfig's ``--dtype``
    and ``--attn_implementation``; None leaves transformers' defaults."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from srl_trainer.hub import is_local, offline_unless_reachable
    from srl_trainer.model_sources import local_model_path

    path = local_model_path(path)  # a packaged model's name (smollm2-135m-instruct): its checkpoint
    if not is_local(path):
        offline_unless_reachable()
    tokenizer = AutoTokenizer.from_pretrained(path)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    options = {"dtype": dtype} if dtype else {}
    if attn_implementation:
        options["attn_implementation"] = attn_implementation
    model = AutoModelForCausalLM.from_pretrained(path, **options)
    return model, tokenizer


def generate_completions(
    model,
    tokenizer,
    conversations: Sequence[list[dict]],
    max_new_tokens: int,
    batch_size: int,
    samples: int = 0,
    **generate_kwargs: Any,
) -> Iterator[list[str]]:
    """Completions of chat ``conversations``, one list per batch of ``batch_size`` conversations.

    Batches are left-padded (a decoder-only batch must end where generation starts) and carry their
    attention mask; the tiny model's CPU time is mostly per-call overhead, so batching is what makes
    it fast. ``samples`` 0: one greedy completion per conversation; K: K sampled completions each,
    consecutive (row-major). ``generate_kwargs`` (temperature, top_p, eos_token_id, ...) go to
    ``model.generate`` as given, so every caller keeps its own decoding settings.
    """
    import torch

    from agent.untrusted import neutralise_messages

    padding_side = tokenizer.padding_side
    tokenizer.padding_side = "left"
    try:
        for start in range(0, len(conversations), batch_size):
            texts = [
                # untrusted contents (observations, problems) keep special-token strings as text
                tokenizer.apply_chat_template(
                    neutralise_messages(messages, tokenizer), tokenize=False, add_generation_prompt=True
                )
                for messages in conversations[start : start + batch_size]
            ]
            ids = tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=False)
            ids = ids.to(model.device)
            with torch.no_grad():
                out = model.generate(
                    **ids,
                    max_new_tokens=max_new_tokens,
                    do_sample=bool(samples),
                    num_return_sequences=max(samples, 1),
                    pad_token_id=tokenizer.pad_token_id,
                    **generate_kwargs,
                )
            width = ids["input_ids"].shape[1]
            yield tokenizer.batch_decode(out[:, width:], skip_special_tokens=True)
    finally:
        tokenizer.padding_side = padding_side


def generate_texts(
    model,
    tokenizer,
    conversations: Sequence[list[dict]],
    max_new_tokens: int,
    batch_size: int,
    samples: int = 0,
    **generate_kwargs: Any,
) -> list[str]:
    """Every completion of :func:`generate_completions` in one list (same order), for callers that
    need no per-batch progress."""
    batches = generate_completions(
        model, tokenizer, conversations, max_new_tokens, batch_size, samples, **generate_kwargs
    )
    return [text for batch in batches for text in batch]
