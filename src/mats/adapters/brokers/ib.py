"""The ``Broker`` port on Interactive Brokers, over the one :class:`IbSession`.

Orders carry MATS's order id in ``orderRef`` and are looked up by it before anything is sent, so
a retried order is never sent twice. Every failure leaves as an error of MATS's tree: the
session translates whatever a call raises (``ib_errors``), and a refusal, whether IB refused the
order or has no contract for it, is an ``OrderRejectedError`` under the order's id.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from ib_async import Contract, ExecutionFilter, Fill, Trade

from mats.adapters.brokers import ib_orders
from mats.adapters.brokers.ib_session import IbSession
from mats.domain.currencies import is_currency_code
from mats.domain.market import AssetClass, Instrument, Quote
from mats.domain.orders import Order
from mats.domain.venues import (
    OrderRejectedError,
    VenueAccount,
    VenueFill,
    VenueOrderReport,
    VenuePosition,
    VenueRate,
    VenueStatus,
)
from mats.errors import PermanentError, TemporaryError
from mats.ports import Clock


class IbBroker:
    """The ``Broker`` port over an :class:`IbSession`.

    ``accounts`` maps MATS account names to IB account codes (``IBKR_Main`` → ``DU1234567``);
    an order goes to its account's code, and what IB reports comes back under the MATS name.
    IB holds a bracket itself: the children travel with the parent, one cancelling the other.
    ``clock`` (the session's by default) dates accounts and quotes.
    """

    native_brackets = True

    def __init__(
        self,
        session: IbSession,
        accounts: Mapping[str, str] | None = None,
        *,
        clock: Clock | None = None,
    ) -> None:
        self._session = session
        self._clock = clock or session.clock
        self._codes = dict(accounts or {})
        self._names = {code: name for name, code in self._codes.items()}

    def place(self, order: Order) -> VenueOrderReport:
        existing = self.lookup(order.id)
        if existing is not None:
            return existing
        status = self._session.status()
        if not status.accepting_orders:
            raise TemporaryError(f"Interactive Brokers is not taking orders: {status.reason}")
        if order.side is None:
            raise OrderRejectedError(order.id, "an order without a side cannot be placed")
        if order.account not in self._codes:
            raise OrderRejectedError(
                order.id, f"account {order.account} has no IB account code (MATS_IB_ACCOUNTS)"
            )
        try:
            contract = self._session.contract(
                order.broker_symbol or order.symbol,
                order.asset_class,
                order.currency,
                order.exchange,
            )
            trade = self._session.run(
                self._place(contract, order, self._codes[order.account]),
                action=f"placeOrder {order.id}",
            )
        except OrderRejectedError:
            raise
        except PermanentError as error:
            raise OrderRejectedError(order.id, str(error)) from error
        refusal = ib_orders.refusal(trade)
        if refusal is not None:
            raise OrderRejectedError(order.id, refusal)
        return ib_orders.order_report(order.id, trade)

    def lookup(self, order_id: str, *, symbol: str | None = None) -> VenueOrderReport | None:
        ib = self._session.connected_ib()
        trade = self._session.call(ib_orders.trade_by_ref, ib, order_id)
        fills = self._session.call(ib_orders.fills_by_ref, ib, order_id)
        if trade is None and not fills:
            return None
        return ib_orders.order_report(order_id, trade, fills)

    def cancel(self, order_id: str, *, symbol: str | None = None) -> VenueOrderReport | None:
        ib = self._session.connected_ib()
        trade = self._session.call(ib_orders.trade_by_ref, ib, order_id)
        if trade is None:
            return None
        if not trade.isDone():
            self._session.call(ib.cancelOrder, trade.order)
        return ib_orders.order_report(order_id, trade)

    def executions(self, since: datetime) -> Sequence[VenueFill]:
        ib = self._session.connected_ib()

        async def fetch() -> list[Fill]:
            return list(await ib.reqExecutionsAsync(ExecutionFilter()))

        found = self._session.run(fetch(), action="reqExecutions")
        return [
            dataclasses.replace(
                venue_fill, account=self._names.get(venue_fill.account, venue_fill.account)
            )
            for fill in found
            if (venue_fill := ib_orders.venue_fill(fill)) is not None and venue_fill.at >= since
        ]

    def account(self, account: str) -> VenueAccount:
        """The account's summary, positions and exchange rates, fetched from IB now.

        The rates are IB's ``ExchangeRate`` account values (units of the account's currency per
        one unit of each other currency), from the account updates ib_async subscribes to at
        connect (``accountValues``), else from the summary's ``$LEDGER:ALL`` lines.
        """
        ib = self._session.connected_ib()
        code = self._codes.get(account, account)

        async def fetch() -> tuple[list[Any], list[Any], list[Any], list[Any]]:
            # The first call subscribes to the summary; IB keeps it and positions current.
            summary = await ib.accountSummaryAsync(code)
            return summary, ib.positions(code), ib.portfolio(code), ib.accountValues(code)

        values, positions, portfolio, account_values = self._session.run(
            fetch(), action=f"accountSummary {code}"
        )
        figures = {v.tag: v for v in values if v.currency not in ("", "BASE")}
        if "NetLiquidation" not in figures:
            raise TemporaryError(f"Interactive Brokers reports no account {code} ({account})")
        marks = {item.contract.conId: item.marketPrice for item in portfolio}
        currency = figures["NetLiquidation"].currency or "USD"

        def amount(tag: str) -> Decimal:
            value = figures.get(tag)
            return Decimal(value.value) if value is not None and value.value else Decimal(0)

        return VenueAccount(
            account=account,
            currency=currency,
            equity=amount("NetLiquidation"),
            cash=amount("TotalCashValue"),
            margin_used=amount("InitMarginReq"),
            margin_available=amount("AvailableFunds"),
            unrealized_pnl=amount("UnrealizedPnL"),
            as_of=self._clock.now(),
            positions=tuple(
                VenuePosition(
                    account=account,
                    symbol=ib_orders.position_symbol(p.contract),
                    quantity=ib_orders.exact(p.position),
                    average_cost=ib_orders.per_unit_cost(p.avgCost, p.contract),
                    mark_price=ib_orders.price_or_none(marks.get(p.contract.conId)),
                )
                for p in positions
                if p.position
            ),
            fx_rates=exchange_rates([*account_values, *values], currency),
        )

    def serves(self, instrument: Instrument) -> bool:
        """IB prices everything MATS trades there but crypto (which ccxt venues price)."""
        return instrument.asset_class is not AssetClass.CRYPTO

    def quote(self, instrument: Instrument) -> Quote | None:
        """A snapshot of the instrument's bid, ask and last from IB, or ``None``."""
        symbol = instrument.broker_symbol or instrument.symbol
        contract = self._session.contract(
            symbol, instrument.asset_class.value, instrument.currency, instrument.exchange
        )
        ib = self._session.connected_ib()

        async def snapshot() -> Any:
            tickers = await ib.reqTickersAsync(contract)
            return tickers[0] if tickers else None

        ticker = self._session.run(snapshot(), action=f"reqTickers {symbol}")
        if ticker is None:
            return None
        bid, ask, last = (
            ib_orders.price_or_none(ticker.bid),
            ib_orders.price_or_none(ticker.ask),
            ib_orders.price_or_none(ticker.last),
        )
        if bid is None and ask is None and last is None:
            return None
        return Quote(
            symbol=instrument.symbol,
            as_of=self._clock.now(),
            last=last,
            bid=bid,
            ask=ask,
            source="IB",
        )

    def status(self) -> VenueStatus:
        return self._session.status()

    async def _place(self, contract: Contract, order: Order, code: str) -> Trade:
        ib = self._session.connected_ib()
        parent = ib_orders.ib_order(order)
        legs = ib_orders.bracket_legs(order)
        for placed in (parent, *legs):
            placed.account = code
        if legs:
            parent.transmit = False
        trade = ib.placeOrder(contract, parent)
        for leg in legs:
            leg.parentId = parent.orderId
            ib.placeOrder(contract, leg)
        # Wait briefly for IB's answer, so an outright refusal is reported as one.
        deadline = asyncio.get_running_loop().time() + self._session.settings.ack_timeout
        while trade.orderStatus.status in ib_orders.PENDING and ib_orders.refusal(trade) is None:
            if asyncio.get_running_loop().time() > deadline:
                break
            await asyncio.sleep(0.01)
        return trade


def exchange_rates(values: Sequence[Any], base_currency: str) -> tuple[VenueRate, ...]:
    """The ``ExchangeRate`` account values of every currency but the account's own (and IB's
    ``BASE`` line), the first reported per currency; a currency MATS does not know (IB's CNH)
    or a value that is not a positive number is left out."""
    found: dict[str, VenueRate] = {}
    for value in values:
        currency = value.currency
        if value.tag != "ExchangeRate" or value.modelCode or currency in found:
            continue
        if currency in ("", "BASE", base_currency) or not is_currency_code(currency):
            continue
        try:
            rate = Decimal(value.value)
        except InvalidOperation:
            continue
        if rate.is_finite() and rate > 0:
            found[currency] = VenueRate(currency, rate)
    return tuple(found[c] for c in sorted(found))
