"""Money as an integer number of minor units (cents) with a currency code."""

from __future__ import annotations

MINOR_DIGITS = {"USD": 2, "EUR": 2, "GBP": 2, "JPY": 0, "KWD": 3}


class CurrencyMismatch(ValueError):
    """Raised when two amounts in different currencies are combined."""


def minor_digits(currency):
    try:
        return MINOR_DIGITS[currency]
    except KeyError:
        raise ValueError(f"unknown currency {currency!r}") from None


def round_half_even(numerator, denominator):
    """Integer nearest to numerator / denominator, ties to the even neighbour (banker's rounding)."""
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    quotient, remainder = divmod(numerator, denominator)
    twice = 2 * remainder
    if twice > denominator or (twice == denominator and quotient % 2 == 1):
        quotient += 1
    return quotient


class Money:
    """An exact amount: ``minor`` units of ``currency`` (1999 USD minor units = 19.99 USD)."""

    __slots__ = ("minor", "currency")

    def __init__(self, minor, currency="USD"):
        if not isinstance(minor, int):
            raise TypeError("minor units must be an int")
        minor_digits(currency)
        self.minor = minor
        self.currency = currency

    @classmethod
    def parse(cls, text, currency="USD"):
        """Parse ``"12.5"``, ``"-0.07"`` or ``"1,234.00"`` into Money; too many decimals is an error."""
        digits = minor_digits(currency)
        cleaned = text.strip().replace(",", "")
        negative = cleaned.startswith("-")
        if negative:
            cleaned = cleaned[1:]
        whole, _, fraction = cleaned.partition(".")
        if not whole.isdigit() or (fraction and not fraction.isdigit()):
            raise ValueError(f"not an amount: {text!r}")
        if len(fraction) > digits:
            raise ValueError(f"{text!r} has more than {digits} decimals for {currency}")
        minor = int(whole) * 10**digits + int(fraction.ljust(digits, "0") or "0")
        return cls(-minor if negative else minor, currency)

    @classmethod
    def zero(cls, currency="USD"):
        return cls(0, currency)

    def _check(self, other):
        if not isinstance(other, Money):
            return NotImplemented
        if other.currency != self.currency:
            raise CurrencyMismatch(f"{self.currency} and {other.currency}")
        return None

    def __add__(self, other):
        if self._check(other) is NotImplemented:
            return NotImplemented
        return Money(self.minor + other.minor, self.currency)

    def __sub__(self, other):
        if self._check(other) is NotImplemented:
            return NotImplemented
        return Money(self.minor - other.minor, self.currency)

    def __neg__(self):
        return Money(-self.minor, self.currency)

    def __eq__(self, other):
        if not isinstance(other, Money):
            return NotImplemented
        return self.minor == other.minor and self.currency == other.currency

    def __lt__(self, other):
        self._check(other)
        return self.minor < other.minor

    def __le__(self, other):
        self._check(other)
        return self.minor <= other.minor

    def __hash__(self):
        return hash((self.minor, self.currency))

    def __repr__(self):
        return f"Money({self.minor}, {self.currency!r})"

    def is_zero(self):
        return self.minor == 0

    def multiply(self, numerator, denominator=1):
        """This amount times numerator/denominator, rounded half to even to whole minor units."""
        return Money(round_half_even(self.minor * numerator, denominator), self.currency)

    def percent(self, rate_percent):
        """``rate_percent`` percent of this amount (rate given as an int or a string like "7.25")."""
        text = str(rate_percent)
        whole, _, fraction = text.partition(".")
        scale = 10 ** len(fraction)
        numerator = int(whole + fraction) if fraction else int(whole)
        return self.multiply(numerator, 100 * scale)

    def format(self, symbol=None):
        """``"-$1,234.50"`` style text; the currency code is appended when no symbol is given."""
        digits = minor_digits(self.currency)
        sign = "-" if self.minor < 0 else ""
        whole, fraction = divmod(abs(self.minor), 10**digits)
        text = f"{whole:,}"
        if digits:
            text += "." + str(fraction).zfill(digits)
        if symbol is not None:
            return f"{sign}{symbol}{text}"
        return f"{sign}{text} {self.currency}"


def allocate(amount, weights):
    """Split ``amount`` in proportion to integer ``weights`` so the parts add up exactly.

    Leftover minor units go one each to the earliest parts.
    """
    if not weights or any(weight < 0 for weight in weights) or sum(weights) == 0:
        raise ValueError("weights must be non-negative and not all zero")
    total = sum(weights)
    sign = -1 if amount.minor < 0 else 1
    units = abs(amount.minor)
    parts = [units * weight // total for weight in weights]
    leftover = units - sum(parts)
    for index in range(leftover):
        parts[index % len(parts)] += 1
    return [Money(sign * part, amount.currency) for part in parts]
