"""A double-entry ledger: accounts with kinds, balanced transactions, balances and reports."""

from __future__ import annotations

from ledger.money import Money

ACCOUNT_KINDS = ("asset", "liability", "equity", "income", "expense")
# Accounts whose natural balance is a credit are reported with the sign flipped.
CREDIT_KINDS = ("liability", "equity", "income")


class LedgerError(ValueError):
    """An invalid posting: unknown account, unbalanced entry, closed account."""


class Transaction:
    """A dated description with (account, Money) legs that sum to zero."""

    def __init__(self, number, description, legs, day=0):
        self.number = number
        self.description = description
        self.legs = list(legs)
        self.day = day

    def total(self):
        total = Money.zero(self.legs[0][1].currency)
        for _, amount in self.legs:
            total = total + amount
        return total

    def accounts(self):
        return [name for name, _ in self.legs]


class Ledger:
    """Accounts and the transactions posted to them, all in one currency."""

    def __init__(self, currency="USD"):
        self.currency = currency
        self.kinds = {}
        self.closed = set()
        self.transactions = []

    def open(self, name, kind):
        if kind not in ACCOUNT_KINDS:
            raise LedgerError(f"unknown account kind {kind!r}")
        if name in self.kinds:
            raise LedgerError(f"account {name!r} already exists")
        self.kinds[name] = kind

    def close(self, name):
        """Close an account; only an account with a zero balance can be closed."""
        self._require(name)
        if not self.raw_balance(name).is_zero():
            raise LedgerError(f"account {name!r} has a non-zero balance")
        self.closed.add(name)

    def _require(self, name):
        if name not in self.kinds:
            raise LedgerError(f"unknown account {name!r}")

    def post(self, description, legs, day=0):
        """Record a transaction; legs must name open accounts and sum to zero."""
        if len(legs) < 2:
            raise LedgerError("a transaction needs at least two legs")
        for name, amount in legs:
            self._require(name)
            if name in self.closed:
                raise LedgerError(f"account {name!r} is closed")
            if amount.currency != self.currency:
                raise LedgerError(f"leg in {amount.currency}, ledger is {self.currency}")
        transaction = Transaction(len(self.transactions) + 1, description, legs, day)
        if not transaction.total().is_zero():
            raise LedgerError(f"transaction {description!r} does not balance")
        self.transactions.append(transaction)
        return transaction

    def transfer(self, source, target, amount, description="transfer", day=0):
        """Move ``amount`` from ``source`` to ``target`` (a two-leg posting)."""
        return self.post(description, [(target, amount), (source, -amount)], day)

    def raw_balance(self, name, until_day=None):
        """Sum of the debits minus credits on an account, optionally up to and including a day."""
        self._require(name)
        total = Money.zero(self.currency)
        for transaction in self.transactions:
            if until_day is not None and transaction.day > until_day:
                continue
            for account, amount in transaction.legs:
                if account == name:
                    total = total + amount
        return total

    def balance(self, name, until_day=None):
        """The balance in the account's natural sign (income and liabilities positive when credited)."""
        raw = self.raw_balance(name, until_day)
        return -raw if self.kinds[name] in CREDIT_KINDS else raw

    def trial_balance(self):
        """Every account's natural balance, sorted by account name."""
        return {name: self.balance(name) for name in sorted(self.kinds)}

    def is_balanced(self):
        """Debits equal credits over the whole book."""
        total = Money.zero(self.currency)
        for name in self.kinds:
            total = total + self.raw_balance(name)
        return total.is_zero()

    def history(self, name):
        """(transaction number, amount, running raw balance) for one account."""
        self._require(name)
        running = Money.zero(self.currency)
        rows = []
        for transaction in self.transactions:
            for account, amount in transaction.legs:
                if account == name:
                    running = running + amount
                    rows.append((transaction.number, amount, running))
        return rows

    def net_income(self):
        """Income minus expenses."""
        income = Money.zero(self.currency)
        expenses = Money.zero(self.currency)
        for name, kind in self.kinds.items():
            if kind == "income":
                income = income + self.balance(name)
            elif kind == "expense":
                expenses = expenses + self.balance(name)
        return income - expenses

    def search(self, text):
        """Transactions whose description contains ``text`` (case-insensitive)."""
        needle = text.lower()
        return [t for t in self.transactions if needle in t.description.lower()]
