"""Check a ``placeOrder`` ticket and turn it into an order, accepting or refusing as TWS would."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from mats.localstack.ib_gateway.catalog import Instrument
from mats.localstack.ib_gateway.matching import on_tick
from mats.localstack.ib_gateway.model import ORDER_TYPES, TIME_IN_FORCE, OrderTicket, SimOrder
from mats.localstack.ib_gateway.wire import parse_ib_time

REJECTED = 201
PRICE_VARIATION = 110
LIMIT_TYPES = frozenset({"LMT", "STP LMT"})
STOP_TYPES = frozenset({"STP", "STP LMT"})


@dataclass(frozen=True)
class Refusal:
    """Why TWS refuses an order: the error code and the reason."""

    code: int
    reason: str

    @property
    def message(self) -> str:
        """Return the error text TWS sends for this refusal."""
        if self.code == REJECTED:
            return f"Order rejected - reason:{self.reason}"
        return self.reason


def refusal(ticket: OrderTicket, instrument: Instrument, now: datetime) -> Refusal | None:
    """Return why the order must be refused, or None if TWS would accept it."""
    checks = (
        _unsupported(ticket, instrument),
        _shape(ticket),
        _prices(ticket, instrument),
        _time_in_force(ticket, now),
    )
    return next((found for found in checks if found is not None), None)


def build_order(
    ticket: OrderTicket, instrument: Instrument, *, client_id: int, perm_id: int, account: str
) -> SimOrder:
    """Make the order for an accepted ticket (not yet transmitted)."""
    tif = ticket.tif or "DAY"
    good_till = parse_ib_time(ticket.good_till_date) if tif == "GTD" else None
    return SimOrder(
        perm_id=perm_id,
        client_id=client_id,
        order_id=ticket.order_id,
        instrument=instrument,
        route_exchange=ticket.contract.exchange or instrument.exchange,
        account=account,
        action=ticket.action,
        quantity=ticket.quantity,
        order_type=ticket.order_type,
        limit_price=ticket.limit_price if ticket.order_type in LIMIT_TYPES else None,
        stop_price=ticket.aux_price if ticket.order_type in STOP_TYPES else None,
        tif=tif,
        order_ref=ticket.order_ref,
        parent_id=ticket.parent_id,
        oca_group=ticket.oca_group,
        oca_type=ticket.oca_type,
        transmit=ticket.transmit,
        outside_rth=ticket.outside_rth,
        good_till=good_till,
        good_till_text=ticket.good_till_date if tif == "GTD" else "",
    )


def apply_modification(order: SimOrder, ticket: OrderTicket) -> None:
    """Change a working order to what a repeated ``placeOrder`` with its id asks for."""
    order.quantity = ticket.quantity
    order.order_type = ticket.order_type
    order.limit_price = ticket.limit_price if ticket.order_type in LIMIT_TYPES else None
    order.stop_price = ticket.aux_price if ticket.order_type in STOP_TYPES else None
    order.tif = ticket.tif or "DAY"
    order.good_till = parse_ib_time(ticket.good_till_date) if order.tif == "GTD" else None
    order.good_till_text = ticket.good_till_date if order.tif == "GTD" else ""
    order.order_ref = ticket.order_ref
    order.oca_group = ticket.oca_group
    order.transmit = ticket.transmit
    # A modified order is a new arrival: if marketable now it takes the market price.
    order.resting = False


def _unsupported(ticket: OrderTicket, instrument: Instrument) -> Refusal | None:
    if ticket.unsupported:
        return Refusal(REJECTED, ticket.unsupported)
    if instrument.sec_type == "CONTFUT":
        return Refusal(REJECTED, "Continuous futures cannot be traded; use the FUT contract")
    return None


def _shape(ticket: OrderTicket) -> Refusal | None:
    if ticket.action not in {"BUY", "SELL"}:
        return Refusal(REJECTED, f"Invalid action {ticket.action!r}")
    if ticket.quantity <= 0:
        return Refusal(REJECTED, "The order size must be positive")
    if ticket.order_type not in ORDER_TYPES:
        return Refusal(REJECTED, f"Order type {ticket.order_type!r} is not simulated")
    if ticket.order_type in LIMIT_TYPES and ticket.limit_price is None:
        return Refusal(REJECTED, "A limit price is required")
    if ticket.order_type in STOP_TYPES and ticket.aux_price is None:
        return Refusal(REJECTED, "A stop price is required")
    return None


def _prices(ticket: OrderTicket, instrument: Instrument) -> Refusal | None:
    prices = [
        price
        for price, used in (
            (ticket.limit_price, ticket.order_type in LIMIT_TYPES),
            (ticket.aux_price, ticket.order_type in STOP_TYPES),
        )
        if used and price is not None
    ]
    if any(not on_tick(price, instrument.min_tick) for price in prices):
        return Refusal(
            PRICE_VARIATION,
            "The price does not conform to the minimum price variation for this contract.",
        )
    return None


def _time_in_force(ticket: OrderTicket, now: datetime) -> Refusal | None:
    tif = ticket.tif or "DAY"
    if tif not in TIME_IN_FORCE:
        return Refusal(REJECTED, f"Time in force {tif!r} is not simulated")
    if tif != "GTD":
        return None
    try:
        good_till = parse_ib_time(ticket.good_till_date)
    except ValueError as error:
        return Refusal(REJECTED, str(error))
    if good_till <= now:
        return Refusal(REJECTED, "The good till date is in the past")
    return None
