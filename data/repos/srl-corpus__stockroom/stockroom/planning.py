"""Restock planning from sales history: average demand, reorder quantities, stock value."""

from __future__ import annotations

import math


def average_daily_demand(sales, days):
    """Units sold per day over the last ``days`` entries of a daily sales list."""
    if days <= 0:
        raise ValueError("days must be positive")
    window = sales[-days:]
    if not window:
        return 0.0
    return sum(window) / len(window)


def reorder_quantity(available, daily_demand, lead_days, safety_days=2, pack_size=1):
    """Units to order so stock lasts the lead time plus a safety margin, rounded up to whole packs."""
    needed = math.ceil(daily_demand * (lead_days + safety_days)) - available
    if needed <= 0:
        return 0
    return math.ceil(needed / pack_size) * pack_size


def restock_plan(inventory, sales_history, lead_days, window=7):
    """SKU -> units to order, only for SKUs that need some, sorted by SKU."""
    plan = {}
    for sku in sorted(inventory.products):
        demand = average_daily_demand(sales_history.get(sku, []), window)
        quantity = reorder_quantity(inventory.available(sku), demand, lead_days)
        if quantity:
            plan[sku] = quantity
    return plan


def stock_value(inventory):
    """Value of everything on hand at list price, in cents."""
    return sum(inventory.on_hand[sku] * product.price for sku, product in inventory.products.items())


def days_of_cover(available, daily_demand):
    """How many whole days the available stock lasts; None when nothing sells."""
    if daily_demand <= 0:
        return None
    return int(available // daily_demand)
