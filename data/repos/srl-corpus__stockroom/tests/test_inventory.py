import pytest
from stockroom import Inventory, Order, OutOfStock, UnknownProduct


@pytest.fixture
def stock():
    inventory = Inventory()
    inventory.add_product("MUG", "Coffee mug", price=850, reorder_point=3)
    inventory.add_product("TEE", "T-shirt", price=1500, reorder_point=5)
    inventory.receive("MUG", 10)
    inventory.receive("TEE", 4)
    return inventory


def test_receive_adds_stock(stock):
    stock.receive("MUG", 5)
    assert stock.on_hand["MUG"] == 15


def test_receive_rejects_zero(stock):
    with pytest.raises(ValueError):
        stock.receive("MUG", 0)


def test_unknown_product(stock):
    with pytest.raises(UnknownProduct):
        stock.receive("HAT", 1)


def test_duplicate_sku(stock):
    with pytest.raises(ValueError):
        stock.add_product("MUG", "Other", 1)


def test_negative_price():
    with pytest.raises(ValueError):
        Inventory().add_product("X", "x", -1)


def test_reserve_reduces_available(stock):
    stock.reserve("MUG", 4)
    assert stock.available("MUG") == 6
    assert stock.on_hand["MUG"] == 10


def test_reserve_all_available(stock):
    stock.reserve("TEE", 4)
    assert stock.available("TEE") == 0


def test_reserve_too_many(stock):
    with pytest.raises(OutOfStock):
        stock.reserve("TEE", 5)


def test_release_returns_units(stock):
    stock.reserve("MUG", 4)
    stock.release("MUG", 3)
    assert stock.available("MUG") == 9


def test_release_more_than_reserved(stock):
    with pytest.raises(ValueError):
        stock.release("MUG", 1)


def test_ship_leaves_stock(stock):
    stock.reserve("MUG", 2)
    stock.ship("MUG", 2)
    assert stock.on_hand["MUG"] == 8
    assert stock.reserved["MUG"] == 0


def test_ship_unreserved(stock):
    with pytest.raises(OutOfStock):
        stock.ship("MUG", 1)


def test_reserve_order_all_or_nothing(stock):
    order = Order("o-1")
    order.add_line("MUG", 2, 850)
    order.add_line("TEE", 9, 1500)
    with pytest.raises(OutOfStock):
        stock.reserve_order(order)
    assert stock.available("MUG") == 10


def test_reserve_order_sums_lines_of_same_sku(stock):
    order = Order("o-2")
    order.add_line("TEE", 3, 1500)
    order.add_line("TEE", 2, 1200)
    with pytest.raises(OutOfStock):
        stock.reserve_order(order)


def test_reserve_order_sets_status(stock):
    order = Order("o-3")
    order.add_line("MUG", 1, 850)
    stock.reserve_order(order)
    assert order.status == "reserved"
    assert stock.available("MUG") == 9


def test_below_reorder_point(stock):
    assert stock.below_reorder_point() == ["TEE"]
    stock.reserve("MUG", 7)
    assert stock.below_reorder_point() == ["MUG", "TEE"]


def test_search_by_name(stock):
    assert stock.search("SHIRT") == ["TEE"]


def test_log_records_moves(stock):
    stock.reserve("MUG", 1)
    assert stock.log[-1] == ("reserve", "MUG", 1)
