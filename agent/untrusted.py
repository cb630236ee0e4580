"""Untrusted text stays text: special-token strings in what the policy reads are neutralised.

A tokenizer splits its special tokens out of any string before BPE runs, so an observation (or a
problem statement, a repository file, a reply fed back) holding ``<|im_end|>\\n<|im_start|>system``
would tokenize to the chat template's own control tokens and forge turns: in the step data
``prepare`` writes and ``train`` reads, in ``solve``'s context, in what ``serve`` is sent and in an
RLVR rollout. Message contents are therefore neutralised before the chat template is applied (the
template alone adds control tokens):

- every special-token string gets U+200D ZERO WIDTH JOINER after its first character:
  ``<|im_start|>`` becomes ``<\\u200d|im_start|>``, which the tokenizer reads as ordinary text and a
  reader sees unchanged (it renders as nothing);
- which strings: every ChatML / Llama-3 / Phi style ``<|name|>`` and DeepSeek's full-width
  ``<｜name｜>`` whatever the tokenizer (the agent loop has none at hand), plus, given a tokenizer,
  each of its special tokens (``<s>``, ``[INST]``, ``<start_of_turn>``...). Added tokens that are not
  special (``<think>``, ``<function=``) are markup the policy writes and stay as they are;
- it is idempotent (an escaped string no longer matches), so text may pass several layers that
  each neutralise it;
- :func:`restore` reverses it for a reader (preview.jsonl holds the escaped text); the only text it
  cannot tell apart is a ZERO WIDTH JOINER the source itself put right after the first character of
  a special-token string.

A model that copies an escaped string into an action writes the joiner too (a ``str_replace`` of
such a line would not match): special-token strings in repositories are rare, forged turns are not
an acceptable price for them.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Iterable
from typing import Any

ESCAPE = "\u200d"  # ZERO WIDTH JOINER

# <|im_start|>, <|eot_id|>, <|end|>, <｜begin▁of▁sentence｜>: the control-token shapes of the common
# chat templates, matched whatever the tokenizer.
GENERIC_SPECIAL = r"<[|｜][^\s<>|｜]{1,64}[|｜]>"
_GENERIC = re.compile(GENERIC_SPECIAL)
_RESTORE = re.compile(r"(<)" + ESCAPE + r"([|｜][^\s<>|｜]{1,64}[|｜]>)")

_BY_TOKENIZER: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _break(match: re.Match) -> str:
    text = match.group(0)
    return text[0] + ESCAPE + text[1:]


def special_token_strings(tokenizer: Any) -> list[str]:
    """The special tokens of ``tokenizer`` (bos/eos/pad/unk, additional ones, and every added token
    marked special), longest first; one-character ones cannot be broken and are left out."""
    found = set(getattr(tokenizer, "all_special_tokens", None) or [])
    decoder = getattr(tokenizer, "added_tokens_decoder", None) or {}
    found.update(token.content for token in decoder.values() if getattr(token, "special", False))
    return sorted((t for t in found if isinstance(t, str) and len(t) > 1), key=lambda t: (-len(t), t))


def _pattern(tokenizer: Any) -> re.Pattern:
    if tokenizer is None:
        return _GENERIC
    try:
        return _BY_TOKENIZER[tokenizer]
    except (KeyError, TypeError):
        pass
    alternatives = [re.escape(t) for t in special_token_strings(tokenizer)] + [GENERIC_SPECIAL]
    pattern = re.compile("|".join(alternatives))
    try:
        _BY_TOKENIZER[tokenizer] = pattern
    except TypeError:  # an object that takes no weak reference is simply not cached
        pass
    return pattern


def neutralise(text: str, tokenizer: Any = None) -> str:
    """``text`` with every special-token string broken by :data:`ESCAPE` (see the module doc)."""
    if not text or ("<" not in text and tokenizer is None):
        return text
    return _pattern(tokenizer).sub(_break, text)


def neutralise_messages(messages: Iterable[dict[str, Any]], tokenizer: Any = None) -> list[dict[str, Any]]:
    """Copies of chat ``messages`` whose string contents are neutralised (other keys kept)."""
    return [
        {**m, "content": neutralise(m["content"], tokenizer)} if isinstance(m.get("content"), str) else m
        for m in messages
    ]


def restore(text: str, tokenizer: Any = None) -> str:
    """The text :func:`neutralise` was given (for reading a preview, never for tokenizing)."""
    if tokenizer is not None:
        for token in special_token_strings(tokenizer):
            text = text.replace(token[0] + ESCAPE + token[1:], token)
    return _RESTORE.sub(r"\1\2", text)
