"""The one ib_async connection to IB Gateway, owned by one thread and its event loop.

``IbSession`` connects (with backoff and jitter), runs the caller's reconciliation before any
order is taken, sends a heartbeat because IB does not always report a dead socket, pauses new
orders while IB reports lost connectivity (1100 or 2110, until 1101/1102) and inside the
configured daily restart window, and reconnects after a drop, a gateway restart or a 1300.
``ib_errors`` classifies what IB reports; every call through ``run`` comes back as its result or
as an error of MATS's tree. Moments (connected since, disconnected since, the restart window) come
from the injected ``Clock``; the loop's own timers (heartbeat, backoff, timeouts) are durations
and stay asyncio's.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import threading
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any, TypeVar

from ib_async import IB, ContFuture, Contract, Fill, Future, Trade

from mats.adapters.brokers.ib_errors import Trouble, classify, describe, translated
from mats.adapters.brokers.ib_orders import contract_for
from mats.domain.venues import VenueStatus
from mats.errors import MatsError, PermanentError, TemporaryError
from mats.ports import Clock

log = logging.getLogger(__name__)
T = TypeVar("T")

_RECONCILING = "reconciling with the broker"
_RESTART_WINDOW = "daily restart window"
_DISCONNECTED = "disconnected"
# Farm notices are routine and cancel confirmations expected; anything else deserves a look.
_LOG_LEVELS = {
    Trouble.NOTICE: logging.DEBUG,
    Trouble.ORDER_CANCELLED: logging.INFO,
    Trouble.CONNECTIVITY_RESTORED: logging.INFO,
    Trouble.CLIENT_ID_IN_USE: logging.ERROR,
}


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
    # How often the supervisor looks at the clock again while inside the restart window.
    window_check_seconds: float = 5.0


def in_restart_window(window: tuple[time, time] | None, moment: datetime) -> bool:
    """Whether ``moment`` (UTC) falls in the daily ``[start, end)`` window; it may span midnight."""
    if window is None:
        return False
    start, end = window
    now = moment.time()
    return start <= now < end if start <= end else now >= start or now < end


class IbSession:
    """The one ib_async connection, on its own thread and event loop."""

    def __init__(
        self,
        settings: IbSettings,
        *,
        clock: Clock,
        on_connected: Callable[[], None] | None = None,
        on_order_event: Callable[[str], None] | None = None,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self._on_connected = on_connected
        self._on_order_event = on_order_event
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run_loop, name="ib-session", daemon=True)
        self._stopping = threading.Event()
        self.ib: IB | None = None
        # Why orders wait in this phase of the connection (None: connected and reconciled).
        self._phase: str | None = "not connected yet"
        # The code IB reported its servers lost with (1100, 2110), until it reports them back.
        self._lost_code: int | None = None
        # IB refused the client id (326) and no connection has succeeded since.
        self._client_id_taken = False
        self._dropped: asyncio.Event | None = None
        self.connected_since: datetime | None = None
        self.disconnected_since: datetime | None = clock.now()
        self.last_error: str | None = None
        self._contracts: dict[str, Contract] = {}

    @property
    def paused(self) -> str | None:
        """Why new orders wait now, or ``None`` (the restart window is ``status``'s to add)."""
        if self._client_id_taken:
            return f"client id {self.settings.client_id} is already in use (326)"
        if self._phase is not None:
            return self._phase
        if self._lost_code is not None:
            return f"IB lost connectivity ({self._lost_code})"
        return None

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
            with contextlib.suppress(MatsError):
                self.run(shutdown(), timeout=5, action="shutdown")
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
        if not self._thread.is_alive() and not self._loop.is_closed():
            self._loop.close()

    def run(
        self,
        coroutine: Coroutine[Any, Any, T],
        timeout: float | None = None,
        *,
        action: str = "request",
    ) -> T:
        """Run a coroutine on the session's loop and wait for it from any thread.

        Whatever it raises comes out in MATS's tree (``ib_errors``); ``action`` names the call in
        the error's text.
        """
        future = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        try:
            return future.result(timeout or self.settings.request_timeout)
        except MatsError:
            raise
        except (Exception, asyncio.CancelledError) as error:
            future.cancel()  # An abandoned request must not complete behind the caller's back.
            raise translated(error, f"Interactive Brokers {action}") from error

    def call(self, function: Callable[..., T], *args: Any) -> T:
        """Run a plain function on the session's loop (ib_async is not thread-safe)."""

        async def invoke() -> T:
            return function(*args)

        return self.run(invoke(), action=getattr(function, "__name__", "call"))

    def connected_ib(self) -> IB:
        ib = self.ib
        if ib is None or not ib.isConnected():
            raise TemporaryError(f"Interactive Brokers is not connected ({self.paused or 'down'})")
        return ib

    def status(self) -> VenueStatus:
        connected = self.ib is not None and self.ib.isConnected()
        window = in_restart_window(self.settings.restart_window, self.clock.now())
        reason = _RESTART_WINDOW if window else self.paused
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
        """The qualified contract for a MATS symbol; ``PermanentError`` if IB knows none."""
        key = f"{asset_class}:{symbol}:{currency}"
        cached = self._contracts.get(key)
        if cached is not None:
            return cached
        unqualified = contract_for(symbol, asset_class, currency, exchange)
        qualified = self.run(self._qualify(unqualified), action=f"qualifyContracts {symbol}")
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
            raise PermanentError(f"Interactive Brokers does not know the contract {contract}")
        if isinstance(qualified, ContFuture):
            # A continuous future cannot be traded; its front month can.
            return Future(conId=qualified.conId, exchange=qualified.exchange)
        return qualified

    async def _supervise(self) -> None:
        backoff = self.settings.min_backoff_seconds
        while not self._stopping.is_set():
            if in_restart_window(self.settings.restart_window, self.clock.now()):
                self._phase = _RESTART_WINDOW
                await asyncio.sleep(self.settings.window_check_seconds)
                continue
            try:
                await self._connect_and_serve()
                backoff = self.settings.min_backoff_seconds
            except Exception as error:  # The supervisor outlives any one connection's failure.
                if not self._client_id_taken:  # 326 says more than the timeout that follows it.
                    self.last_error = describe(error)
                log.warning(
                    "ib connection failed",
                    extra={"error": self.last_error, "backoff": backoff},
                    exc_info=not isinstance(error, OSError | TimeoutError),
                )
            self._mark_disconnected(_DISCONNECTED)
            jitter = random.uniform(0, backoff / 2)  # noqa: S311 - spreads reconnects, not security
            await asyncio.sleep(backoff + jitter)
            backoff = min(self.settings.max_backoff_seconds, backoff * 2)

    async def _connect_and_serve(self) -> None:
        ib = IB()
        ib.errorEvent += self._on_error
        ib.orderStatusEvent += self._on_trade
        ib.commissionReportEvent += self._on_commission
        ib.disconnectedEvent += self._on_disconnected
        self.ib, self._dropped = ib, asyncio.Event()
        self._phase, self._lost_code = "connecting", None
        settings = self.settings
        await ib.connectAsync(
            settings.host,
            settings.port,
            clientId=settings.client_id,
            timeout=settings.connect_timeout,
        )
        self._phase, self._client_id_taken = _RECONCILING, False
        _skip_used_order_ids(ib)
        self.connected_since, self.disconnected_since = self.clock.now(), None
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
        if self._phase == _RECONCILING:
            self._phase = None
        await self._heartbeat(ib, self._dropped)

    async def _heartbeat(self, ib: IB, dropped: asyncio.Event) -> None:
        """Ask for the server time now and then: a silent dead socket shows up as a timeout."""
        while ib.isConnected() and not self._stopping.is_set():
            with contextlib.suppress(TimeoutError):  # A drop ends the wait early.
                await asyncio.wait_for(dropped.wait(), self.settings.heartbeat_seconds)
            if not ib.isConnected():
                return
            try:
                await asyncio.wait_for(ib.reqCurrentTimeAsync(), self.settings.request_timeout)
            except (TimeoutError, ConnectionError):
                log.warning("ib heartbeat failed; reconnecting")
                ib.disconnect()
                return

    def _mark_disconnected(self, reason: str) -> None:
        self._phase = reason
        if self.disconnected_since is None:
            self.disconnected_since = self.clock.now()
        if self.ib is not None and self.ib.isConnected():
            self.ib.disconnect()

    def _on_disconnected(self) -> None:
        if self.ib is not None and self.ib.isConnected():
            return  # A previous connection's late notice; the current one is up.
        self._mark_disconnected(_DISCONNECTED)
        if self._dropped is not None:
            self._dropped.set()

    def _on_error(self, request_id: int, code: int, message: str, contract: Any) -> None:
        trouble = classify(code)
        log.log(
            _LOG_LEVELS.get(trouble, logging.WARNING),
            "ib error",
            extra={
                "code": code,
                "error_text": message,
                "trouble": trouble.name,
                "request_id": request_id,
            },
        )
        if trouble is Trouble.CONNECTIVITY_LOST:
            self._lost_code = code
        elif trouble is Trouble.CONNECTIVITY_RESTORED:
            self._lost_code = None
        elif trouble is Trouble.DISCONNECTED:
            self.last_error = f"IB error {code}: {message}"
            if self.ib is not None:
                # Not from inside ib_async's callback: it is still reading the message.
                self._loop.call_soon(self.ib.disconnect)
        elif trouble is Trouble.CLIENT_ID_IN_USE:
            self._client_id_taken = True
            self.last_error = self.paused
        # Whatever IB says about an order (refused, cancelled, held), the bridge looks again.
        trade = self._trade_by_order_id(request_id)
        if trade is not None:
            self._on_trade(trade)

    def _on_trade(self, trade: Trade) -> None:
        if self._on_order_event is not None and trade.order.orderRef:
            self._on_order_event(trade.order.orderRef)

    def _on_commission(self, trade: Trade, fill: Fill, report: Any) -> None:
        self._on_trade(trade)

    def _trade_by_order_id(self, order_id: int) -> Trade | None:
        ib = self.ib
        if ib is None or order_id < 0:
            return None
        return next((t for t in ib.trades() if t.order.orderId == order_id), None)


def _skip_used_order_ids(ib: IB) -> None:
    """Start above every order id IB reports: a restarted gateway can hand out used ids again,
    and IB takes a used id as a change to that (maybe filled) order."""
    used = [t.order.orderId for t in ib.trades()] + [f.execution.orderId for f in ib.fills()]
    if used:
        ib.client.updateReqId(max(used) + 1)  # type: ignore[no-untyped-call]
