"""ledger: exact money amounts and a double-entry book of accounts."""

from ledger.book import Ledger, LedgerError, Transaction
from ledger.money import CurrencyMismatch, Money, allocate

__all__ = ["CurrencyMismatch", "Ledger", "LedgerError", "Money", "Transaction", "allocate"]
