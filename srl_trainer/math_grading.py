"""Final-answer extraction and equivalence for math, with math-verify (the Qwen2.5-Math protocol).

The answer of a written solution is its last ``\\boxed{}``; without one, math-verify's own
extraction picks the last mathematical expression. Equivalence is symbolic (``1/2`` equals ``0.5``
equals ``\\frac{1}{2}``). Formatting that is not part of the value (``\\textbf``, ``\\$``, thin
spaces ``\\!``) is removed before parsing, the same for gold and prediction.
"""

from __future__ import annotations

import re

from srl_trainer.math_steps import last_boxed

_WRAPPERS = re.compile(r"\\(?:textbf|mathbf|boldsymbol|text|mbox|mathrm)\s*\{([^{}]*)\}")


def normalize_answer(text: str) -> str:
    """Strip presentation (bold, dollar signs, thin spaces, a surrounding ``(...)`` of a choice)."""
    text = text.strip()
    previous = None
    while previous != text:
        previous, text = text, _WRAPPERS.sub(r"\1", text)
    text = text.replace("\\!", "").replace("\\$", "").replace("\\%", "%").strip()
    if re.fullmatch(r"\(\s*[0-9]+\s*\)", text):  # AIME-style "(073)"
        text = text.strip("() ")
    if re.fullmatch(r"0+[0-9]+", text):  # leading zeros of AIME answers
        text = text.lstrip("0")
    return text


def format_gold(value: object) -> str:
    """Gold answers come as strings, floats (27.0) or lists (OlympiadBench); one string for all."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list):
        return ", ".join(str(v).strip().strip("$") for v in value)
    return str(value).strip()


def extract_answer(output: str) -> str:
    """The answer a solution commits to: its last ``\\boxed{}`` (normalised), else ``""``."""
    boxed = last_boxed(output)
    return normalize_answer(boxed) if boxed else ""


def _parse(text: str):
    from math_verify import parse

    return parse(text if "$" in text or "\\boxed" in text else f"${text}$")


def is_math_answer_correct(output: str, gold: str) -> bool:
    """math-verify equivalence of the output's final answer with ``gold``."""
    from math_verify import verify

    answer = extract_answer(output)
    try:
        gold_parsed = _parse(normalize_answer(format_gold(gold)))
        predicted = _parse(answer) if answer else _parse(output)
        return bool(gold_parsed) and bool(predicted) and bool(verify(gold_parsed, predicted))
    except Exception:  # math-verify raises on pathological input; that answer is simply wrong
        return False
