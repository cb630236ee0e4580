"""vecmat: vectors and matrices."""

from vecmat.matrix import Matrix, SingularMatrix, identity, solve
from vecmat.vector import Vector

__all__ = ["Matrix", "SingularMatrix", "Vector", "identity", "solve"]
