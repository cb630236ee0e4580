import pytest
from textmetrics import count_syllables, flesch_reading_ease, lexical_diversity, top_words, word_frequencies
from textmetrics.stats import average_sentence_length, character_counts, longest_words


def test_word_frequencies_counts():
    assert word_frequencies("the cat and the hat") == {"the": 2, "cat": 1, "and": 1, "hat": 1}


def test_word_frequencies_drop_stopwords():
    assert word_frequencies("the cat and the hat", drop_stopwords=True) == {"cat": 1, "hat": 1}


def test_top_words_ties_alphabetical():
    assert top_words("pear apple pear apple fig", limit=2) == ["apple", "pear"]


def test_top_words_limit():
    assert top_words("a b c d", limit=1, drop_stopwords=False) == ["a"]


@pytest.mark.parametrize(
    ("word", "expected"),
    [("cat", 1), ("table", 2), ("make", 1), ("banana", 3), ("queue", 1), ("rhythm", 1), ("created", 2)],
)
def test_count_syllables(word, expected):
    assert count_syllables(word) == expected


def test_count_syllables_empty():
    assert count_syllables("") == 0


def test_average_sentence_length():
    assert average_sentence_length("One two. Three four five six.") == 3.0


def test_average_sentence_length_empty():
    assert average_sentence_length("") == 0.0


def test_flesch_simple_text_is_easy():
    assert flesch_reading_ease("The cat sat. The dog ran.") > 90


def test_flesch_exact_value():
    assert flesch_reading_ease("The cat sat on the mat.") == 116.1


def test_flesch_empty():
    assert flesch_reading_ease("...") == 0.0


def test_lexical_diversity():
    assert lexical_diversity("a a b b") == 0.5


def test_lexical_diversity_empty():
    assert lexical_diversity("") == 0.0


def test_longest_words_distinct():
    assert longest_words("tiny enormous tiny giant enormous", limit=2) == ["enormous", "giant"]


def test_character_counts():
    assert character_counts("ab 12!") == {"letters": 2, "digits": 2, "spaces": 1, "other": 1}
