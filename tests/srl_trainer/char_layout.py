"""A TurnLayout stand-in for RLVR episode tests: one token per character, EOS 0. Shared by the episode
loop tests and benchmarks/fault_bench.py, which script replies without a tokenizer."""

from __future__ import annotations

EOS = 0


class CharLayout:
    class tokenizer:  # noqa: N801
        @staticmethod
        def decode(ids, skip_special_tokens=True):
            return "".join(chr(i) for i in ids if i != EOS)

    @staticmethod
    def observation_ids(observation):
        return [ord(c) for c in "\nOBS:" + observation]


def char_ids(text: str) -> list[int]:
    """``text`` as the tokens CharLayout decodes, ending with EOS."""
    return [ord(c) for c in text] + [EOS]
