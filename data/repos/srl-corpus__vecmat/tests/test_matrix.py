from fractions import Fraction

import pytest
from vecmat import Matrix, SingularMatrix, Vector, identity, solve


def test_ragged_rows_rejected():
    with pytest.raises(ValueError):
        Matrix([[1, 2], [3]])


def test_empty_rejected():
    with pytest.raises(ValueError):
        Matrix([])


def test_shape_and_index():
    matrix = Matrix([[1, 2, 3], [4, 5, 6]])
    assert matrix.shape == (2, 3)
    assert matrix[1, 2] == 6


def test_transpose():
    assert Matrix([[1, 2, 3], [4, 5, 6]]).transpose() == Matrix([[1, 4], [2, 5], [3, 6]])


def test_add():
    assert Matrix([[1, 2]]) + Matrix([[3, 4]]) == Matrix([[4, 6]])


def test_add_shape_mismatch():
    with pytest.raises(ValueError):
        Matrix([[1, 2]]) + Matrix([[1], [2]])


def test_scale():
    assert Matrix([[1, -2]]).scale(3) == Matrix([[3, -6]])


def test_matmul():
    assert Matrix([[1, 2], [3, 4]]) @ Matrix([[5, 6], [7, 8]]) == Matrix([[19, 22], [43, 50]])


def test_matmul_rectangular():
    assert (Matrix([[1, 2, 3]]) @ Matrix([[1], [1], [1]])) == Matrix([[6]])


def test_matmul_shape_mismatch():
    with pytest.raises(ValueError):
        Matrix([[1, 2]]) @ Matrix([[1, 2]])


def test_matrix_vector_product():
    assert Matrix([[1, 2], [3, 4]]) @ Vector([1, 1]) == Vector([3, 7])


def test_trace():
    assert Matrix([[1, 2], [3, 4]]).trace() == 5


def test_trace_non_square():
    with pytest.raises(ValueError):
        Matrix([[1, 2]]).trace()


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ([[5]], 5),
        ([[2, 1], [1, 3]], 5),
        ([[0, 1], [1, 0]], -1),
        ([[1, 2], [2, 4]], 0),
        ([[2, 0, 1], [1, 3, 2], [1, 1, 2]], 6),
        ([[0, 0, 1], [0, 1, 0], [1, 0, 0]], -1),
    ],
)
def test_determinant(rows, expected):
    assert Matrix(rows).determinant() == expected


def test_determinant_fraction():
    assert Matrix([[Fraction(1, 2), 0], [0, Fraction(2, 3)]]).determinant() == Fraction(1, 3)


def test_inverse():
    assert Matrix([[2, 1], [1, 1]]).inverse() == Matrix([[1, -1], [-1, 2]])


def test_inverse_fractions():
    inverse = Matrix([[4, 7], [2, 6]]).inverse()
    assert inverse == Matrix([[Fraction(3, 5), Fraction(-7, 10)], [Fraction(-1, 5), Fraction(2, 5)]])


def test_inverse_needs_row_swap():
    matrix = Matrix([[0, 1], [1, 0]])
    assert matrix.inverse() == matrix


def test_inverse_times_matrix_is_identity():
    matrix = Matrix([[2, 0, 1], [1, 3, 2], [1, 1, 2]])
    assert matrix @ matrix.inverse() == identity(3)


def test_singular_inverse():
    with pytest.raises(SingularMatrix):
        Matrix([[1, 2], [2, 4]]).inverse()


def test_identity():
    assert identity(2) == Matrix([[1, 0], [0, 1]])


def test_identity_size_zero():
    with pytest.raises(ValueError):
        identity(0)


def test_power():
    fibonacci = Matrix([[1, 1], [1, 0]])
    assert fibonacci.power(10) == Matrix([[89, 55], [55, 34]])


def test_power_zero_is_identity():
    assert Matrix([[3, 1], [2, 2]]).power(0) == identity(2)


def test_power_negative():
    with pytest.raises(ValueError):
        Matrix([[1]]).power(-1)


def test_solve():
    assert solve(Matrix([[2, 1], [1, 3]]), [3, 5]) == Vector([Fraction(4, 5), Fraction(7, 5)])


def test_solve_integer_solution():
    assert solve(Matrix([[1, 1, 1], [0, 2, 5], [2, 5, -1]]), [6, -4, 27]) == Vector([5, 3, -2])


def test_solve_singular():
    with pytest.raises(SingularMatrix):
        solve(Matrix([[1, 1], [1, 1]]), [1, 2])


def test_solve_bad_length():
    with pytest.raises(ValueError):
        solve(Matrix([[1, 0], [0, 1]]), [1])
