"""Products and stock levels: on hand, reserved for open orders, available to sell."""

from __future__ import annotations


class UnknownProduct(KeyError):
    """The SKU is not in the catalogue."""


class OutOfStock(ValueError):
    """Not enough available stock for a reservation or shipment."""


class Product:
    def __init__(self, sku, name, price, reorder_point=0):
        if price < 0:
            raise ValueError("price must not be negative")
        self.sku = sku
        self.name = name
        self.price = price
        self.reorder_point = reorder_point


class Inventory:
    """The catalogue and, per SKU, the units on hand and the units reserved."""

    def __init__(self):
        self.products = {}
        self.on_hand = {}
        self.reserved = {}
        self.log = []

    def add_product(self, sku, name, price, reorder_point=0):
        if sku in self.products:
            raise ValueError(f"duplicate SKU {sku}")
        self.products[sku] = Product(sku, name, price, reorder_point)
        self.on_hand[sku] = 0
        self.reserved[sku] = 0

    def product(self, sku):
        try:
            return self.products[sku]
        except KeyError:
            raise UnknownProduct(sku) from None

    def receive(self, sku, quantity):
        """Add delivered units to stock."""
        self.product(sku)
        if quantity <= 0:
            raise ValueError("quantity must be positive")
        self.on_hand[sku] += quantity
        self.log.append(("receive", sku, quantity))

    def available(self, sku):
        """Units that can still be promised: on hand minus reserved."""
        self.product(sku)
        return self.on_hand[sku] - self.reserved[sku]

    def reserve(self, sku, quantity):
        if quantity <= 0:
            raise ValueError("quantity must be positive")
        if quantity > self.available(sku):
            raise OutOfStock(f"{sku}: want {quantity}, available {self.available(sku)}")
        self.reserved[sku] += quantity
        self.log.append(("reserve", sku, quantity))

    def release(self, sku, quantity):
        """Give back a reservation (an order was cancelled)."""
        self.product(sku)
        if quantity > self.reserved[sku]:
            raise ValueError(f"{sku}: only {self.reserved[sku]} reserved")
        self.reserved[sku] -= quantity
        self.log.append(("release", sku, quantity))

    def ship(self, sku, quantity):
        """Ship reserved units: they leave both the reservation and the stock."""
        self.product(sku)
        if quantity > self.reserved[sku]:
            raise OutOfStock(f"{sku}: only {self.reserved[sku]} reserved")
        self.reserved[sku] -= quantity
        self.on_hand[sku] -= quantity
        self.log.append(("ship", sku, quantity))

    def reserve_order(self, order):
        """Reserve every line of an order, or none of them when one line cannot be served."""
        wanted = {}
        for line in order.lines:
            wanted[line.sku] = wanted.get(line.sku, 0) + line.quantity
        for sku, quantity in wanted.items():
            if quantity > self.available(sku):
                raise OutOfStock(f"{sku}: want {quantity}, available {self.available(sku)}")
        for sku, quantity in wanted.items():
            self.reserve(sku, quantity)
        order.status = "reserved"

    def below_reorder_point(self):
        """SKUs whose available stock is at or below their reorder point, sorted."""
        return sorted(
            sku for sku, product in self.products.items() if self.available(sku) <= product.reorder_point
        )

    def search(self, text):
        needle = text.lower()
        return sorted(sku for sku, product in self.products.items() if needle in product.name.lower())
