"""stockroom: inventory, orders and restock planning."""

from stockroom.inventory import Inventory, OutOfStock, Product, UnknownProduct
from stockroom.orders import Order, OrderError, OrderLine, apply_coupon
from stockroom.planning import reorder_quantity, restock_plan, stock_value

__all__ = [
    "Inventory",
    "Order",
    "OrderError",
    "OrderLine",
    "OutOfStock",
    "Product",
    "UnknownProduct",
    "apply_coupon",
    "reorder_quantity",
    "restock_plan",
    "stock_value",
]
