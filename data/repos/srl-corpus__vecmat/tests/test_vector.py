import math

import pytest
from vecmat import Vector


def test_empty_vector_rejected():
    with pytest.raises(ValueError):
        Vector([])


def test_add_and_sub():
    assert Vector([1, 2]) + Vector([3, 4]) == Vector([4, 6])
    assert Vector([1, 2]) - Vector([3, 5]) == Vector([-2, -3])


def test_length_mismatch():
    with pytest.raises(ValueError):
        Vector([1, 2]) + Vector([1, 2, 3])


def test_scalar_multiply_both_sides():
    assert Vector([1, -2]) * 3 == Vector([3, -6])
    assert 2 * Vector([1, 2]) == Vector([2, 4])


def test_negate():
    assert -Vector([1, -2]) == Vector([-1, 2])


def test_dot():
    assert Vector([1, 2, 3]).dot(Vector([4, 5, 6])) == 32


def test_cross():
    assert Vector([1, 0, 0]).cross(Vector([0, 1, 0])) == Vector([0, 0, 1])
    assert Vector([1, 2, 3]).cross(Vector([4, 5, 6])) == Vector([-3, 6, -3])


def test_cross_needs_three():
    with pytest.raises(ValueError):
        Vector([1, 2]).cross(Vector([3, 4]))


def test_norm():
    assert Vector([3, 4]).norm() == 5


def test_manhattan():
    assert Vector([3, -4]).manhattan() == 7


def test_normalized():
    assert Vector([0, 5]).normalized() == Vector([0, 1])


def test_normalize_zero():
    with pytest.raises(ZeroDivisionError):
        Vector([0, 0]).normalized()


def test_angle_right():
    assert Vector([1, 0]).angle(Vector([0, 2])) == pytest.approx(math.pi / 2)


def test_angle_opposite():
    assert Vector([1, 1]).angle(Vector([-1, -1])) == pytest.approx(math.pi)


def test_projection():
    assert Vector([2, 3]).project_onto(Vector([1, 0])) == Vector([2, 0])


def test_project_onto_zero():
    with pytest.raises(ZeroDivisionError):
        Vector([1, 1]).project_onto(Vector([0, 0]))


def test_indexing_and_iteration():
    vector = Vector([7, 8, 9])
    assert vector[1] == 8
    assert list(vector) == [7, 8, 9]
    assert len(vector) == 3
