import pytest
from ledger import Ledger, LedgerError, Money


def usd(text):
    return Money.parse(text)


@pytest.fixture
def book():
    ledger = Ledger()
    ledger.open("cash", "asset")
    ledger.open("bank", "asset")
    ledger.open("loan", "liability")
    ledger.open("sales", "income")
    ledger.open("rent", "expense")
    return ledger


def test_open_unknown_kind(book):
    with pytest.raises(LedgerError):
        book.open("x", "hobby")


def test_open_twice(book):
    with pytest.raises(LedgerError):
        book.open("cash", "asset")


def test_post_balanced(book):
    transaction = book.post("sale", [("cash", usd("10")), ("sales", -usd("10"))])
    assert transaction.number == 1
    assert transaction.accounts() == ["cash", "sales"]


def test_post_unbalanced(book):
    with pytest.raises(LedgerError):
        book.post("bad", [("cash", usd("10")), ("sales", -usd("9"))])


def test_post_needs_two_legs(book):
    with pytest.raises(LedgerError):
        book.post("one", [("cash", usd("0"))])


def test_post_unknown_account(book):
    with pytest.raises(LedgerError):
        book.post("x", [("cash", usd("1")), ("nowhere", -usd("1"))])


def test_post_wrong_currency(book):
    with pytest.raises(LedgerError):
        book.post("x", [("cash", Money(1, "EUR")), ("sales", Money(-1, "EUR"))])


def test_balance_natural_sign(book):
    book.post("sale", [("cash", usd("25")), ("sales", -usd("25"))])
    assert book.balance("cash") == usd("25")
    assert book.balance("sales") == usd("25")
    assert book.raw_balance("sales") == -usd("25")


def test_transfer_moves_money(book):
    book.post("sale", [("cash", usd("100")), ("sales", -usd("100"))])
    book.transfer("cash", "bank", usd("40"))
    assert book.balance("cash") == usd("60")
    assert book.balance("bank") == usd("40")


def test_balance_until_day(book):
    book.post("a", [("cash", usd("5")), ("sales", -usd("5"))], day=1)
    book.post("b", [("cash", usd("7")), ("sales", -usd("7"))], day=3)
    assert book.balance("cash", until_day=1) == usd("5")
    assert book.balance("cash", until_day=3) == usd("12")


def test_liability_positive_when_borrowed(book):
    book.transfer("loan", "bank", usd("500"))
    assert book.balance("loan") == usd("500")


def test_trial_balance_sorted(book):
    book.post("sale", [("cash", usd("3")), ("sales", -usd("3"))])
    assert list(book.trial_balance()) == ["bank", "cash", "loan", "rent", "sales"]


def test_is_balanced(book):
    book.post("sale", [("cash", usd("3")), ("sales", -usd("3"))])
    book.transfer("cash", "rent", usd("2"))
    assert book.is_balanced()


def test_history_running_balance(book):
    book.post("s1", [("cash", usd("10")), ("sales", -usd("10"))])
    book.transfer("cash", "rent", usd("4"))
    assert book.history("cash") == [(1, usd("10"), usd("10")), (2, -usd("4"), usd("6"))]


def test_net_income(book):
    book.post("s1", [("cash", usd("90")), ("sales", -usd("90"))])
    book.transfer("cash", "rent", usd("30"))
    assert book.net_income() == usd("60")


def test_close_zero_account(book):
    book.close("bank")
    with pytest.raises(LedgerError):
        book.transfer("cash", "bank", usd("1"))


def test_close_non_zero_account(book):
    book.post("s1", [("cash", usd("1")), ("sales", -usd("1"))])
    with pytest.raises(LedgerError):
        book.close("cash")


def test_search_case_insensitive(book):
    book.post("Invoice 17", [("cash", usd("1")), ("sales", -usd("1"))])
    book.post("refund", [("sales", usd("1")), ("cash", -usd("1"))])
    assert [t.number for t in book.search("invoice")] == [1]


def test_transaction_total_zero(book):
    transaction = book.post("s", [("cash", usd("2")), ("bank", usd("1")), ("sales", -usd("3"))])
    assert transaction.total().is_zero()
