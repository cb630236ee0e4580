"""Splitting text into tokens, words, sentences and n-grams."""

from __future__ import annotations

import re

# A word may hold inner apostrophes or hyphens; a number may hold one decimal point.
TOKEN_PATTERN = re.compile(r"\d+(?:\.\d+)?|[A-Za-z]+(?:['-][A-Za-z]+)*|[^\sA-Za-z\d]")
ABBREVIATIONS = {"mr", "mrs", "ms", "dr", "prof", "e.g", "i.e", "etc", "vs"}
SENTENCE_END = ".!?"


def tokenize(text, keep_punctuation=False, lowercase=True):
    """Tokens of ``text``: words and numbers, plus punctuation marks when asked."""
    tokens = []
    for token in TOKEN_PATTERN.findall(text):
        is_word_or_number = token[0].isalnum()
        if not is_word_or_number and not keep_punctuation:
            continue
        tokens.append(token.lower() if lowercase else token)
    return tokens


def words(text):
    """Alphabetic tokens only (no numbers, no punctuation), lowercased."""
    return [token for token in tokenize(text) if token[0].isalpha()]


def sentences(text):
    """Split on ``.``, ``!`` and ``?`` followed by whitespace, except after known abbreviations."""
    result = []
    start = 0
    index = 0
    while index < len(text):
        char = text[index]
        at_end = index + 1 == len(text) or text[index + 1].isspace()
        if char in SENTENCE_END and at_end:
            candidate = text[start : index + 1].strip()
            last_word = candidate[:-1].split()[-1].lower() if candidate[:-1].split() else ""
            if char != "." or last_word not in ABBREVIATIONS:
                if candidate:
                    result.append(candidate)
                start = index + 1
        index += 1
    tail = text[start:].strip()
    if tail:
        result.append(tail)
    return result


def ngrams(tokens, n):
    """Consecutive ``n``-token tuples; empty when there are fewer than ``n`` tokens."""
    if n <= 0:
        raise ValueError("n must be positive")
    return [tuple(tokens[index : index + n]) for index in range(len(tokens) - n + 1)]


def char_ngrams(text, n, pad=True):
    """Character n-grams of ``text``; padded with spaces so edges count too."""
    if n <= 0:
        raise ValueError("n must be positive")
    if pad:
        text = " " + text + " "
    return [text[index : index + n] for index in range(len(text) - n + 1)]


def truncate_words(text, limit, ellipsis="..."):
    """At most ``limit`` whitespace-separated words; ``ellipsis`` marks a cut."""
    parts = text.split()
    if len(parts) <= limit:
        return " ".join(parts)
    return " ".join(parts[:limit]) + ellipsis


def wrap(text, width):
    """Greedy word wrap to lines of at most ``width`` characters (a longer word gets its own line)."""
    if width <= 0:
        raise ValueError("width must be positive")
    lines = []
    current = ""
    for word in text.split():
        if not current:
            current = word
        elif len(current) + 1 + len(word) <= width:
            current += " " + word
        else:
            lines.append(current)
            current = word
    if current:
        lines.append(current)
    return lines
