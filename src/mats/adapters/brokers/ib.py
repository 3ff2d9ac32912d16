"""Interactive Brokers through ib_async: one long-lived session, owned by one thread and its loop.

``IbSession`` keeps the connection: it connects (with backoff and jitter), runs the caller's
reconciliation before any order is taken, sends a heartbeat because IB does not always report a
dead socket, pauses new orders while IB reports lost connectivity (1100, until 1101/1102) and
inside the configured daily restart window, and reconnects after a drop or a gateway restart.
``IbBroker`` is the ``Broker`` port over it. Orders carry MATS's order id in ``orderRef``;
nothing is keyed on IB's orderId, which a restarted gateway can hand out again.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import math
import random
import re
import threading
from collections.abc import Callable, Coroutine, Mapping, Sequence
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from datetime import UTC, datetime, time
from decimal import Decimal
from typing import Any, TypeVar

from ib_async import (
    IB,
    ContFuture,
    Contract,
    Crypto,
    ExecutionFilter,
    Fill,
    Forex,
    Future,
    LimitOrder,
    MarketOrder,
    Stock,
    StopLimitOrder,
    StopOrder,
    Trade,
)
from ib_async import (
    Order as IbOrder,
)

from mats.domain.execution.states import OrderState
from mats.domain.market import AssetClass, Instrument, Quote
from mats.domain.orders import Order
from mats.domain.trading import OrderType, Side, TimeInForce
from mats.domain.venues import (
    OrderRejectedError,
    VenueAccount,
    VenueFill,
    VenueOrderReport,
    VenuePosition,
    VenueStatus,
)
from mats.errors import TemporaryError

log = logging.getLogger(__name__)
T = TypeVar("T")

LOST, RESTORED_DATA_LOST, RESTORED = 1100, 1101, 1102
CLIENT_ID_IN_USE = 326
# Errors that mean IB refused an order for good (201: rejected; 110: price off the tick ...).
ORDER_REFUSALS = frozenset({103, 104, 110, 135, 161, 200, 201, 202, 203, 321, 354, 404, 436, 10147})
_STATES = {
    "PendingSubmit": OrderState.SUBMITTED,
    "ApiPending": OrderState.SUBMITTED,
    "PreSubmitted": OrderState.ACCEPTED,
    "Submitted": OrderState.ACCEPTED,
    "ApiUpdate": OrderState.ACCEPTED,
    "Filled": OrderState.FILLED,
    "Cancelled": OrderState.CANCELLED,
    "ApiCancelled": OrderState.CANCELLED,
    "Inactive": OrderState.REJECTED,
}
_TIF = {
    TimeInForce.DAY: "DAY",
    TimeInForce.GTC: "GTC",
    TimeInForce.IOC: "IOC",
    TimeInForce.FOK: "FOK",
    TimeInForce.GTD: "GTD",
}
_CONTINUOUS = re.compile(r"^(?P<root>[A-Z]+)\d*!$")


@dataclass(frozen=True)
class IbSettings:
    host: str = "127.0.0.1"
    port: int = 4002
    client_id: int = 1
    accounts: tuple[str, ...] = ()
    connect_timeout: float = 10.0
    request_timeout: float = 10.0
    ack_timeout: float = 2.0
    heartbeat_seconds: float = 15.0
    min_backoff_seconds: float = 1.0
    max_backoff_seconds: float = 60.0
    restart_window: tuple[time, time] | None = None


class IbSession:
    """The one ib_async connection, on its own thread and event loop."""

    def __init__(
        self,
        settings: IbSettings,
        *,
        on_connected: Callable[[], None] | None = None,
        on_order_event: Callable[[str], None] | None = None,
    ) -> None:
        self.settings = settings
        self._on_connected = on_connected
        self._on_order_event = on_order_event
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run_loop, name="ib-session", daemon=True)
        self._stopping = threading.Event()
        self.ib: IB | None = None
        self.paused: str | None = "not connected yet"
        self.connected_since: datetime | None = None
        self.disconnected_since: datetime | None = datetime.now(UTC)
        self.last_error: str | None = None
        self._contracts: dict[str, Contract] = {}

    def start(self) -> None:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._supervise(), self._loop)

    def stop(self) -> None:
        """Disconnect, end the supervisor and every other task, and stop the loop's thread."""
        self._stopping.set()

        async def shutdown() -> None:
            if self.ib is not None:
                self.ib.disconnect()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        if self._thread.is_alive():
            with contextlib.suppress(TemporaryError):
                self.run(shutdown(), timeout=5)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Run a coroutine on the session's loop and wait for it from any thread."""
        future = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        try:
            return future.result(timeout or self.settings.request_timeout)
        except FutureTimeout:
            future.cancel()
            raise TemporaryError("Interactive Brokers did not answer in time") from None

    def call(self, function: Callable[..., T], *args: Any) -> T:
        async def invoke() -> T:
            return function(*args)

        return self.run(invoke())

    def connected_ib(self) -> IB:
        ib = self.ib
        if ib is None or not ib.isConnected():
            raise TemporaryError(f"Interactive Brokers is not connected ({self.paused or 'down'})")
        return ib

    def status(self) -> VenueStatus:
        connected = self.ib is not None and self.ib.isConnected()
        window = self._in_restart_window(datetime.now(UTC))
        reason = "daily restart window" if window else self.paused
        settings = self.settings
        return VenueStatus(
            connected=connected,
            accepting_orders=connected and reason is None,
            reason=reason,
            disconnected_since=None if connected else self.disconnected_since,
            details={
                "gateway": f"{settings.host}:{settings.port}",
                "client_id": settings.client_id,
                "connected_since": self.connected_since if connected else None,
                "last_error": self.last_error,
            },
        )

    def contract(
        self, symbol: str, asset_class: str | None, currency: str, exchange: str | None
    ) -> Contract:
        key = f"{asset_class}:{symbol}:{currency}"
        cached = self._contracts.get(key)
        if cached is not None:
            return cached
        qualified = self.run(self._qualify(_contract(symbol, asset_class, currency, exchange)))
        self._contracts[key] = qualified
        return qualified

    def _run_loop(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_forever()

    async def _qualify(self, contract: Contract) -> Contract:
        ib = self.connected_ib()
        found: list[Any] = list(await ib.qualifyContractsAsync(contract))
        qualified: Contract | None = next(
            (c for c in found if isinstance(c, Contract) and c.conId), None
        )
        if qualified is None:
            raise OrderRejectedError(
                str(contract.symbol), "Interactive Brokers does not know this contract"
            )
        if isinstance(qualified, ContFuture):
            # A continuous future cannot be traded; its front month can.
            return Future(conId=qualified.conId, exchange=qualified.exchange)
        return qualified

    async def _supervise(self) -> None:
        backoff = self.settings.min_backoff_seconds
        while not self._stopping.is_set():
            now = datetime.now(UTC)
            if self._in_restart_window(now):
                self.paused = "daily restart window"
                await asyncio.sleep(5)
                continue
            try:
                await self._connect_and_serve()
                backoff = self.settings.min_backoff_seconds
            except (OSError, TimeoutError, ConnectionError) as error:
                self.last_error = f"{type(error).__name__}: {error}"
                log.warning(
                    "ib connection failed", extra={"error": self.last_error, "backoff": backoff}
                )
            self._mark_disconnected("disconnected")
            jitter = random.uniform(0, backoff / 2)  # noqa: S311 - spreads reconnects, not security
            await asyncio.sleep(backoff + jitter)
            backoff = min(self.settings.max_backoff_seconds, backoff * 2)

    async def _connect_and_serve(self) -> None:
        ib = IB()
        ib.errorEvent += self._on_error
        ib.orderStatusEvent += self._on_trade
        ib.commissionReportEvent += self._on_commission
        self.ib = ib
        settings = self.settings
        self.paused = "connecting"
        await ib.connectAsync(
            settings.host,
            settings.port,
            clientId=settings.client_id,
            timeout=settings.connect_timeout,
        )
        self.paused = "reconciling with the broker"
        _skip_used_order_ids(ib)
        self.connected_since, self.disconnected_since = datetime.now(UTC), None
        self._contracts.clear()
        log.info("ib connected", extra={"client_id": settings.client_id})
        if self._on_connected is not None:
            try:
                await self._loop.run_in_executor(None, self._on_connected)
            except Exception as error:  # Stay paused; reconnect and try again.
                self.last_error = f"reconciliation after connecting failed: {error}"
                log.exception("ib reconciliation failed; reconnecting")
                ib.disconnect()
                raise ConnectionError(self.last_error) from error
        if self.paused == "reconciling with the broker":
            self.paused = None
        await self._heartbeat(ib)

    async def _heartbeat(self, ib: IB) -> None:
        """Ask for the server time now and then: a silent dead socket shows up as a timeout."""
        while ib.isConnected() and not self._stopping.is_set():
            await asyncio.sleep(self.settings.heartbeat_seconds)
            try:
                await asyncio.wait_for(ib.reqCurrentTimeAsync(), self.settings.request_timeout)
            except (TimeoutError, ConnectionError):
                log.warning("ib heartbeat failed; reconnecting")
                ib.disconnect()
                return

    def _mark_disconnected(self, reason: str) -> None:
        self.paused = reason
        if self.disconnected_since is None:
            self.disconnected_since = datetime.now(UTC)
        if self.ib is not None and self.ib.isConnected():
            self.ib.disconnect()

    def _on_error(self, request_id: int, code: int, message: str, contract: Any) -> None:
        if code == LOST:
            self.paused = "IB lost connectivity (1100)"
            log.warning("ib connectivity lost", extra={"code": code})
        elif code in (RESTORED, RESTORED_DATA_LOST) and self.paused and "1100" in self.paused:
            self.paused = None
            log.info("ib connectivity restored", extra={"code": code})
        elif code == CLIENT_ID_IN_USE:
            self.last_error = f"client id {self.settings.client_id} is already in use (326)"
            log.error("ib client id in use", extra={"client_id": self.settings.client_id})
        elif code in ORDER_REFUSALS and self._on_order_event is not None:
            trade = self._trade_by_order_id(request_id)
            if trade is not None and trade.order.orderRef:
                self._on_order_event(trade.order.orderRef)

    def _on_trade(self, trade: Trade) -> None:
        if self._on_order_event is not None and trade.order.orderRef:
            self._on_order_event(trade.order.orderRef)

    def _on_commission(self, trade: Trade, fill: Fill, report: Any) -> None:
        self._on_trade(trade)

    def _trade_by_order_id(self, order_id: int) -> Trade | None:
        ib = self.ib
        if ib is None:
            return None
        return next((t for t in ib.trades() if t.order.orderId == order_id), None)

    def _in_restart_window(self, now: datetime) -> bool:
        window = self.settings.restart_window
        if window is None:
            return False
        start, end = window
        moment = now.time()
        return start <= moment < end if start <= end else moment >= start or moment < end


class IbBroker:
    """The ``Broker`` port over an :class:`IbSession`.

    ``accounts`` maps MATS account names to IB account codes (``IBKR_Main`` → ``DU1234567``);
    an order goes to its account's code, and what IB reports comes back under the MATS name.
    IB holds a bracket itself: the children travel with the parent, one cancelling the other.
    """

    native_brackets = True

    def __init__(self, session: IbSession, accounts: Mapping[str, str] | None = None) -> None:
        self._session = session
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
        contract = self._session.contract(
            order.broker_symbol or order.symbol, order.asset_class, order.currency, order.exchange
        )
        trade = self._session.run(self._place(contract, order, self._codes.get(order.account, "")))
        refusal = _refusal(trade)
        if refusal is not None:
            raise OrderRejectedError(order.id, refusal)
        return self._report(order.id, trade)

    def lookup(self, order_id: str, *, symbol: str | None = None) -> VenueOrderReport | None:
        ib = self._session.connected_ib()
        trade = self._session.call(_trade_by_ref, ib, order_id)
        fills = self._session.call(_fills_by_ref, ib, order_id)
        if trade is None and not fills:
            return None
        return self._report(order_id, trade, fills)

    def cancel(self, order_id: str, *, symbol: str | None = None) -> VenueOrderReport | None:
        ib = self._session.connected_ib()
        trade = self._session.call(_trade_by_ref, ib, order_id)
        if trade is None:
            return None
        if not trade.isDone():
            self._session.call(ib.cancelOrder, trade.order)
        return self._report(order_id, trade)

    def executions(self, since: datetime) -> Sequence[VenueFill]:
        ib = self._session.connected_ib()

        async def fetch() -> list[Fill]:
            return list(await ib.reqExecutionsAsync(ExecutionFilter()))

        found = self._session.run(fetch())
        return [
            dataclasses.replace(
                venue_fill, account=self._names.get(venue_fill.account, venue_fill.account)
            )
            for fill in found
            if (venue_fill := _venue_fill(fill)) is not None and venue_fill.at >= since
        ]

    def account(self, account: str) -> VenueAccount:
        """The account's summary and positions, fetched from IB now."""
        ib = self._session.connected_ib()
        code = self._codes.get(account, account)

        async def fetch() -> tuple[list[Any], list[Any], list[Any]]:
            # The first call subscribes to the summary; IB keeps it and positions current.
            summary = await ib.accountSummaryAsync(code)
            return summary, ib.positions(code), ib.portfolio(code)

        values, positions, portfolio = self._session.run(fetch())
        figures = {v.tag: v for v in values if v.currency not in ("", "BASE")}
        if "NetLiquidation" not in figures:
            raise TemporaryError(f"Interactive Brokers reports no account {code} ({account})")
        marks = {item.contract.conId: item.marketPrice for item in portfolio}

        def amount(tag: str) -> Decimal:
            value = figures.get(tag)
            return Decimal(value.value) if value is not None and value.value else Decimal(0)

        return VenueAccount(
            account=account,
            currency=figures["NetLiquidation"].currency or "USD",
            equity=amount("NetLiquidation"),
            cash=amount("TotalCashValue"),
            margin_used=amount("InitMarginReq"),
            margin_available=amount("AvailableFunds"),
            unrealized_pnl=amount("UnrealizedPnL"),
            as_of=datetime.now(UTC),
            positions=tuple(
                VenuePosition(
                    account=account,
                    symbol=_position_symbol(p.contract),
                    quantity=_exact(p.position),
                    average_cost=_per_unit_cost(p.avgCost, p.contract),
                    mark_price=_decimal(marks.get(p.contract.conId)),
                )
                for p in positions
                if p.position
            ),
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

        ticker = self._session.run(snapshot())
        if ticker is None:
            return None
        bid, ask, last = (_decimal(ticker.bid), _decimal(ticker.ask), _decimal(ticker.last))
        if bid is None and ask is None and last is None:
            return None
        return Quote(
            symbol=instrument.symbol,
            as_of=datetime.now(UTC),
            last=last,
            bid=bid,
            ask=ask,
            source="IB",
        )

    def status(self) -> VenueStatus:
        return self._session.status()

    async def _place(self, contract: Contract, order: Order, code: str) -> Trade:
        ib = self._session.connected_ib()
        parent = _ib_order(order)
        legs = _bracket_legs(order, parent)
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
        while (
            trade.orderStatus.status in ("PendingSubmit", "ApiPending", "")
            and _refusal(trade) is None
        ):
            if asyncio.get_running_loop().time() > deadline:
                break
            await asyncio.sleep(0.01)
        return trade

    def _report(
        self, order_id: str, trade: Trade | None, fills: Sequence[Fill] | None = None
    ) -> VenueOrderReport:
        all_fills = list(fills if fills is not None else (trade.fills if trade else []))
        venue_fills = tuple(f for f in (_venue_fill(fill) for fill in all_fills) if f is not None)
        filled = sum((f.quantity for f in venue_fills), Decimal(0))
        state = _state(trade, filled) if trade is not None else OrderState.FILLED
        average = (
            sum((f.price * f.quantity for f in venue_fills), Decimal(0)) / filled
            if filled
            else None
        )
        return VenueOrderReport(
            order_id=order_id,
            state=state,
            filled_quantity=filled,
            average_price=average,
            venue_order_id=str(trade.order.permId) if trade and trade.order.permId else None,
            reason=_refusal(trade) if trade is not None else None,
            fills=venue_fills,
        )


def _contract(
    symbol: str, asset_class: str | None, currency: str, exchange: str | None
) -> Contract:
    if asset_class == "FUTURE":
        continuous = _CONTINUOUS.match(symbol)
        if continuous:
            return ContFuture(continuous.group("root"), exchange or "", currency=currency)
        return Future(localSymbol=symbol, exchange=exchange or "", currency=currency)
    if asset_class == "CRYPTO":
        return Crypto(symbol.removesuffix(currency), exchange or "PAXOS", currency)
    if asset_class == "FX":
        return Forex(symbol)
    return Stock(symbol, "SMART", currency)


def _ib_order(order: Order) -> IbOrder:
    action = "BUY" if order.side is Side.BUY else "SELL"
    quantity = float(order.quantity)
    kinds: dict[OrderType, Callable[[], IbOrder]] = {
        OrderType.MARKET: lambda: MarketOrder(action, quantity),
        OrderType.LIMIT: lambda: LimitOrder(action, quantity, float(order.limit_price or 0)),
        OrderType.STOP: lambda: StopOrder(action, quantity, float(order.stop_price or 0)),
        OrderType.STOP_LIMIT: lambda: StopLimitOrder(
            action, quantity, float(order.limit_price or 0), float(order.stop_price or 0)
        ),
    }
    ib_order = kinds[order.order_type]()
    ib_order.orderRef = order.id
    ib_order.tif = _TIF[order.time_in_force]
    if order.time_in_force is TimeInForce.GTD and order.expire_at is not None:
        ib_order.goodTillDate = order.expire_at.astimezone(UTC).strftime("%Y%m%d %H:%M:%S UTC")
    return ib_order


def _bracket_legs(order: Order, parent: IbOrder) -> list[IbOrder]:
    """Take-profit and stop-loss children, one cancelling the other (``ocaGroup``)."""
    exit_action = "SELL" if order.side is Side.BUY else "BUY"
    quantity = float(order.quantity)
    legs: list[IbOrder] = []
    group = f"OCA-{order.id}"
    if order.take_profit is not None:
        take = LimitOrder(exit_action, quantity, float(order.take_profit.price))
        take.orderRef = order.take_profit.order_id
        legs.append(take)
    if order.stop_loss is not None:
        stop = StopOrder(exit_action, quantity, float(order.stop_loss.price))
        stop.orderRef = order.stop_loss.order_id
        legs.append(stop)
    for index, leg in enumerate(legs):
        leg.tif = "GTC"
        leg.ocaGroup = group
        leg.ocaType = 1
        leg.transmit = index == len(legs) - 1  # The last child transmits the whole bracket.
    return legs


def _trade_by_ref(ib: IB, order_id: str) -> Trade | None:
    return next((t for t in reversed(ib.trades()) if t.order.orderRef == order_id), None)


def _fills_by_ref(ib: IB, order_id: str) -> list[Fill]:
    return [f for f in ib.fills() if f.execution.orderRef == order_id]


def _venue_fill(fill: Fill) -> VenueFill | None:
    execution = fill.execution
    if not execution.orderRef:
        return None
    report = fill.commissionReport
    return VenueFill(
        execution_id=execution.execId,
        order_id=execution.orderRef,
        account=execution.acctNumber,
        symbol=str(fill.contract.localSymbol or fill.contract.symbol),
        side=Side.BUY if execution.side == "BOT" else Side.SELL,
        quantity=_exact(execution.shares),
        price=_exact(execution.price),
        at=execution.time if execution.time.tzinfo else execution.time.replace(tzinfo=UTC),
        commission=Decimal(str(report.commission)) if report and report.commission else Decimal(0),
        commission_currency=report.currency if report and report.currency else None,
        venue_order_id=str(execution.permId) if execution.permId else None,
    )


def _skip_used_order_ids(ib: IB) -> None:
    """Start above every order id IB reports: a restarted gateway can hand out used ids again,
    and IB takes a used id as a change to that (maybe filled) order."""
    used = [t.order.orderId for t in ib.trades()] + [f.execution.orderId for f in ib.fills()]
    if used:
        ib.client.updateReqId(max(used) + 1)  # type: ignore[no-untyped-call]


def _position_symbol(contract: Contract) -> str:
    """How reconciliation keys a holding: a future by its root, a pair as base+quote."""
    if contract.secType in ("CASH", "CRYPTO"):
        return f"{contract.symbol}{contract.currency}"
    return str(contract.symbol or contract.localSymbol)


def _per_unit_cost(average_cost: float, contract: Contract) -> Decimal | None:
    """IB reports a future's average cost per contract (price x multiplier); MATS per unit."""
    if not average_cost:
        return None
    multiplier = Decimal(str(contract.multiplier or 1))
    return Decimal(str(average_cost)) / multiplier


def _exact(value: float) -> Decimal:
    """IB's float as the decimal it stands for (2.0 shares are 2, 190.1 is 190.1)."""
    number = Decimal(repr(float(value)))
    return number.quantize(Decimal(1)) if number == number.to_integral_value() else number


def _decimal(value: float | None) -> Decimal | None:
    if value is None or math.isnan(value) or value <= 0:  # IB sends NaN or -1 for "none".
        return None
    return Decimal(str(value))


def _state(trade: Trade, filled: Decimal) -> OrderState:
    status = trade.orderStatus.status
    if status == "Cancelled" and _refusal(trade) is not None:
        return OrderState.REJECTED
    state = _STATES.get(status, OrderState.SUBMITTED)
    if state is OrderState.ACCEPTED and filled > 0:
        return OrderState.PARTIALLY_FILLED
    return state


def _refusal(trade: Trade | None) -> str | None:
    if trade is None:
        return None
    for entry in reversed(trade.log):
        if entry.errorCode in ORDER_REFUSALS and entry.errorCode != 202:
            return f"IB error {entry.errorCode}: {entry.message}"
    return None
