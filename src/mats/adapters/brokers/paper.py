"""The paper venue: PAPER-mode strategies trade here, and nothing ever reaches a broker.

Fills are simulated at the fresh quote (the ask to buy, the bid to sell) or, without one, at the
order's reference price, moved against the order by ``slippage_bps`` and onto the instrument's
tick; commission is ``commission_per_unit`` per unit (at least ``minimum_commission``). A limit
or stop order that is not marketable rests, and fills when a later quote crosses it (checked on
every lookup, which the bridge does for every working order). Orders are kept in the
``PaperBook`` so a restarted bridge finds them again.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Protocol

from mats.domain.execution.states import OrderState
from mats.domain.market import Quote
from mats.domain.orders import Order
from mats.domain.trading import OrderAction, OrderType, Side, TimeInForce
from mats.domain.venues import (
    OrderRejectedError,
    VenueAccount,
    VenueFill,
    VenueOrderReport,
    VenueStatus,
)
from mats.ports import Clock


class QuoteSource(Protocol):
    def quote(self, symbol: str) -> Quote | None: ...


class PaperBook(Protocol):
    """Where the paper venue keeps its orders (one document per MATS order id)."""

    def get(self, order_id: str) -> PaperOrder | None: ...

    def put(self, order: PaperOrder) -> None: ...

    def filled_since(self, since: datetime) -> Sequence[PaperOrder]: ...


@dataclasses.dataclass(frozen=True)
class PaperOrder:
    order: Order
    state: OrderState
    placed_at: datetime
    fill: VenueFill | None = None
    reason: str | None = None


@dataclasses.dataclass(frozen=True)
class PaperSettings:
    slippage_bps: Decimal = Decimal(2)
    commission_per_unit: Decimal = Decimal("0.005")
    minimum_commission: Decimal = Decimal(1)
    quote_max_age: timedelta = timedelta(seconds=15)


class PaperBroker:
    """A venue that fills by simulation; see the module docstring."""

    native_brackets = False

    def __init__(
        self,
        book: PaperBook,
        quotes: QuoteSource,
        clock: Clock,
        settings: PaperSettings | None = None,
    ) -> None:
        self._book = book
        self._quotes = quotes
        self._clock = clock
        self._settings = settings or PaperSettings()

    def place(self, order: Order) -> VenueOrderReport:
        existing = self._book.get(order.id)
        if existing is not None:
            return self._report(self._evaluate(existing))
        if order.action is OrderAction.CANCEL_OPEN or order.side is None or order.quantity <= 0:
            raise OrderRejectedError(
                order.id, "the paper venue places only orders with a side and a quantity"
            )
        placed = PaperOrder(order, OrderState.ACCEPTED, self._clock.now())
        evaluated = self._evaluate(placed)
        if evaluated.state is OrderState.ACCEPTED and order.time_in_force in (
            TimeInForce.IOC,
            TimeInForce.FOK,
        ):
            evaluated = dataclasses.replace(
                evaluated, state=OrderState.CANCELLED, reason="not marketable (IOC/FOK)"
            )
        self._book.put(evaluated)
        return self._report(evaluated)

    def lookup(self, order_id: str, *, symbol: str | None = None) -> VenueOrderReport | None:
        found = self._book.get(order_id)
        if found is None:
            return None
        evaluated = self._evaluate(found)
        if evaluated != found:
            self._book.put(evaluated)
        return self._report(evaluated)

    def cancel(self, order_id: str, *, symbol: str | None = None) -> VenueOrderReport | None:
        found = self._book.get(order_id)
        if found is None:
            return None
        if not found.state.ended:
            found = dataclasses.replace(found, state=OrderState.CANCELLED, reason="cancelled")
            self._book.put(found)
        return self._report(found)

    def executions(self, since: datetime) -> Sequence[VenueFill]:
        return [o.fill for o in self._book.filled_since(since) if o.fill is not None]

    def account(self, account: str) -> VenueAccount:
        raise OrderRejectedError(account, "the paper venue keeps no account; use the ledger")

    def status(self) -> VenueStatus:
        return VenueStatus(connected=True, accepting_orders=True)

    def _evaluate(self, paper: PaperOrder) -> PaperOrder:
        """Fill a working order if the market now reaches it; expire a lapsed GTD order."""
        if paper.state.ended:
            return paper
        order, now = paper.order, self._clock.now()
        if order.time_in_force is TimeInForce.GTD and order.expire_at and now >= order.expire_at:
            return dataclasses.replace(
                paper, state=OrderState.EXPIRED, reason="good-till-date passed"
            )
        market = self._market_price(order)
        if market is None:
            return paper
        price = self._fill_price(order, market)
        if price is None:
            return paper
        fill = VenueFill(
            execution_id=f"PAPER-{order.id}",
            order_id=order.id,
            account=order.account,
            symbol=order.symbol,
            side=order.side or Side.BUY,
            quantity=order.quantity,
            price=price,
            at=now,
            commission=max(
                self._settings.minimum_commission,
                order.quantity * self._settings.commission_per_unit,
            ),
            commission_currency=order.currency,
            venue_order_id=f"PAPER-{order.id}",
        )
        return dataclasses.replace(paper, state=OrderState.FILLED, fill=fill)

    def _market_price(self, order: Order) -> Decimal | None:
        quote = self._quotes.quote(order.symbol)
        fresh = quote is not None and quote.is_fresh(
            self._clock.now(), self._settings.quote_max_age
        )
        if fresh and quote is not None and order.side is not None:
            return quote.price_for(order.side)
        return order.reference_price

    def _fill_price(self, order: Order, market: Decimal) -> Decimal | None:
        buy = order.side is Side.BUY
        if (
            order.order_type in (OrderType.STOP, OrderType.STOP_LIMIT)
            and order.stop_price is not None
        ):
            triggered = market >= order.stop_price if buy else market <= order.stop_price
            if not triggered:
                return None
        slipped = _on_tick(
            market * (1 + self._settings.slippage_bps / 10_000 * (1 if buy else -1)),
            order.tick_size,
            up=buy,
        )
        if (
            order.order_type in (OrderType.LIMIT, OrderType.STOP_LIMIT)
            and order.limit_price is not None
        ):
            limit = order.limit_price
            if (buy and market > limit) or (not buy and market < limit):
                return None
            return min(slipped, limit) if buy else max(slipped, limit)
        return slipped

    def _report(self, paper: PaperOrder) -> VenueOrderReport:
        fill = paper.fill
        return VenueOrderReport(
            order_id=paper.order.id,
            state=paper.state,
            filled_quantity=fill.quantity if fill else Decimal(0),
            average_price=fill.price if fill else None,
            venue_order_id=f"PAPER-{paper.order.id}",
            reason=paper.reason,
            fills=(fill,) if fill else (),
        )


def _on_tick(price: Decimal, tick: Decimal | None, *, up: bool) -> Decimal:
    """The price on the instrument's tick, against the order (a buy pays up, a sell gets less)."""
    if not tick:
        return price
    ticks = (price / tick).to_integral_value(rounding=ROUND_CEILING if up else ROUND_FLOOR)
    return ticks * tick
