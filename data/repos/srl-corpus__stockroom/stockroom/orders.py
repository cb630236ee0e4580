"""Orders: lines, subtotal, percentage and fixed coupons, tax and shipping."""

from __future__ import annotations

FREE_SHIPPING_FROM = 5000  # cents
SHIPPING_FEE = 499


class OrderError(ValueError):
    """An invalid order change: bad quantity, unknown line, order already closed."""


class OrderLine:
    def __init__(self, sku, quantity, unit_price):
        if quantity <= 0:
            raise OrderError("quantity must be positive")
        self.sku = sku
        self.quantity = quantity
        self.unit_price = unit_price

    def total(self):
        return self.quantity * self.unit_price


class Order:
    """A customer order; money in cents."""

    def __init__(self, order_id, tax_rate_percent=0):
        self.order_id = order_id
        self.tax_rate_percent = tax_rate_percent
        self.lines = []
        self.discount = 0
        self.status = "open"

    def _require_open(self):
        if self.status != "open":
            raise OrderError(f"order {self.order_id} is {self.status}")

    def add_line(self, sku, quantity, unit_price):
        """Add units; the same SKU at the same price merges into one line."""
        self._require_open()
        for line in self.lines:
            if line.sku == sku and line.unit_price == unit_price:
                line.quantity += quantity
                return line
        line = OrderLine(sku, quantity, unit_price)
        self.lines.append(line)
        return line

    def remove_line(self, sku):
        self._require_open()
        kept = [line for line in self.lines if line.sku != sku]
        if len(kept) == len(self.lines):
            raise OrderError(f"no line for {sku}")
        self.lines = kept

    def item_count(self):
        return sum(line.quantity for line in self.lines)

    def subtotal(self):
        return sum(line.total() for line in self.lines)

    def shipping(self):
        """Flat fee below the free-shipping threshold (after discount); empty orders ship free."""
        if not self.lines or self.subtotal() - self.discount >= FREE_SHIPPING_FROM:
            return 0
        return SHIPPING_FEE

    def tax(self):
        """Tax on the discounted subtotal, rounded half up to a cent."""
        taxable = self.subtotal() - self.discount
        return (taxable * self.tax_rate_percent + 50) // 100

    def total(self):
        return self.subtotal() - self.discount + self.tax() + self.shipping()

    def cancel(self):
        if self.status == "shipped":
            raise OrderError("a shipped order cannot be cancelled")
        self.status = "cancelled"


def apply_coupon(order, code):
    """Apply a coupon: ``PCT<n>`` takes n percent off, ``OFF<n>`` takes n cents off (never below 0).

    Returns the discount in cents. Only one coupon applies; a later one replaces the earlier one.
    """
    code = code.strip().upper()
    subtotal = order.subtotal()
    if code.startswith("PCT") and code[3:].isdigit():
        percent = int(code[3:])
        if not 0 < percent <= 100:
            raise OrderError(f"bad percentage in coupon {code}")
        discount = subtotal * percent // 100
    elif code.startswith("OFF") and code[3:].isdigit():
        discount = min(int(code[3:]), subtotal)
    else:
        raise OrderError(f"unknown coupon {code}")
    order.discount = discount
    return discount
