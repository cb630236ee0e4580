"""Final-answer extraction (the Qwen2.5-Math protocol) and equivalence (math-verify).

Which part of a written solution is its answer follows the order of the Qwen2.5-Math harness's
``extract_answer`` (evaluation/parser.py), the one the SRL paper evaluates with:

1. Minerva's few-shot form ``final answer is $X$. I hope ...``;
2. the last ``\\boxed{X}`` (or ``\\boxed X``);
3. after the last ``the answer is`` / ``final answer is``: the sentence that follows (the harness
   takes the whole rest; here it ends at the sentence's end so later prose does not drown it);
4. the last number in the text (not one glued to a word: ``-sepehr2010`` signs an AoPS solution,
   where the harness reads 2010). Where the text ends in a math segment (``$...$``, ``\\[...\\]``)
   with no number after it, that segment's value (after its last ``=``) is read whole instead of
   only its last digit group (``$x=\\frac{800}{3}$`` is 800/3, where the harness reads ``3``).

Extracted answers and gold lose digit-separating spaces (``\\mathbf{2 5 6}``), as in the harness,
which drops every space. Nothing else counts (no answer stated only in the first sentence, no
bold text before the end): a solution that does not end on its answer is graded wrong.

Equivalence: equal strings (text answers such as ``Evelyn``), else math-verify's symbolic check
(``1/2`` equals ``0.5`` equals ``\\frac{1}{2}``). Formatting that is not part of the value
(``\\textbf``, ``\\$``, thin spaces ``\\!``, math delimiters) is removed first, the same for gold
and prediction.
"""

from __future__ import annotations

import re

from srl_trainer.data.math_steps import matching_brace

WRAPPERS = re.compile(r"\\(?:textbf|mathbf|boldsymbol|text|mbox|mathrm)\s*\{([^{}]*)\}")
_MINERVA = re.compile(r"final answer is \$(.+?)\$\. I hope", re.S)
_ANSWER_IS = re.compile(r"(?:he|final) answer is", re.I)
# A number glued to a word ("sepehr2010", an author's signature) is part of a name, not a value.
_NUMBER = re.compile(r"(?<![A-Za-z\d.])-?(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d*\.?\d+)")
_WORD = re.compile(r"(?<![\\A-Za-z])[A-Za-z]{3,}")  # a word of prose, not a \command
MATH_SEGMENT = re.compile(r"\$\$(.+?)\$\$|\$(.+?)\$|\\\[(.+?)\\\]|\\\((.+?)\\\)", re.S)
_MATH_OPEN = {"$$": "$$", "$": "$", "\\[": "\\]", "\\(": "\\)"}


def normalize_answer(text: str) -> str:
    """Strip presentation (bold, dollar signs, thin spaces, a surrounding ``(...)`` of a choice)."""
    text = text.strip().rstrip(".").strip()
    for opening, closing in _MATH_OPEN.items():  # "$5$" -> "5"
        if text.startswith(opening) and text.endswith(closing) and len(text) > len(opening + closing):
            text = text[len(opening) : -len(closing)].strip()
            break
    previous = None
    while previous != text:
        previous, text = text, WRAPPERS.sub(r"\1", text)
    text = text.replace("\\!", "").replace("\\$", "").replace("\\%", "%").strip()
    if re.fullmatch(r"\(\s*[0-9]+\s*\)", text):  # AIME-style "(073)"
        text = text.strip("() ")
    if re.fullmatch(r"0+[0-9]+", text):  # leading zeros of AIME answers
        text = text.lstrip("0")
    text = re.sub(r"(?<=\d) +(?=\d)", "", text)  # "2 5 6" (the harness drops every space)
    if re.fullmatch(r"-?\d{1,3}(,\d{3})+(\.\d+)?", text):  # thousands separators
        text = text.replace(",", "")
    return text


def format_gold(value: object) -> str:
    """Gold answers come as strings, floats (27.0) or lists (OlympiadBench); one string for all."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list):  # items like "$221$,$8$" (one item holding two values) lose every "$"
        return ", ".join(str(v).replace("$", "").strip() for v in value)
    return str(value).strip()


def _boxed_span(text: str) -> tuple[int, int] | None:
    start = text.rfind("\\boxed")
    if start == -1:
        return None
    position = start + len("\\boxed")
    while position < len(text) and text[position] == " ":
        position += 1
    if position < len(text) and text[position] == "{":
        closing = matching_brace(text, position)
        return (position + 1, closing) if closing is not None else None
    end = re.search(r"[$\n]|$", text[position:]).start() + position  # "\boxed 5$": up to the "$"
    return (position, end) if end > position else None


def _sentence_span(text: str, start: int) -> tuple[int, int] | None:
    """The statement after "the answer is": one math segment, else the text up to the sentence end."""
    while start < len(text) and text[start] in " :\n":
        start += 1
    for opening, closing in _MATH_OPEN.items():
        if text.startswith(opening, start):
            end = text.find(closing, start + len(opening))
            return (start, end + len(closing)) if end != -1 else None
    end = re.search(r"\.\s|\n|$", text[start:]).start() + start
    return (start, end) if end > start else None


def answer_span(output: str) -> tuple[int, int] | None:
    """``(start, end)`` of the answer in ``output`` by the Qwen2.5-Math order, or None."""
    minerva = _MINERVA.search(output)
    if minerva:
        return minerva.span(1)
    if "\\boxed" in output:
        return _boxed_span(output)
    phrases = list(_ANSWER_IS.finditer(output))
    if phrases:
        return _sentence_span(output, phrases[-1].end())
    return _last_value_span(output)


def _last_value_span(text: str) -> tuple[int, int] | None:
    """The last value the text states: a plain number after the last math segment, else that
    segment (its right-hand side after the last top-level "=")."""
    segment = None
    for segment in MATH_SEGMENT.finditer(text):  # noqa: B007 - the last one is wanted
        pass
    after = segment.end() if segment else 0
    numbers = list(_NUMBER.finditer(text, after))
    if numbers:
        return numbers[-1].span()
    if segment is None:
        return None
    start, end = segment.span(segment.lastindex)
    equals = _top_level_equals(text, start, end)
    return (equals + 1, end) if equals is not None and text[equals + 1 : end].strip() else (start, end)


def _top_level_equals(text: str, start: int, end: int) -> int | None:
    depth, found = 0, None
    for index in range(start, end):
        depth += {"{": 1, "}": -1}.get(text[index], 0)
        if depth == 0 and text[index] == "=":
            found = index
    return found


def extract_answer(output: str) -> str:
    """The answer a solution commits to (normalised), else ``""``."""
    span = answer_span(output)
    return normalize_answer(output[span[0] : span[1]]) if span else ""


def parse_answer(text: str):
    """Bare math is read as LaTeX; prose ("5 moves") is left to math-verify to find the expression in."""
    from math_verify import parse

    if "$" in text or "\\boxed" in text or _WORD.search(text):
        return parse(text)
    return parse(f"${text}$")


def is_math_answer_correct(output: str, gold: str) -> bool:
    """math-verify equivalence of the output's final answer with ``gold``."""
    from math_verify import verify

    answer = extract_answer(output)
    if not answer:
        return False
    gold = normalize_answer(format_gold(gold))
    if answer.replace(" ", "") == gold.replace(" ", ""):  # the harness compares strings first (text answers)
        return True
    try:
        gold_parsed = parse_answer(gold)
        predicted = parse_answer(answer)
        return bool(gold_parsed) and bool(predicted) and bool(verify(gold_parsed, predicted))
    except Exception:  # math-verify raises on pathological input; that answer is simply wrong
        return False
