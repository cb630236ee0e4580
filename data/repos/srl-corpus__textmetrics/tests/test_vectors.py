import math

import pytest
from textmetrics import cosine_similarity, jaccard, tf_idf
from textmetrics.vectors import inverse_document_frequencies, most_similar, term_frequencies


def test_jaccard_partial():
    assert jaccard("abc", "bcd") == 0.5


def test_jaccard_both_empty():
    assert jaccard([], []) == 1.0


def test_jaccard_disjoint():
    assert jaccard([1], [2]) == 0.0


def test_term_frequencies():
    assert term_frequencies("a b a b c") == {"a": 0.4, "b": 0.4, "c": 0.2}


def test_idf_common_word_weight_one():
    idf = inverse_document_frequencies(["cat dog", "cat fish"])
    assert idf["cat"] == 1.0
    assert idf["dog"] == pytest.approx(math.log(2) + 1)


def test_tf_idf_one_dict_per_document():
    vectors = tf_idf(["cat dog", "cat"])
    assert len(vectors) == 2
    assert vectors[1] == {"cat": 1.0}


def test_cosine_identical():
    assert cosine_similarity({"a": 1.0, "b": 2.0}, {"a": 1.0, "b": 2.0}) == pytest.approx(1.0)


def test_cosine_orthogonal():
    assert cosine_similarity({"a": 1.0}, {"b": 1.0}) == 0.0


def test_cosine_zero_vector():
    assert cosine_similarity({}, {"a": 1.0}) == 0.0


def test_most_similar_picks_matching_document():
    documents = ["the stock market fell", "a recipe for apple pie", "football scores tonight"]
    assert most_similar("apple pie recipe", documents) == 1


def test_most_similar_no_documents():
    assert most_similar("x", []) == -1
