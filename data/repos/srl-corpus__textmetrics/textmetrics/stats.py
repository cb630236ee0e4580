"""Counting: word frequencies, syllables, readability and vocabulary richness."""

from __future__ import annotations

from textmetrics.tokens import sentences, words

STOPWORDS = frozenset(
    "a an and are as at be by for from has he in is it its of on or she that the to was were with".split()
)
VOWELS = "aeiouy"


def word_frequencies(text, drop_stopwords=False):
    """Word -> count, in order of first appearance."""
    counts = {}
    for word in words(text):
        if drop_stopwords and word in STOPWORDS:
            continue
        counts[word] = counts.get(word, 0) + 1
    return counts


def top_words(text, limit=3, drop_stopwords=True):
    """The ``limit`` most frequent words; ties broken alphabetically."""
    counts = word_frequencies(text, drop_stopwords)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [word for word, _ in ranked[:limit]]


def count_syllables(word):
    """Estimate syllables: groups of vowels, minus a silent final 'e', at least one."""
    word = word.lower().strip("'")
    if not word:
        return 0
    groups = 0
    previous_vowel = False
    for char in word:
        is_vowel = char in VOWELS
        if is_vowel and not previous_vowel:
            groups += 1
        previous_vowel = is_vowel
    if word.endswith("e") and not word.endswith("le") and groups > 1:
        groups -= 1
    return max(groups, 1)


def average_sentence_length(text):
    """Words per sentence; 0.0 for text without words."""
    found = sentences(text)
    total = len(words(text))
    if not found or not total:
        return 0.0
    return total / len(found)


def flesch_reading_ease(text):
    """206.835 - 1.015 * words/sentence - 84.6 * syllables/word, rounded to one decimal."""
    found = words(text)
    if not found:
        return 0.0
    syllables = sum(count_syllables(word) for word in found)
    score = 206.835 - 1.015 * average_sentence_length(text) - 84.6 * (syllables / len(found))
    return round(score, 1)


def lexical_diversity(text):
    """Distinct words divided by words (type-token ratio); 0.0 for empty text."""
    found = words(text)
    if not found:
        return 0.0
    return len(set(found)) / len(found)


def longest_words(text, limit=3):
    """The longest distinct words, longest first, ties in order of appearance."""
    seen = []
    for word in words(text):
        if word not in seen:
            seen.append(word)
    return sorted(seen, key=len, reverse=True)[:limit]


def character_counts(text):
    """Counts of letters, digits, spaces and other characters."""
    counts = {"letters": 0, "digits": 0, "spaces": 0, "other": 0}
    for char in text:
        if char.isalpha():
            counts["letters"] += 1
        elif char.isdigit():
            counts["digits"] += 1
        elif char.isspace():
            counts["spaces"] += 1
        else:
            counts["other"] += 1
    return counts
