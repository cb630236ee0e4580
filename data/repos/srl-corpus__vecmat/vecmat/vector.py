"""Fixed-length vectors with element-wise arithmetic, dot and cross products, norms."""

from __future__ import annotations

import math


class Vector:
    """An immutable sequence of numbers."""

    __slots__ = ("items",)

    def __init__(self, items):
        self.items = tuple(items)
        if not self.items:
            raise ValueError("a vector needs at least one component")

    def __len__(self):
        return len(self.items)

    def __getitem__(self, index):
        return self.items[index]

    def __iter__(self):
        return iter(self.items)

    def __repr__(self):
        return f"Vector({list(self.items)!r})"

    def __eq__(self, other):
        if not isinstance(other, Vector):
            return NotImplemented
        return self.items == other.items

    def __hash__(self):
        return hash(self.items)

    def _check(self, other):
        if len(other) != len(self):
            raise ValueError(f"length mismatch: {len(self)} and {len(other)}")

    def __add__(self, other):
        self._check(other)
        return Vector(a + b for a, b in zip(self, other, strict=False))

    def __sub__(self, other):
        self._check(other)
        return Vector(a - b for a, b in zip(self, other, strict=False))

    def __mul__(self, scalar):
        return Vector(a * scalar for a in self)

    __rmul__ = __mul__

    def __neg__(self):
        return Vector(-a for a in self)

    def dot(self, other):
        self._check(other)
        return sum(a * b for a, b in zip(self, other, strict=False))

    def cross(self, other):
        """Cross product of two 3-vectors."""
        if len(self) != 3 or len(other) != 3:
            raise ValueError("cross product needs 3-vectors")
        a1, a2, a3 = self
        b1, b2, b3 = other
        return Vector((a2 * b3 - a3 * b2, a3 * b1 - a1 * b3, a1 * b2 - a2 * b1))

    def norm(self):
        """Euclidean length."""
        return math.sqrt(self.dot(self))

    def manhattan(self):
        return sum(abs(a) for a in self)

    def normalized(self):
        length = self.norm()
        if length == 0:
            raise ZeroDivisionError("cannot normalize the zero vector")
        return Vector(a / length for a in self)

    def angle(self, other):
        """Angle to ``other`` in radians."""
        cosine = self.dot(other) / (self.norm() * other.norm())
        return math.acos(max(-1.0, min(1.0, cosine)))

    def project_onto(self, other):
        """The component of this vector along ``other``."""
        denominator = other.dot(other)
        if denominator == 0:
            raise ZeroDivisionError("cannot project onto the zero vector")
        return other * (self.dot(other) / denominator)
