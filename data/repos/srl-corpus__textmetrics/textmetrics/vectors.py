"""Comparing texts: Jaccard overlap, TF-IDF weights and cosine similarity."""

from __future__ import annotations

import math

from textmetrics.tokens import words


def jaccard(first, second):
    """|A & B| / |A | B| over the sets of items; two empty collections are identical (1.0)."""
    a, b = set(first), set(second)
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


def term_frequencies(text):
    """Word -> count / number of words."""
    found = words(text)
    counts = {}
    for word in found:
        counts[word] = counts.get(word, 0) + 1
    return {word: count / len(found) for word, count in counts.items()}


def inverse_document_frequencies(documents):
    """Word -> ln(N / df) + 1 over a list of texts (smoothed so common words keep weight 1)."""
    total = len(documents)
    document_counts = {}
    for document in documents:
        for word in set(words(document)):
            document_counts[word] = document_counts.get(word, 0) + 1
    return {word: math.log(total / count) + 1 for word, count in document_counts.items()}


def tf_idf(documents):
    """One ``{word: weight}`` dict per document."""
    idf = inverse_document_frequencies(documents)
    return [
        {word: tf * idf[word] for word, tf in term_frequencies(document).items()} for document in documents
    ]


def cosine_similarity(first, second):
    """Cosine of two sparse vectors given as dicts; 0.0 when either is all zeros."""
    dot = sum(value * second.get(key, 0.0) for key, value in first.items())
    norm_first = math.sqrt(sum(value * value for value in first.values()))
    norm_second = math.sqrt(sum(value * value for value in second.values()))
    if norm_first == 0 or norm_second == 0:
        return 0.0
    return dot / (norm_first * norm_second)


def most_similar(query, documents):
    """Index of the document most similar to ``query`` by TF-IDF cosine; -1 when there are none."""
    if not documents:
        return -1
    vectors = tf_idf([*documents, query])
    target = vectors[-1]
    scores = [cosine_similarity(target, vector) for vector in vectors[:-1]]
    return max(range(len(scores)), key=lambda index: (scores[index], -index))
