"""textmetrics: tokenization and text statistics."""

from textmetrics.stats import (
    count_syllables,
    flesch_reading_ease,
    lexical_diversity,
    top_words,
    word_frequencies,
)
from textmetrics.tokens import ngrams, sentences, tokenize, words
from textmetrics.vectors import cosine_similarity, jaccard, tf_idf

__all__ = [
    "cosine_similarity",
    "count_syllables",
    "flesch_reading_ease",
    "jaccard",
    "lexical_diversity",
    "ngrams",
    "sentences",
    "tf_idf",
    "tokenize",
    "top_words",
    "word_frequencies",
    "words",
]
