"""The embedded tiny model: a 2-layer Qwen2-architecture causal LM on the embedded tokenizer.

It stands in for a hub checkpoint where no hub is reachable. :func:`build_tiny_model` writes it with
``save_pretrained`` (weights, config and tokenizer) and every user then loads it through
``AutoModelForCausalLM.from_pretrained`` exactly like a hub id, so the same code path is exercised.
"""

from __future__ import annotations

from pathlib import Path


def build_tiny_model(out: str | Path, seed: int = 0, hidden_size: int = 96, layers: int = 2) -> Path:
    """Initialise a tiny Qwen2 model with random weights and save it (and the tokenizer) to ``out``."""
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
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(out))
    tokenizer.save_pretrained(str(out))
    return out


def load_model(path: str):
    """``(model, tokenizer)`` from a path or hub id; the tokenizer gets a pad token if it has none."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(path)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    model = AutoModelForCausalLM.from_pretrained(path)
    return model, tokenizer
