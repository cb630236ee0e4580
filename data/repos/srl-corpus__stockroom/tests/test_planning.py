import pytest
from stockroom import Inventory, reorder_quantity, restock_plan, stock_value
from stockroom.planning import average_daily_demand, days_of_cover


def test_average_daily_demand_window():
    assert average_daily_demand([100, 1, 2, 3], 3) == 2.0


def test_average_daily_demand_empty():
    assert average_daily_demand([], 7) == 0.0


def test_average_daily_demand_bad_window():
    with pytest.raises(ValueError):
        average_daily_demand([1], 0)


def test_reorder_quantity_basic():
    assert reorder_quantity(available=5, daily_demand=2, lead_days=3) == 5


def test_reorder_quantity_enough_stock():
    assert reorder_quantity(available=50, daily_demand=2, lead_days=3) == 0


def test_reorder_quantity_rounds_to_packs():
    assert reorder_quantity(available=0, daily_demand=1.5, lead_days=4, safety_days=0, pack_size=4) == 8


def test_restock_plan_only_needed():
    inventory = Inventory()
    inventory.add_product("A", "a", 100)
    inventory.add_product("B", "b", 100)
    inventory.receive("A", 100)
    plan = restock_plan(inventory, {"A": [3] * 7, "B": [2] * 7}, lead_days=1)
    assert plan == {"B": 6}


def test_stock_value():
    inventory = Inventory()
    inventory.add_product("A", "a", 250)
    inventory.add_product("B", "b", 100)
    inventory.receive("A", 4)
    inventory.receive("B", 1)
    assert stock_value(inventory) == 1100


def test_days_of_cover():
    assert days_of_cover(10, 3) == 3
    assert days_of_cover(10, 0) is None
