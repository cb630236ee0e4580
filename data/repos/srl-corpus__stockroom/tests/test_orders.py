import pytest
from stockroom import Order, OrderError, apply_coupon


def make_order(tax=0):
    order = Order("o-1", tax_rate_percent=tax)
    order.add_line("MUG", 2, 850)
    order.add_line("TEE", 1, 1500)
    return order


def test_subtotal():
    assert make_order().subtotal() == 3200


def test_item_count():
    assert make_order().item_count() == 3


def test_same_sku_same_price_merges():
    order = make_order()
    order.add_line("MUG", 1, 850)
    assert len(order.lines) == 2
    assert order.lines[0].quantity == 3


def test_same_sku_other_price_new_line():
    order = make_order()
    order.add_line("MUG", 1, 700)
    assert len(order.lines) == 3


def test_zero_quantity_rejected():
    with pytest.raises(OrderError):
        Order("x").add_line("MUG", 0, 850)


def test_remove_line():
    order = make_order()
    order.remove_line("TEE")
    assert order.subtotal() == 1700


def test_remove_missing_line():
    with pytest.raises(OrderError):
        make_order().remove_line("HAT")


def test_shipping_fee_below_threshold():
    assert make_order().shipping() == 499


def test_free_shipping_at_threshold():
    order = Order("big")
    order.add_line("TEE", 4, 1250)
    assert order.shipping() == 0


def test_empty_order_ships_free():
    assert Order("empty").shipping() == 0


def test_tax_rounds_half_up():
    order = Order("t", tax_rate_percent=5)
    order.add_line("X", 1, 10)
    assert order.tax() == 1


def test_total_with_tax_and_shipping():
    assert make_order(tax=10).total() == 3200 + 320 + 499


def test_percent_coupon():
    order = make_order()
    assert apply_coupon(order, "pct25") == 800
    assert order.total() == 2400 + 499


def test_fixed_coupon_capped_at_subtotal():
    order = make_order()
    assert apply_coupon(order, "OFF99999") == 3200


def test_coupon_replaces_previous():
    order = make_order()
    apply_coupon(order, "PCT50")
    apply_coupon(order, "OFF100")
    assert order.discount == 100


def test_bad_percentage_coupon():
    with pytest.raises(OrderError):
        apply_coupon(make_order(), "PCT0")


def test_unknown_coupon():
    with pytest.raises(OrderError):
        apply_coupon(make_order(), "FREE")


def test_discount_can_lose_free_shipping():
    order = Order("d")
    order.add_line("TEE", 4, 1250)
    apply_coupon(order, "PCT10")
    assert order.shipping() == 499


def test_closed_order_rejects_lines():
    order = make_order()
    order.cancel()
    with pytest.raises(OrderError):
        order.add_line("MUG", 1, 850)


def test_shipped_order_cannot_cancel():
    order = make_order()
    order.status = "shipped"
    with pytest.raises(OrderError):
        order.cancel()
