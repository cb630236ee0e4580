import pytest
from textmetrics import ngrams, sentences, tokenize, words
from textmetrics.tokens import char_ngrams, truncate_words, wrap


def test_tokenize_lowercases_words():
    assert tokenize("Hello World") == ["hello", "world"]


def test_tokenize_keeps_case_when_asked():
    assert tokenize("Hello World", lowercase=False) == ["Hello", "World"]


def test_tokenize_contractions_and_decimals():
    assert tokenize("Don't panic, it's 4.5 km.") == ["don't", "panic", "it's", "4.5", "km"]


def test_tokenize_hyphenated_word():
    assert tokenize("a well-known fact") == ["a", "well-known", "fact"]


def test_tokenize_punctuation_kept():
    assert tokenize("Hi, you!", keep_punctuation=True) == ["hi", ",", "you", "!"]


def test_words_drop_numbers():
    assert words("3 cats and 2 dogs") == ["cats", "and", "dogs"]


def test_sentences_basic():
    assert sentences("One. Two! Three?") == ["One.", "Two!", "Three?"]


def test_sentences_keep_abbreviation():
    assert sentences("Dr. Smith arrived. He sat.") == ["Dr. Smith arrived.", "He sat."]


def test_sentences_decimal_is_not_an_end():
    assert sentences("Pi is 3.14 roughly. Yes.") == ["Pi is 3.14 roughly.", "Yes."]


def test_sentences_tail_without_period():
    assert sentences("First. second part") == ["First.", "second part"]


def test_sentences_empty():
    assert sentences("   ") == []


def test_bigrams():
    assert ngrams(["a", "b", "c"], 2) == [("a", "b"), ("b", "c")]


def test_ngrams_too_short():
    assert ngrams(["a"], 2) == []


def test_ngrams_rejects_zero():
    with pytest.raises(ValueError):
        ngrams(["a"], 0)


def test_char_ngrams_padded():
    assert char_ngrams("ab", 2) == [" a", "ab", "b "]


def test_char_ngrams_unpadded():
    assert char_ngrams("abc", 2, pad=False) == ["ab", "bc"]


def test_truncate_words_cuts():
    assert truncate_words("one two three four", 2) == "one two..."


def test_truncate_words_short_text_untouched():
    assert truncate_words("one  two", 2) == "one two"


def test_wrap_greedy():
    assert wrap("the quick brown fox jumps", 10) == ["the quick", "brown fox", "jumps"]


def test_wrap_exact_width_fits():
    assert wrap("abcd efgh", 9) == ["abcd efgh"]


def test_wrap_long_word_own_line():
    assert wrap("a extraordinary b", 5) == ["a", "extraordinary", "b"]


def test_wrap_rejects_zero_width():
    with pytest.raises(ValueError):
        wrap("x", 0)
