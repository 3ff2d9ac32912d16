"""The day's orders, the order ids TWS remembers, and how orders relate (brackets, OCA)."""

from __future__ import annotations

from mats.localstack.ib_gateway.model import OrderStatus, SimOrder


class OrderBook:
    """Every order of the day, findable by (client id, order id) while TWS remembers the id."""

    def __init__(self) -> None:
        self._orders: list[SimOrder] = []
        # A restart makes TWS forget the ids of finished orders; working ones keep theirs.
        self._by_key: dict[tuple[int, int], SimOrder] = {}

    @property
    def orders(self) -> list[SimOrder]:
        """Return every order of the day, in placement order."""
        return list(self._orders)

    def add(self, order: SimOrder) -> None:
        """Record a new order under its client's order id."""
        self._orders.append(order)
        self._by_key[(order.client_id, order.order_id)] = order

    def get(self, client_id: int, order_id: int) -> SimOrder | None:
        """Return the order a client's order id refers to, if TWS remembers it."""
        return self._by_key.get((client_id, order_id))

    def is_current(self, order: SimOrder) -> bool:
        """Return whether the order is still the one its id refers to (not reset or replaced)."""
        return self._by_key.get((order.client_id, order.order_id)) is order

    def parent(self, order: SimOrder) -> SimOrder | None:
        """Return the order's parent, if it has one."""
        return self.get(order.client_id, order.parent_id) if order.parent_id else None

    def root(self, order: SimOrder) -> SimOrder:
        """Return the top of the order's bracket (the order itself if it has no parent)."""
        # Parents are placed before their children, so this walk cannot loop.
        while (parent := self.parent(order)) is not None:
            order = parent
        return order

    def children(self, parent: SimOrder) -> list[SimOrder]:
        """Return the orders attached to ``parent``."""
        return [
            order
            for order in self._orders
            if order.parent_id == parent.order_id
            and order.client_id == parent.client_id
            and self.is_current(order)
        ]

    def descendants(self, root: SimOrder) -> list[SimOrder]:
        """Return every order below ``root`` in its bracket, parents before children."""
        found: list[SimOrder] = []
        for child in self.children(root):
            found += [child, *self.descendants(child)]
        return found

    def oca_siblings(self, order: SimOrder) -> list[SimOrder]:
        """Return the live orders one fill of ``order`` cancels: its OCA group and bracket."""
        siblings = []
        for other in self._orders:
            if other is order or other.status.done or other.account != order.account:
                continue
            same_group = bool(order.oca_group) and other.oca_group == order.oca_group
            same_bracket = (
                order.parent_id != 0
                and other.client_id == order.client_id
                and other.parent_id == order.parent_id
            )
            if same_group or same_bracket:
                siblings.append(other)
        return siblings

    def open_orders(self, client_id: int | None = None) -> list[SimOrder]:
        """Return working orders, of one client or of all."""
        return [
            order
            for order in self._orders
            if order.transmitted
            and not order.status.done
            and (client_id is None or order.client_id == client_id)
        ]

    def completed(self) -> list[SimOrder]:
        """Return the day's filled and cancelled orders (not rejected ones)."""
        return [
            order
            for order in self._orders
            if order.status.done and order.transmitted and not order.reject_reason
        ]

    def forget_finished(self) -> None:
        """Do what a gateway restart does: drop untransmitted orders, forget finished ids."""
        for order in self._orders:
            if not order.transmitted and not order.status.done:
                order.status = OrderStatus.CANCELLED
        self._by_key = {key: order for key, order in self._by_key.items() if not order.status.done}

    def clear(self) -> None:
        """Forget every order."""
        self._orders.clear()
        self._by_key.clear()
