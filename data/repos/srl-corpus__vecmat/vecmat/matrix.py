"""Dense matrices: products, transpose, determinant, inverse and solving A x = b."""

from __future__ import annotations

from fractions import Fraction

from vecmat.vector import Vector


class SingularMatrix(ArithmeticError):
    """The matrix has no inverse (determinant zero)."""


class Matrix:
    """A rectangular table of numbers stored row by row."""

    def __init__(self, rows):
        self.rows = [list(row) for row in rows]
        if not self.rows or not self.rows[0]:
            raise ValueError("a matrix needs at least one row and one column")
        width = len(self.rows[0])
        if any(len(row) != width for row in self.rows):
            raise ValueError("all rows must have the same length")

    @property
    def shape(self):
        return len(self.rows), len(self.rows[0])

    def __eq__(self, other):
        if not isinstance(other, Matrix):
            return NotImplemented
        return self.rows == other.rows

    def __repr__(self):
        return f"Matrix({self.rows!r})"

    def __getitem__(self, position):
        row, column = position
        return self.rows[row][column]

    def column(self, index):
        return [row[index] for row in self.rows]

    def transpose(self):
        rows, columns = self.shape
        return Matrix([[self.rows[r][c] for r in range(rows)] for c in range(columns)])

    def __add__(self, other):
        if self.shape != other.shape:
            raise ValueError(f"shape mismatch: {self.shape} and {other.shape}")
        pairs = zip(self.rows, other.rows, strict=True)
        return Matrix([[a + b for a, b in zip(left, right, strict=True)] for left, right in pairs])

    def scale(self, factor):
        return Matrix([[value * factor for value in row] for row in self.rows])

    def __matmul__(self, other):
        """Matrix product with a Matrix, or matrix-vector product with a Vector."""
        if isinstance(other, Vector):
            if len(other) != self.shape[1]:
                raise ValueError("vector length must equal the column count")
            return Vector(sum(a * b for a, b in zip(row, other, strict=False)) for row in self.rows)
        if self.shape[1] != other.shape[0]:
            raise ValueError(f"cannot multiply {self.shape} by {other.shape}")
        columns = [other.column(index) for index in range(other.shape[1])]
        return Matrix([[_dot(row, column) for column in columns] for row in self.rows])

    def is_square(self):
        rows, columns = self.shape
        return rows == columns

    def trace(self):
        if not self.is_square():
            raise ValueError("trace needs a square matrix")
        return sum(self.rows[i][i] for i in range(self.shape[0]))

    def determinant(self):
        """Determinant by elimination over Fractions (exact for integer and Fraction entries)."""
        if not self.is_square():
            raise ValueError("determinant needs a square matrix")
        work = [[Fraction(value) for value in row] for row in self.rows]
        size = len(work)
        result = Fraction(1)
        for pivot_index in range(size):
            pivot_row = next((r for r in range(pivot_index, size) if work[r][pivot_index] != 0), None)
            if pivot_row is None:
                return 0
            if pivot_row != pivot_index:
                work[pivot_index], work[pivot_row] = work[pivot_row], work[pivot_index]
                result = -result
            pivot = work[pivot_index][pivot_index]
            result *= pivot
            for r in range(pivot_index + 1, size):
                factor = work[r][pivot_index] / pivot
                for c in range(pivot_index, size):
                    work[r][c] -= factor * work[pivot_index][c]
        return _simplify(result)

    def inverse(self):
        """Exact inverse by Gauss-Jordan elimination; raises :class:`SingularMatrix`."""
        if not self.is_square():
            raise ValueError("inverse needs a square matrix")
        size = self.shape[0]
        work = [
            [Fraction(v) for v in row] + [Fraction(int(i == j)) for j in range(size)]
            for i, row in enumerate(self.rows)
        ]
        _gauss_jordan(work, size)
        return Matrix([[_simplify(v) for v in row[size:]] for row in work])

    def power(self, exponent):
        """This square matrix raised to a non-negative integer power (square-and-multiply)."""
        if not self.is_square():
            raise ValueError("power needs a square matrix")
        if exponent < 0:
            raise ValueError("exponent must be non-negative")
        result = identity(self.shape[0])
        base = self
        while exponent:
            if exponent & 1:
                result = result @ base
            base = base @ base
            exponent >>= 1
        return result


def _dot(left, right):
    return sum(a * b for a, b in zip(left, right, strict=True))


def _simplify(value):
    """A Fraction with denominator 1 becomes an int."""
    return value.numerator if value.denominator == 1 else value


def _gauss_jordan(work, size):
    """Reduce the left ``size`` columns of an augmented matrix to the identity, in place."""
    for column in range(size):
        pivot_row = next((r for r in range(column, size) if work[r][column] != 0), None)
        if pivot_row is None:
            raise SingularMatrix("matrix is singular")
        work[column], work[pivot_row] = work[pivot_row], work[column]
        pivot = work[column][column]
        work[column] = [value / pivot for value in work[column]]
        for r in range(size):
            if r != column and work[r][column] != 0:
                factor = work[r][column]
                work[r] = [a - factor * b for a, b in zip(work[r], work[column], strict=False)]


def identity(size):
    if size <= 0:
        raise ValueError("size must be positive")
    return Matrix([[int(r == c) for c in range(size)] for r in range(size)])


def solve(matrix, values):
    """The exact solution x of ``matrix @ x = values`` as a Vector."""
    if not matrix.is_square() or len(values) != matrix.shape[0]:
        raise ValueError("need a square matrix and one value per row")
    size = matrix.shape[0]
    work = [[Fraction(v) for v in row] + [Fraction(values[i])] for i, row in enumerate(matrix.rows)]
    _gauss_jordan(work, size)
    return Vector(_simplify(row[size]) for row in work)
