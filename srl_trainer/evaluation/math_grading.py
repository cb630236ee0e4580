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
and prediction. Both are compared as written and, failing that, with units removed
(``strip_units``: ``\\text{ degrees}``, ``^\\circ``, ``\\%``, ``cm``), as the harness's
``strip_string`` does, so a gold ``\\frac{270}7\\text{ degrees}`` accepts ``\\frac{270}{7}``; only the
unit goes, so a wrong number stays wrong.
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


def _unwrap_math(text: str) -> str:
    """``text`` without a closing period and one pair of math delimiters around it ("$5$." -> "5")."""
    text = text.strip().rstrip(".").strip()
    for opening, closing in _MATH_OPEN.items():
        if text.startswith(opening) and text.endswith(closing) and len(text) > len(opening + closing):
            return text[len(opening) : -len(closing)].strip()
    return text


def normalize_answer(text: str) -> str:
    """Strip presentation (bold, dollar signs, thin spaces, a surrounding ``(...)`` of a choice)."""
    text = _unwrap_math(text)
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


# Units after a value, as the Qwen2.5-Math harness's strip_string removes them. Its word list (from
# MathQA) also holds single letters ("a", "m", "s") and words that are answers in their own right
# ("east", "prime"), which it strips anywhere; here a plain word is removed only at the end, after a
# value, and only if it is a unit below. Single-letter units count only inside \text{...}/\mathrm{...}.
_UNIT_WORDS = (
    "degree|deg|radian|rad|percent|cm|mm|km|meter|metre|inch|foot|feet|ft|yard|yd|mile|mph|kph|kmph|"
    "sq|square|cubic|unit|dollar|cent|rupee|euro|hour|hr|minute|min|second|sec|day|week|month|year|"
    "yr|kg|gram|gm|mg|lb|pound|ounce|oz|liter|litre|ml|gallon|gal|acre|hectare|per"
)
_EXPONENT = r"(?:\^\{?[23]\}?)?"  # cm^2, \text{ inches}^{2}
_UNIT_WORD = rf"(?<![A-Za-z\\])(?:{_UNIT_WORDS})(?:e?s)?(?:/[A-Za-z]{{1,3}})?{_EXPONENT}"  # km/h
_TRAILING_WORD = re.compile(rf"{_UNIT_WORD}(?:\.?\s+{_UNIT_WORD})*\.?\s*$", re.I)  # "sq. units" at once
# A whole \text{...} at the end holding words only ("(C)" or a number is not a unit).
_TRAILING_TEXT = re.compile(
    rf"\\(?:text|textrm|mbox|mathrm|rm)\s*\{{[\s~./A-Za-z]*[A-Za-z][\s~./A-Za-z]*\}}{_EXPONENT}\s*$"
)
_DEGREES = re.compile(r"\^\s*\{\s*\\circ\s*\}|\^\s*\\circ|°|\\degree")
_PERCENT = re.compile(r"\\?%")
_SPACING = re.compile(r"(?:\s|~|\\[,;:! ])+$")  # "5\," or "5~" left before a removed unit
_VALUE_END = re.compile(r"(?:[\d)\]}|]|\\pi|\\infty)$")


def _strip_trailing_unit(text: str) -> str:
    """``text`` without one unit at its end, if what precedes the unit is a value."""
    for pattern in (_TRAILING_TEXT, _TRAILING_WORD):
        unit = pattern.search(text)
        if unit is None:
            continue
        rest = _SPACING.sub("", text[: unit.start()])
        if _VALUE_END.search(rest):  # "x sec", "the east", "\text{Evelyn}" stay as written
            return rest
    return text


def strip_units(text: str) -> str:
    """``text`` without degree marks, percent signs and trailing units (``\\frac{270}7\\text{ degrees}``
    -> ``\\frac{270}7``, ``30^\\circ`` -> ``30``, ``864 \\mbox{ inches}^2`` -> ``864``). The value is
    untouched; a text answer with no value before it (``\\text{east}``, ``\\text{(C)}``) is kept."""
    text = _PERCENT.sub("", _DEGREES.sub("", text)).strip()
    previous = None
    while previous != text:  # "5\text{ cm}\text{ wide}": one unit at a time
        previous, text = text, _strip_trailing_unit(text)
    return text


def answer_value(text: str) -> str:
    """An answer (or gold) normalised and without its unit. Units are stripped before ``\\text``
    wrappers go (any words in a trailing ``\\text{...}`` are a unit) and after (``\\textbf{5 cm}``)."""
    return strip_units(normalize_answer(strip_units(_unwrap_math(text))))


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
    span = answer_span(output)
    return span is not None and answers_match(output[span[0] : span[1]], format_gold(gold))


def answers_match(answer: str, gold: str) -> bool:
    """Whether ``answer`` (as written in an output) states ``gold``: compared normalised, then with
    the units of both removed (the harness's normalisation keeps only the value)."""
    if not normalize_answer(answer):
        return False
    as_written = (normalize_answer(answer), normalize_answer(gold))
    without_units = (answer_value(answer), answer_value(gold))
    return _equivalent(*as_written) or (without_units != as_written and _equivalent(*without_units))


def _equivalent(answer: str, gold: str) -> bool:
    from math_verify import verify

    if not answer or not gold:
        return False
    if answer.replace(" ", "") == gold.replace(" ", ""):  # the harness compares strings first (text answers)
        return True
    try:
        gold_parsed = parse_answer(gold)
        predicted = parse_answer(answer)
        return bool(gold_parsed) and bool(predicted) and bool(verify(gold_parsed, predicted))
    except Exception:  # math-verify raises on pathological input; that answer is simply wrong
        return False
